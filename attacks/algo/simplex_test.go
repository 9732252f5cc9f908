package algo

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/mixing"
)

// sparseSources draws k non-negative sparse signals in [0,1] of length d, each with pixels
// where it alone is non-zero.
func sparseSources(rng interface{ Float64() float64 }, k, d int) []float64 {
	x := make([]float64, k*d)
	for i := range k {
		for j := range d {
			if rng.Float64() < 0.2 {
				x[i*d+j] = rng.Float64()
			}
		}
		x[i*d+i] = 1 // a pure pixel
		for l := range k {
			if l != i {
				x[l*d+i] = 0
			}
		}
	}
	return x
}

func TestSimplexUnmixIsExactWithPurePixels(t *testing.T) {
	rng := newRNG(2)
	const d = 500
	s, _ := mixing.NewSampler("dirichlet", 1, nil)
	for _, k := range []int{2, 4, 8} {
		x := sparseSources(rng, k, d)
		c, _, err := mixing.Guard{}.Draw(s, rng, k)
		if err != nil {
			t.Fatal(err)
		}
		m := make([]float64, k*d)
		mulSmall(m, c.RawMatrix().Data, x, k, d)
		got, err := SimplexUnmix(m, k, d)
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		// The columns come out in the order SPA finds them: compare up to a permutation.
		// 1e-9: a k×k solve with condition number ≤ 100 in float64.
		for j := range k {
			found := false
			for l := range k {
				same := true
				for i := range k {
					same = same && math.Abs(got.At(i, j)-c.At(i, l)) < 1e-9
				}
				found = found || same
			}
			if !found {
				t.Errorf("k=%d: column %d of the estimate matches no column of C:\n%v\nvs\n%v", k, j, mat.Formatted(got), mat.Formatted(c))
				break
			}
		}
	}
}

func TestRowSumScale(t *testing.T) {
	c := mat.NewDense(2, 2, []float64{0.7, 0.3, 0.6, 0.4})
	ci := invert(c)
	// What ICA could return: rows permuted and scaled by −3 and 0.5.
	u := mat.NewDense(2, 2, nil)
	u.SetRow(0, []float64{-3 * ci.At(1, 0), -3 * ci.At(1, 1)})
	u.SetRow(1, []float64{0.5 * ci.At(0, 0), 0.5 * ci.At(0, 1)})
	got := RowSumScale(u)
	want := mat.NewDense(2, 2, []float64{ci.At(1, 0), ci.At(1, 1), ci.At(0, 0), ci.At(0, 1)})
	if !mat.EqualApprox(got, want, 1e-12) {
		t.Errorf("RowSumScale = %v, want %v", mat.Formatted(got), mat.Formatted(want))
	}
}
