// Package maxpool is the 2×2 max-pool with ReLU that follows each convolution of the models
// package, on pixel-major (HWC) activations: for every 2×2 window and channel it takes
// max(0, max of the window + bias) and the window position of the maximum.
//
// Values are compared as bit patterns: after the ReLU every value is +0 or positive, and
// non-negative IEEE floats order like their bits as integers, so the maxima are integer maxima
// (branch-free; a positive NaN counts as the largest value and propagates). On amd64 with AVX2
// the loop is Go assembly doing 8 channels per instruction (maxpool_amd64.s); elsewhere, or with
// the purego tag, plain Go. Both give bit-identical results.
//
// Errors: shapes that do not fit the slices are caller bugs and panic.
package maxpool

import (
	"fmt"
	"math"
)

// MaxReLU2x2 pools one image act of h×w pixels with c channels each (pixel-major: act[(i·w+j)·c+ch])
// into ⌊h/2⌋×⌊w/2⌋ pixels, also pixel-major:
//
//	y[(i·pw+j)·c+ch] = max(0, max_{di,dj<2} act[((2i+di)·w+2j+dj)·c+ch] + bias[ch])
//
// and, when arg is not nil, arg[(i·pw+j)·c+ch] = 2·di+dj of the maximum (the first in row-major
// order on ties, ties decided after bias and ReLU). An odd last row or column is dropped.
func MaxReLU2x2(h, w, c int, act, bias, y []float32, arg []int32) {
	ph, pw := h/2, w/2
	if len(act) < h*w*c || len(bias) < c || len(y) < ph*pw*c || arg != nil && len(arg) < ph*pw*c {
		panic(fmt.Sprintf("pool: %d×%d×%d image: act %d, bias %d, y %d, arg %d values", h, w, c, len(act), len(bias), len(y), len(arg)))
	}
	if ph == 0 || pw == 0 || c == 0 {
		return
	}
	maxReLU(ph, pw, w, c, act, bias, y, arg)
}

func maxReLUGo(ph, pw, w, c int, act, bias, y []float32, arg []int32) {
	for i := range ph {
		for j := range pw {
			q := (2*i*w + 2*j) * c
			p0, p1 := act[q:q+c], act[q+c:q+2*c]
			p2, p3 := act[q+w*c:q+w*c+c], act[q+w*c+c:q+w*c+2*c]
			out := y[(i*pw+j)*c : (i*pw+j+1)*c]
			for ch, b := range bias[:c] {
				u0, u1 := reluBits(p0[ch]+b), reluBits(p1[ch]+b)
				u2, u3 := reluBits(p2[ch]+b), reluBits(p3[ch]+b)
				m01, m23 := max(u0, u1), max(u2, u3)
				out[ch] = math.Float32frombits(max(m01, m23))
				if arg != nil {
					at01, at23, hi := b2i(u1 > u0), 2+b2i(u3 > u2), b2i(m23 > m01)
					arg[(i*pw+j)*c+ch] = at01 + hi*(at23-at01) // at23 if the later pair wins
				}
			}
		}
	}
}

// reluBits returns the bits of max(x, 0) (−0 and negative values become +0) without a branch.
func reluBits(x float32) uint32 {
	u := math.Float32bits(x)
	return u &^ uint32(int32(u)>>31)
}

// b2i is 1 for true and 0 for false (compiled to a SETcc, no branch).
func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
