package gemm

import (
	"fmt"
	"unsafe"
)

// Sparse is the layout of the sparse convolution gradients SparseDW and SparseDX, for a
// pixel-major (HWC) padded image with a multiple of 16 channels. A filter's k×k×C weights are
// cut into bases of 16 consecutive values — kernel position (u,v), channels 16t..16t+15 — and
// the bases into groups of 4; base b of a patch starting at image offset p is at
// p+Bases[b]. The base list is padded to whole groups with dummy bases at offset 0, whose
// weights must be zero and whose gradients are discarded: weight and gradient buffers hold
// Groups()·64 values per filter.
type Sparse struct {
	Bases []int
}

// NewSparse lays out the bases of a k×k kernel over c channels (c a multiple of 16) in a padded
// image of row width wp.
func NewSparse(k, c, wp int) Sparse {
	if c%16 != 0 {
		panic(fmt.Sprintf("gemm: sparse gradients need a multiple of 16 channels, have %d", c))
	}
	var s Sparse
	for u := range k {
		for v := range k {
			for t := 0; t < c; t += 16 {
				s.Bases = append(s.Bases, (u*wp+v)*c+t)
			}
		}
	}
	for len(s.Bases)%4 != 0 {
		s.Bases = append(s.Bases, 0)
	}
	return s
}

// Groups is the number of 4-base groups.
func (s Sparse) Groups() int { return len(s.Bases) / 4 }

// Len is the number of values a filter's weights or weight gradient take in this layout.
func (s Sparse) Len() int { return len(s.Bases) * 16 }

// check panics unless every base of every patch lies inside img.
func (s Sparse) check(pos []int, g []float32, img []float32, buf []float32) {
	if len(g) != len(pos) {
		panic(fmt.Sprintf("gemm: %d gradient values for %d positions", len(g), len(pos)))
	}
	if len(buf) < s.Len() {
		panic(fmt.Sprintf("gemm: filter buffer of %d values, layout needs %d", len(buf), s.Len()))
	}
	hi := 0
	for _, b := range s.Bases {
		hi = max(hi, b+16)
	}
	for _, p := range pos {
		if p < 0 || p+hi > len(img) {
			panic(fmt.Sprintf("gemm: patch at %d reaches %d, image has %d values", p, p+hi, len(img)))
		}
	}
}

// SparseDW adds to one filter's weight gradient dw the patches at pos weighted by g:
// dw[16b : 16b+16] += Σ_n g[n]·img[pos[n]+Bases[b] : +16] for every base b, summed in
// increasing n. With g the non-zero output gradients of the filter and pos their patches, this
// is the filter's row of dW = Σ_pixels g·patchᵀ without the zero terms.
func (s Sparse) SparseDW(pos []int, g []float32, img, dw []float32) {
	s.check(pos, g, img, dw)
	if len(pos) == 0 || len(s.Bases) == 0 {
		return
	}
	sparseDW(s.Groups(), len(pos), &s.Bases[0], &pos[0], &g[0], &img[0], &dw[0])
}

// SparseDX adds the filter w weighted by g to the input gradient at every patch:
// dimg[pos[n]+Bases[b] : +16] += g[n]·w[16b : 16b+16], for n in increasing order.
func (s Sparse) SparseDX(pos []int, g []float32, w, dimg []float32) {
	s.check(pos, g, dimg, w)
	if len(pos) == 0 || len(s.Bases) == 0 {
		return
	}
	sparseDX(s.Groups(), len(pos), &s.Bases[0], &pos[0], &g[0], &w[0], &dimg[0])
}

func sparseDWGo(groups, nnz int, bases, pos *int, g, img, dw *float32) {
	bs := unsafe.Slice(bases, 4*groups)
	ps, gs := unsafe.Slice(pos, nnz), unsafe.Slice(g, nnz)
	d := unsafe.Slice(dw, 64*groups)
	for b, off := range bs {
		for j := 0; j < 16; j += 4 {
			// Four accumulators in registers, summed over n in increasing order.
			a0, a1, a2, a3 := d[16*b+j], d[16*b+j+1], d[16*b+j+2], d[16*b+j+3]
			for n, p := range ps {
				src := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(img), 4*(p+off+j))), 4)
				gn := gs[n]
				a0 += gn * src[0]
				a1 += gn * src[1]
				a2 += gn * src[2]
				a3 += gn * src[3]
			}
			d[16*b+j], d[16*b+j+1], d[16*b+j+2], d[16*b+j+3] = a0, a1, a2, a3
		}
	}
}

func sparseDXGo(groups, nnz int, bases, pos *int, g, w, dimg *float32) {
	bs := unsafe.Slice(bases, 4*groups)
	ps, gs := unsafe.Slice(pos, nnz), unsafe.Slice(g, nnz)
	ws := unsafe.Slice(w, 64*groups)
	for q := range groups {
		for n, p := range ps {
			for b := 4 * q; b < 4*q+4; b++ {
				dst := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(dimg), 4*(p+bs[b]))), 16)
				for j, v := range ws[16*b : 16*b+16] {
					dst[j] += gs[n] * v
				}
			}
		}
	}
}
