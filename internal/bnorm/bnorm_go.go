package bnorm

import "math"

// The plain Go versions. Explicit float32 and float64 conversions round every operation, as the
// assembly does, and keep the compiler from fusing a multiply and an add.

func reluGo(v float32) float32 {
	if 0 > v {
		return 0
	}
	return v
}

func affineGo(y, x, z []float32, s, t float32, relu bool) {
	for i, v := range x {
		r := float32(v*s) + t
		if z != nil {
			r = float32(r) + z[i]
		}
		if relu {
			r = reluGo(r)
		}
		y[i] = r
	}
}

// keep is v where y > 0 and +0 elsewhere, as a bit mask.
func keep(v, y float32) float32 {
	var m uint32
	if y > 0 {
		m = ^uint32(0)
	}
	return math.Float32frombits(math.Float32bits(v) & m)
}

func affineGradGo(da, dy, y, a []float32, relu bool, k, c1, c0 float32) {
	for i, g := range dy {
		if relu {
			g = keep(g, y[i])
		}
		da[i] = float32(k*g) + float32(float32(c1*a[i])+c0)
	}
}

func addMaskedGo(dst, dy, y []float32) {
	for i, g := range dy {
		dst[i] = float32(dst[i] + keep(g, y[i]))
	}
}
