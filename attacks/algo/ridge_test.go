package algo

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

// A noise-free linear map is recovered by the primal (d ≤ n) and the dual (d > n) solver. In
// the dual case the inputs lie in a 10-dimensional subspace, so 30 rows determine the map there.
func TestRidgeRecoversLinearMap(t *testing.T) {
	for _, c := range []struct {
		name    string
		n, d, r int
	}{{"primal", 200, 20, 20}, {"dual", 30, 60, 10}} {
		t.Run(c.name, func(t *testing.T) {
			rng := newRNG(4)
			const o = 3
			randm := func(r, c int) *mat.Dense {
				m := mat.NewDense(r, c, nil)
				for i := range r {
					for j := range c {
						m.Set(i, j, rng.NormFloat64())
					}
				}
				return m
			}
			a, basis := randm(c.d, o), randm(c.r, c.d)
			gen := func(n int) (*mat.Dense, *mat.Dense) {
				var x, y mat.Dense
				x.Mul(randm(n, c.r), basis)
				y.Mul(&x, a)
				for i := range n {
					for j := range o {
						y.Set(i, j, y.At(i, j)+5)
					}
				}
				return &x, &y
			}
			x, y := gen(c.n)
			r, err := FitRidge(x, y, rng, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Unseen inputs are mapped right. 1e-3 of the target variance (about d): the
			// smallest strength tried (1e-6 of the mean eigenvalue) biases the fit by far less.
			xt, yt := gen(10)
			if l := mseLoss(r.Predict(xt), yt); l > 1e-3*float64(c.d) {
				t.Errorf("test MSE %g, want ≤ %g", l, 1e-3*float64(c.d))
			}
		})
	}
}
