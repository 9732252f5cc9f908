package gemm

import (
	"math"
	"testing"
)

// tapsProblem is a random Taps problem over a padded image of c planes of hp×wp (the taps a
// k×k window over every plane, and room for rows×cols outputs), and its float64 result.
type tapsProblem struct {
	w         []float32
	off       []int
	src       []float32
	lds       int
	rows      int
	cols      int
	want, mag []float64
}

func newTapsProblem(rng interface {
	IntN(int) int
	Float32() float32
}, slack int) tapsProblem {
	c, k := 1+rng.IntN(5), 1+2*rng.IntN(3)
	rows, cols := 1+rng.IntN(33), 1+rng.IntN(40)
	hp, wp := rows+k-1, cols+k-1+rng.IntN(3)
	var tp tapsProblem
	tp.lds, tp.rows, tp.cols = wp, rows, cols
	for ci := range c {
		for u := range k {
			for v := range k {
				tp.off = append(tp.off, ci*hp*wp+u*wp+v)
				tp.w = append(tp.w, rng.Float32()*2-1)
			}
		}
	}
	tp.src = make([]float32, c*hp*wp+slack)
	for i := range tp.src {
		tp.src[i] = rng.Float32()*2 - 1
	}
	tp.want, tp.mag = make([]float64, rows*cols), make([]float64, rows*cols)
	for i := range rows {
		for j := range cols {
			for t, w := range tp.w {
				x := float64(w) * float64(tp.src[tp.off[t]+i*wp+j])
				tp.want[i*cols+j] += x
				tp.mag[i*cols+j] += math.Abs(x)
			}
		}
	}
	return tp
}

// near checks got against the float64 reference want with the error bound of a float32 sum of
// terms terms, (terms+1)·u·Σ|terms| (Higham, Accuracy and Stability of Numerical Algorithms,
// 2nd ed., §3.1), u = 2⁻²⁴.
func near(got float32, want, mag float64, terms int) bool {
	return math.Abs(float64(got)-want) <= float64(terms+1)*0x1p-24*mag
}

func (tp tapsProblem) run(t *testing.T, what string, out []float32, ldo int) {
	t.Helper()
	for i := range tp.rows {
		for j := range tp.cols {
			if g := out[i*ldo+j]; !near(g, tp.want[i*tp.cols+j], tp.mag[i*tp.cols+j], len(tp.w)) {
				t.Fatalf("%s: %d taps, %d×%d block of stride %d: out[%d][%d] = %v, float64 %v", what, len(tp.w), tp.rows, tp.cols, tp.lds, i, j, g, tp.want[i*tp.cols+j])
			}
		}
	}
}

// TestTaps: random ragged blocks (rows and columns not multiples of the 4×16 kernel block, a
// source with and without slack after it, so that some blocks run in Go), against float64.
func TestTaps(t *testing.T) {
	rng := newRNG(31)
	for trial := range 200 {
		tp := newTapsProblem(rng, []int{0, 16}[trial%2])
		ldo := tp.cols + rng.IntN(3)
		out := make([]float32, (tp.rows-1)*ldo+tp.cols)
		Taps(tp.w, tp.off, tp.src, tp.lds, out, ldo, tp.rows, tp.cols)
		tp.run(t, "Taps", out, ldo)
	}
}

// dotsProblem is a random Dots problem and its float64 result.
func dotsProblem(rng interface {
	IntN(int) int
	Float32() float32
}) (a, b []float32, off []int, want, mag []float64) {
	n := 16 * rng.IntN(60)
	a, b = make([]float32, n), make([]float32, n+rng.IntN(100))
	for i := range a {
		a[i] = rng.Float32()*2 - 1
	}
	for i := range b {
		b[i] = rng.Float32()*2 - 1
	}
	off = make([]int, rng.IntN(11))
	for t := range off {
		off[t] = rng.IntN(len(b) - n + 1)
	}
	want, mag = make([]float64, len(off)), make([]float64, len(off))
	for t, o := range off {
		for j := range a {
			x := float64(a[j]) * float64(b[o+j])
			want[t] += x
			mag[t] += math.Abs(x)
		}
	}
	return a, b, off, want, mag
}

// TestDots: random lengths (multiples of 16) and numbers of windows (not multiples of the
// kernel's 4), against float64.
func TestDots(t *testing.T) {
	rng := newRNG(32)
	for range 200 {
		a, b, off, want, mag := dotsProblem(rng)
		out := make([]float32, len(off))
		Dots(a, b, off, out)
		for i := range off {
			if !near(out[i], want[i], mag[i], len(a)) {
				t.Fatalf("Dots of %d: out[%d] = %v, float64 %v", len(a), i, out[i], want[i])
			}
		}
	}
}
