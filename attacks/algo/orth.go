package algo

import "math"

// project removes from v its projections on the rows of basis, one after another (modified
// Gram–Schmidt: each coefficient is taken against what the previous ones left), and returns
// the squared norm of what is left. The rows of basis must be orthonormal.
func project(v []float64, basis [][]float64) float64 {
	for _, q := range basis {
		var c float64
		for t := range v {
			c += v[t] * q[t]
		}
		for t := range v {
			v[t] -= c * q[t]
		}
	}
	var sq float64
	for _, x := range v {
		sq += x * x
	}
	return sq
}

// scaleTo1 divides v by the square root of sq, its squared norm.
func scaleTo1(v []float64, sq float64) {
	n := math.Sqrt(sq)
	for t := range v {
		v[t] /= n
	}
}
