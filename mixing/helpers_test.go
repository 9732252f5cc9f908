package mixing

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// u32 is the unit round-off of float32 storage, 2⁻²⁴: rounding a real x to
// float32 changes it by at most u32·|x|.
const u32 = 0x1p-24

// u64 is the unit round-off of float64 arithmetic, 2⁻⁵³.
const u64 = 0x1p-53

// newRNG returns a seeded generator for one test; the second PCG word is an
// arbitrary fixed stream.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// randBlock returns rows×d float32 values drawn N(0, 1).
func randBlock(rng *rand.Rand, rows, d int) []float32 {
	h := make([]float32, rows*d)
	for i := range h {
		h[i] = float32(rng.NormFloat64())
	}
	return h
}

// mustPanic fails the test unless f panics with a message starting with
// "mixing: " and containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("no panic, want one containing %q", want)
			return
		}
		msg, ok := r.(string)
		if !ok || !strings.HasPrefix(msg, "mixing: ") || !strings.Contains(msg, want) {
			t.Errorf("panic %v, want a \"mixing: \" message containing %q", r, want)
		}
	}()
	f()
}

// mustSampler builds a sampler or fails the test.
func mustSampler(t testing.TB, name string, alpha float64, m [][]float64) Sampler {
	t.Helper()
	s, err := NewSampler(name, alpha, m)
	if err != nil {
		t.Fatalf("NewSampler(%q, %g, %v): %v", name, alpha, m, err)
	}
	return s
}

// rows returns c as nested slices.
func rows(c *mat.Dense) [][]float64 {
	r, _ := c.Dims()
	m := make([][]float64, r)
	for i := range m {
		m[i] = append([]float64(nil), c.RawRowView(i)...)
	}
	return m
}

// colNorm returns the Euclidean norm of column j of the row-major block x
// with row length d, and of the difference x − y in that column.
func colNorms(x, y []float32, d, j int) (norm, diff float64) {
	for i := j; i < len(x); i += d {
		norm += float64(x[i]) * float64(x[i])
		e := float64(x[i]) - float64(y[i])
		diff += e * e
	}
	return math.Sqrt(norm), math.Sqrt(diff)
}
