package defence

import (
	"fmt"
	"math"
)

// DCor returns the sample distance correlation of the n rows of x (n × dx) and h (n × dh)
// (Székely, Rizzo and Bakirov 2007, definition 4): with a_ij = ‖x_i − x_j‖ and b_ij =
// ‖h_i − h_j‖ double-centred into A and B,
//
//	dCov² = (1/n²) Σ A_ij·B_ij,   dCor = √( dCov²(x,h) / √(dCov²(x,x)·dCov²(h,h)) ),
//
// 0 when either variance is 0. It lies in [0, 1]: 0 when the rows are independent (in the
// limit), 1 when h is a rotation, scaling and shift of x. The NoPeek penalty is w·DCor of a
// batch's inputs and head outputs. Distances are computed directly in float64: a reference
// for the training op, which forms them from Gram matrices.
func DCor(x []float32, dx int, h []float32, dh int) float64 {
	if dx < 1 || dh < 1 || len(x)%dx != 0 || len(h)%dh != 0 || len(x)/dx != len(h)/dh {
		panic(fmt.Sprintf("defence: DCor of %d values in rows of %d and %d in rows of %d", len(x), dx, len(h), dh))
	}
	n := len(x) / dx
	return DCorDist(Distances(x, dx), Distances(h, dh), n, nil)
}

// Distances returns the n×n matrix (row-major) of Euclidean distances between the n rows of
// x (n × d), in float64.
func Distances(x []float32, d int) []float64 {
	n := len(x) / d
	out := make([]float64, n*n)
	for i := range n {
		for j := i + 1; j < n; j++ {
			var s float64
			for t := range d {
				v := float64(x[i*d+t]) - float64(x[j*d+t])
				s += v * v
			}
			out[i*n+j] = math.Sqrt(s)
			out[j*n+i] = out[i*n+j]
		}
	}
	return out
}

// DCorDist returns the distance correlation of two samples given by their n×n distance
// matrices a and b (row-major; DCor). When grad is not nil (n·n values) it also receives
// ∂dCor/∂b_ij, every entry of b taken as a separate variable: with R = dCor², V_a and V_b the
// distance variances and A, B the double-centred matrices,
//
//	∂R/∂b = (1/n²)·(A/√(V_a·V_b) − R·B/V_b),   ∂dCor/∂b = ∂R/∂b / (2·dCor)
//
// (double centring is a symmetric projection and A is already centred, so ∂dCov²/∂b = A/n²
// and ∂V_b/∂b = 2B/n²). Where dCor is 0 the derivative is undefined and grad is set to 0.
// a and b are overwritten with A and B.
func DCorDist(a, b []float64, n int, grad []float64) float64 {
	if len(a) != n*n || len(b) != n*n || (grad != nil && len(grad) != n*n) {
		panic(fmt.Sprintf("defence: DCorDist of %d and %d values as %d×%d", len(a), len(b), n, n))
	}
	doubleCentre(a, n)
	doubleCentre(b, n)
	var cab, caa, cbb float64
	for i := range a {
		cab += a[i] * b[i]
		caa += a[i] * a[i]
		cbb += b[i] * b[i]
	}
	nn := float64(n) * float64(n)
	cab, caa, cbb = cab/nn, caa/nn, cbb/nn
	if grad != nil {
		clear(grad)
	}
	if caa <= 0 || cbb <= 0 {
		return 0
	}
	den := math.Sqrt(caa * cbb)
	r := cab / den
	if r <= 0 { // sample dCov² is ≥ 0 for distance matrices; round-off can make it −0
		return 0
	}
	dcor := math.Sqrt(r)
	if grad != nil {
		for i := range grad {
			grad[i] = (a[i]/den - r*b[i]/cbb) / nn / (2 * dcor)
		}
	}
	return dcor
}

// doubleCentre replaces m (n×n) by m_ij − m̄_i· − m̄_·j + m̄_·· (row, column and grand means).
func doubleCentre(m []float64, n int) {
	row := make([]float64, n)
	col := make([]float64, n)
	var all float64
	for i := range n {
		for j := range n {
			v := m[i*n+j]
			row[i] += v
			col[j] += v
			all += v
		}
	}
	fn := float64(n)
	for i := range n {
		for j := range n {
			m[i*n+j] += all/(fn*fn) - row[i]/fn - col[j]/fn
		}
	}
}
