package datasets

// Translate writes into dst the image src (C×H×W, row-major) shifted by dx pixels to the
// right and dy pixels down; pixels shifted in from outside are 0. It is the random-shift
// augmentation commonly used on MNIST (e.g. Simard, Steinkraus & Platt, ICDAR 2003, use
// small affine distortions). dst and src must not overlap.
func Translate(dst, src []float32, c, h, w, dx, dy int) {
	if len(dst) != c*h*w || len(src) != c*h*w {
		panic("datasets: Translate: image size mismatch")
	}
	clear(dst)
	if dx <= -w || dx >= w {
		return
	}
	for ch := 0; ch < c; ch++ {
		for r := max(0, dy); r < min(h, h+dy); r++ {
			sr := r - dy
			lo, hi := max(0, dx), min(w, w+dx)
			copy(dst[(ch*h+r)*w+lo:(ch*h+r)*w+hi], src[(ch*h+sr)*w+lo-dx:(ch*h+sr)*w+hi-dx])
		}
	}
}
