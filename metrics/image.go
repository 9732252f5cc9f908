package metrics

import (
	"fmt"
	"math"
)

// Float is the element type the metrics accept.
type Float interface{ ~float32 | ~float64 }

// The SSIM settings of scikit-image's structural_similarity with gaussian_weights=True, which
// follow Wang et al. (IEEE TIP 13(4), 2004, §III-C and eq. 13).
const (
	// SSIMSigma is the standard deviation of the Gaussian weighting window, in pixels.
	SSIMSigma = 1.5
	// SSIMK1 and SSIMK2 set the stabilising constants C1 = (K1·R)² and C2 = (K2·R)².
	SSIMK1 = 0.01
	SSIMK2 = 0.03
	// SSIMWindow is the window side: 2·int(3.5·σ + 0.5) + 1 = 11, scikit-image truncating
	// the Gaussian at 3.5σ ("to give an 11-tap filter … to match Wang et al. 2004").
	SSIMWindow = 2*ssimRadius + 1
)

// ssimRadius is scipy.ndimage's kernel radius int(truncate·σ + 0.5) with truncate 3.5.
const ssimRadius = 5

// MSE is the mean squared difference of x and y.
func MSE[T Float](x, y []T) float64 {
	checkPair("MSE", len(x), len(y))
	var s float64
	for i := range x {
		d := float64(x[i]) - float64(y[i])
		s += d * d
	}
	return s / float64(len(x))
}

// PSNR is the peak signal-to-noise ratio of the test image y against the reference x, in
// decibels: 10·log10(R²/MSE(x, y)) for the data range R (1 for images in [0,1]), as in
// scikit-image's peak_signal_noise_ratio. Identical images give +Inf.
func PSNR[T Float](x, y []T, dataRange float64) float64 {
	checkRange("PSNR", dataRange)
	return 10 * math.Log10(dataRange*dataRange/MSE(x, y))
}

// SSIM is the mean structural similarity of two images of c channels of h×w pixels
// (channel-first), as scikit-image's structural_similarity computes it with
// gaussian_weights=True, sigma=1.5, use_sample_covariance=True, K1=0.01, K2=0.03 and the
// given data range: per channel, local means, variances and the covariance under an 11×11
// Gaussian window (variances scaled by N/(N−1), N = 121), the SSIM map of Wang et al. eq. 13,
// averaged over the pixels at least 5 from every edge (where the window fits in the image,
// so the padding mode does not matter); then the mean over channels. Arithmetic is float64
// whatever T is. It panics if h or w is below SSIMWindow, as scikit-image raises.
func SSIM[T Float](x, y []T, c, h, w int, dataRange float64) float64 {
	checkPair("SSIM", len(x), len(y))
	checkRange("SSIM", dataRange)
	if c < 1 || h < SSIMWindow || w < SSIMWindow {
		panic(fmt.Sprintf("metrics: SSIM of %d×%d×%d images, need ≥ 1 channel and sides ≥ %d", c, h, w, SSIMWindow))
	}
	if len(x) != c*h*w {
		panic(fmt.Sprintf("metrics: SSIM of %d values as %d×%d×%d images", len(x), c, h, w))
	}
	k := gaussKernel()
	c1 := (SSIMK1 * dataRange) * (SSIMK1 * dataRange)
	c2 := (SSIMK2 * dataRange) * (SSIMK2 * dataRange)
	const np = SSIMWindow * SSIMWindow
	const covNorm = float64(np) / (np - 1)
	oh, ow := h-2*ssimRadius, w-2*ssimRadius
	// Five filtered planes (x, y, x², y², xy) over the valid region only.
	n := oh * ow
	buf := make([]float64, 5*n+5*h*ow)
	f, tmp := buf[:5*n], buf[5*n:]
	var total float64
	for ch := 0; ch < c; ch++ {
		xs, ys := x[ch*h*w:(ch+1)*h*w], y[ch*h*w:(ch+1)*h*w]
		// Horizontal pass: tmp[q][r][j] = Σ_t k[t]·v_q[r][j+t], for all rows r.
		clear(tmp)
		for r := 0; r < h; r++ {
			for j := 0; j < ow; j++ {
				var sx, sy, sxx, syy, sxy float64
				for t, kt := range k {
					a, b := float64(xs[r*w+j+t]), float64(ys[r*w+j+t])
					sx += kt * a
					sy += kt * b
					sxx += kt * a * a
					syy += kt * b * b
					sxy += kt * a * b
				}
				o := r*ow + j
				tmp[o], tmp[h*ow+o], tmp[2*h*ow+o], tmp[3*h*ow+o], tmp[4*h*ow+o] = sx, sy, sxx, syy, sxy
			}
		}
		// Vertical pass over the rows where the window fits.
		for q := 0; q < 5; q++ {
			src, dst := tmp[q*h*ow:(q+1)*h*ow], f[q*n:(q+1)*n]
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s float64
					for t, kt := range k {
						s += kt * src[(i+t)*ow+j]
					}
					dst[i*ow+j] = s
				}
			}
		}
		var sum float64
		for p := 0; p < n; p++ {
			ux, uy := f[p], f[n+p]
			vx := covNorm * (f[2*n+p] - ux*ux)
			vy := covNorm * (f[3*n+p] - uy*uy)
			vxy := covNorm * (f[4*n+p] - ux*uy)
			sum += ((2*ux*uy + c1) * (2*vxy + c2)) / ((ux*ux + uy*uy + c1) * (vx + vy + c2))
		}
		total += sum / float64(n)
	}
	return total / float64(c)
}

// gaussKernel is scipy.ndimage's 1-D Gaussian kernel of σ = 1.5 and radius 5:
// exp(−t²/(2σ²)) for t = −5…5, normalised to sum 1.
func gaussKernel() [SSIMWindow]float64 {
	var k [SSIMWindow]float64
	var s float64
	for i := range k {
		t := float64(i - ssimRadius)
		k[i] = math.Exp(-0.5 * t * t / (SSIMSigma * SSIMSigma))
		s += k[i]
	}
	for i := range k {
		k[i] /= s
	}
	return k
}

func checkPair(fn string, nx, ny int) {
	if nx != ny {
		panic(fmt.Sprintf("metrics: %s of slices of lengths %d and %d", fn, nx, ny))
	}
	if nx == 0 {
		panic(fmt.Sprintf("metrics: %s of empty slices", fn))
	}
}

func checkRange(fn string, r float64) {
	if !(r > 0) || math.IsInf(r, 1) {
		panic(fmt.Sprintf("metrics: %s with data range %g, need a finite number > 0", fn, r))
	}
}
