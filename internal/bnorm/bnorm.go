package bnorm

import "fmt"

// lanes is the number of float64 accumulators of every sum: element i goes to lane i mod 8.
const lanes = 8

// reduce adds up lane accumulators in a fixed order.
func reduce(acc *[lanes]float64) float64 {
	return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

func need(name string, n int, s ...[]float32) {
	for _, x := range s {
		if len(x) < n {
			panic(fmt.Sprintf("bnorm: %s of %d values: a slice has %d", name, n, len(x)))
		}
	}
}

// Transpose writes the channel planes dst[c·p+q] = src[q·o+c] of a pixel-major p×o matrix
// (p pixels of o channels).
func Transpose(dst, src []float32, p, o int) {
	need("Transpose", p*o, dst, src)
	transpose(dst[:p*o], src[:p*o], p, o)
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

// Sums returns Σa and Σa² (the squares in float64).
func Sums(a []float32) (sum, sumSq float64) {
	var s, q [lanes]float64
	sums(a, &s, &q)
	return reduce(&s), reduce(&q)
}

// MaskedSums returns Σg and Σg·a (the products in float64) over i < len(dy), where g = dy
// where y > 0 and 0 elsewhere when relu, and g = dy otherwise.
func MaskedSums(dy, y, a []float32, relu bool) (sumG, sumGA float64) {
	n := len(dy)
	need("MaskedSums", n, y, a)
	var s, q [lanes]float64
	maskedSums(dy, y[:n], a[:n], relu, &s, &q)
	return reduce(&s), reduce(&q)
}

// AffineGrad writes da[i] = k·g + (c1·a[i] + c0) for i < len(da), g as in MaskedSums.
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
