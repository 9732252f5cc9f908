package bnorm

import "fmt"

func need(name string, n int, s ...[]float32) {
	for _, x := range s {
		if len(x) < n {
			panic(fmt.Sprintf("bnorm: %s of %d values: a slice has %d", name, n, len(x)))
		}
	}
}

// Affine writes y[i] = act(x[i]·s + t + z[i]) for i < len(y), without z when z is nil, act
// ReLU when relu and the identity otherwise. y may be x.
func Affine(y, x, z []float32, s, t float32, relu bool) {
	n := len(y)
	need("Affine", n, x)
	if z != nil {
		need("Affine", n, z)
		z = z[:n]
	}
	affine(y, x[:n], z, s, t, relu)
}

// AffineGrad writes da[i] = k·g + (c1·a[i] + c0) for i < len(da), where g = dy masked by
// the ReLU (dy where y > 0, +0 elsewhere) when relu, and g = dy otherwise.
func AffineGrad(da, dy, y, a []float32, relu bool, k, c1, c0 float32) {
	n := len(da)
	need("AffineGrad", n, dy, y, a)
	affineGrad(da, dy[:n], y[:n], a[:n], relu, k, c1, c0)
}

// AddMasked adds g to dst: dst[i] += dy[i] where y[i] > 0, for i < len(dst).
func AddMasked(dst, dy, y []float32) {
	n := len(dst)
	need("AddMasked", n, dy, y)
	addMasked(dst, dy[:n], y[:n])
}
