package mixing

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultMaxCond is the condition-number bound used where a bound of 0 is
// given (Guard.MaxCond, CheckMatrix's maxCond). De-mixing multiplies the
// relative float32 storage error of an upload (2⁻²⁴ ≈ 6e-8) by up to cond(C),
// so a bound of 1e3 keeps it below 6e-5, well under the resolution that
// matters for activations; it also cuts off the near-singular draws that
// would amplify the cloud body's non-linear error in mixing-aware training.
// It is our choice, not the paper's (the paper gives no bound); the paper's
// own 2×2 example has cond ≈ 10.9.
const DefaultMaxCond = 1e3

// Cond returns the 2-norm condition number of the square matrix c, the ratio
// of its largest to its smallest singular value. It is 1 for the identity
// (and any orthogonal matrix), +Inf for a singular matrix (the zero matrix
// included) or one whose singular value decomposition fails, and NaN if c
// has a NaN or infinite entry. Cond panics if c is not square.
func Cond(c *mat.Dense) float64 {
	r, cols := c.Dims()
	if r != cols {
		panic(fmt.Sprintf("mixing: Cond of a %dx%d matrix, need a square one", r, cols))
	}
	if !finite(c) {
		return math.NaN()
	}
	var svd mat.SVD
	if !svd.Factorize(c, mat.SVDNone) {
		return math.Inf(1)
	}
	s := svd.Values(nil)
	if s[len(s)-1] == 0 {
		return math.Inf(1)
	}
	return s[0] / s[len(s)-1]
}

// finite reports whether every entry of c is finite.
func finite(c *mat.Dense) bool {
	r, _ := c.Dims()
	for i := range r {
		for _, v := range c.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// invert returns the inverse of c, or an error if gonum finds c singular to
// working precision: exactly singular in its LU factorisation, or with a
// condition-number estimate above mat.ConditionTolerance (1e16).
func invert(c *mat.Dense) (*mat.Dense, error) {
	var inv mat.Dense
	if err := inv.Inverse(c); err != nil {
		return nil, err
	}
	return &inv, nil
}

// matrixShape returns the shape of m, or an error if its rows differ in
// length.
func matrixShape(m [][]float64) (rows, cols int, err error) {
	rows = len(m)
	if rows == 0 {
		return 0, 0, nil
	}
	cols = len(m[0])
	for i, row := range m {
		if len(row) != cols {
			return 0, 0, fmt.Errorf("mixing: fixed matrix row %d has %d entries, row 0 has %d", i, len(row), cols)
		}
	}
	return rows, cols, nil
}

// CheckMatrix reports whether m is a usable k×k mixing matrix for a group of
// size k: square of size k, finite, non-singular (as gonum's inverse judges
// it: see mat.Dense.Inverse) and with 2-norm condition number at most
// maxCond. A maxCond of 0 means DefaultMaxCond; +Inf checks everything but
// the condition number. The error names the problem, for example
// "mixing: fixed matrix is 2x3, need 2x2 (group_size)" or
// "mixing: fixed matrix has condition number 3.1e+05 > max_cond 1000".
// CheckMatrix is meant for validating a user's configuration before anything
// runs, so it returns errors rather than panicking, even for k < 1.
func CheckMatrix(m [][]float64, k int, maxCond float64) error {
	if k < 1 {
		return fmt.Errorf("mixing: group size %d, need ≥ 1", k)
	}
	if maxCond == 0 {
		maxCond = DefaultMaxCond
	}
	if !(maxCond >= 1) {
		return fmt.Errorf("mixing: max_cond %g, need ≥ 1 (or 0 for the default %g)", maxCond, float64(DefaultMaxCond))
	}
	rows, cols, err := matrixShape(m)
	if err != nil {
		return err
	}
	if rows != k || cols != k {
		return fmt.Errorf("mixing: fixed matrix is %dx%d, need %dx%d (group_size)", rows, cols, k, k)
	}
	c := mat.NewDense(k, k, nil)
	for i, row := range m {
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("mixing: fixed matrix entry [%d][%d] is %g, need a finite number", i, j, v)
			}
		}
		c.SetRow(i, row)
	}
	if _, err := invert(c); err != nil {
		return fmt.Errorf("mixing: fixed matrix is singular")
	}
	if cond := Cond(c); !(cond <= maxCond) {
		return fmt.Errorf("mixing: fixed matrix has condition number %.2g > max_cond %g", cond, maxCond)
	}
	return nil
}
