package gemm

import (
	"math"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// dgemmCase is a random float64 product: shapes around the 6×8 tile and the kc block,
// transposes, alpha and beta, padded strides.
type dgemmCase struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float64
	pad         int
}

func randDgemmCase(rng interface{ IntN(int) int }) dgemmCase {
	return dgemmCase{tA: rng.IntN(2) == 1, tB: rng.IntN(2) == 1, m: rng.IntN(40), n: rng.IntN(50), k: rng.IntN(600),
		alpha: []float64{1, -0.5, 2, 0}[rng.IntN(4)], beta: []float64{0, 1, 0.75}[rng.IntN(3)], pad: rng.IntN(3)}
}

// setup returns the operands (NaN in C where beta is 0: it must not be read).
func (tc dgemmCase) setup(rng interface{ Float64() float64 }) (a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	fill := func(rows, cols, pad int) ([]float64, int) {
		ld := cols + pad
		x := make([]float64, max(rows*ld, 1))
		for i := range x {
			x[i] = rng.Float64()*2 - 1
		}
		return x, ld
	}
	if tc.tA {
		a, lda = fill(tc.k, tc.m, tc.pad)
	} else {
		a, lda = fill(tc.m, tc.k, tc.pad)
	}
	if tc.tB {
		b, ldb = fill(tc.n, tc.k, tc.pad)
	} else {
		b, ldb = fill(tc.k, tc.n, tc.pad)
	}
	c, ldc = fill(tc.m, tc.n, tc.pad)
	if tc.beta == 0 {
		for i := range c {
			c[i] = math.NaN()
		}
	}
	return a, lda, b, ldb, c, ldc
}

// check holds got to the float64 reference with the error bound of a sum of k+2 terms,
// (k+3)·2⁻⁵³·Σ|terms| (Higham, §3.1).
func (tc dgemmCase) check(t *testing.T, what string, a []float64, lda int, b []float64, ldb int, c0, got []float64, ldc int) {
	t.Helper()
	at := func(x []float64, ld int, tr bool, i, j int) float64 {
		if tr {
			return x[j*ld+i]
		}
		return x[i*ld+j]
	}
	for i := range tc.m {
		for j := range tc.n {
			var s, mag float64
			for p := range tc.k {
				v := tc.alpha * at(a, lda, tc.tA, i, p) * at(b, ldb, tc.tB, p, j)
				s += v
				mag += math.Abs(v)
			}
			if tc.beta != 0 {
				v := tc.beta * c0[i*ldc+j]
				s += v
				mag += math.Abs(v)
			}
			if g := got[i*ldc+j]; math.Abs(g-s) > float64(tc.k+3)*0x1p-53*mag || math.IsNaN(g) {
				t.Fatalf("%s %+v: C[%d,%d] = %v, reference %v", what, tc, i, j, g, s)
			}
		}
	}
}

// TestDgemm: random shapes against float64 loops; one goroutine and several give the same
// bits.
func TestDgemm(t *testing.T) {
	rng := newRNG(41)
	for range 150 {
		tc := randDgemmCase(rng)
		a, lda, b, ldb, c0, ldc := tc.setup(rng)
		got := append([]float64(nil), c0...)
		Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got, ldc)
		tc.check(t, "Dgemm", a, lda, b, ldb, c0, got, ldc)
		one := append([]float64(nil), c0...)
		prev := runtime.GOMAXPROCS(1)
		Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, one, ldc)
		runtime.GOMAXPROCS(prev)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(one[i]) && !(math.IsNaN(got[i]) && math.IsNaN(one[i])) {
				t.Fatalf("%+v: C[%d] = %v on %d goroutines, %v on one", tc, i, got[i], prev, one[i])
			}
		}
	}
}

// TestBLAS64: BLAS64.Dgemm is gonum's Dgemm contract (row-major): the same products as
// gonum's own implementation, within the float64 bound.
func TestBLAS64(t *testing.T) {
	rng := newRNG(42)
	tr := map[bool]blas.Transpose{false: blas.NoTrans, true: blas.Trans}
	for range 60 {
		tc := randDgemmCase(rng)
		a, lda, b, ldb, c0, ldc := tc.setup(rng)
		ours, theirs := append([]float64(nil), c0...), append([]float64(nil), c0...)
		BLAS64{}.Dgemm(tr[tc.tA], tr[tc.tB], tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, ours, ldc)
		gonum.Implementation{}.Dgemm(tr[tc.tA], tr[tc.tB], tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, theirs, ldc)
		tc.check(t, "BLAS64", a, lda, b, ldb, c0, ours, ldc)
		tc.check(t, "gonum", a, lda, b, ldb, c0, theirs, ldc)
	}
}
