package mixing

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// scripted is a Sampler that returns the matrices of a script in turn,
// repeating the last one, and counts its calls.
type scripted struct {
	name   string
	script []*mat.Dense
	calls  int
}

func (s *scripted) Name() string { return s.name }
func (s *scripted) Convex() bool { return false }

func (s *scripted) Sample(_ *rand.Rand, k int) *mat.Dense {
	c := s.script[min(s.calls, len(s.script)-1)]
	s.calls++
	return mat.DenseCopyOf(c)
}

func TestGuardGivesUp(t *testing.T) {
	singular := mat.NewDense(2, 2, []float64{1, 1, 1, 1})
	for _, tc := range []struct {
		desc  string
		c     *mat.Dense
		guard Guard
		tries int
		want  string
	}{
		{"singular", singular, Guard{MaxCond: 50, MaxTries: 7}, 7,
			"mixing: sampler bad drew no invertible 2x2 matrix with condition number ≤ 50 in 7 tries (last draw: singular)"},
		{"zero Guard uses the defaults", singular, Guard{}, DefaultMaxTries,
			"mixing: sampler bad drew no invertible 2x2 matrix with condition number ≤ 1000 in 100 tries (last draw: singular)"},
		{"ill-conditioned", mat.NewDense(2, 2, []float64{1, 0, 0, 1e-6}), Guard{MaxTries: 3}, 3,
			"mixing: sampler bad drew no invertible 2x2 matrix with condition number ≤ 1000 in 3 tries (last draw: condition number 1e+06)"},
		{"NaN", mat.NewDense(2, 2, []float64{1, 0, 0, math.NaN()}), Guard{MaxTries: 2}, 2,
			"(last draw: a non-finite entry)"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := &scripted{name: "bad", script: []*mat.Dense{tc.c}}
			c, cInv, err := tc.guard.Draw(s, newRNG(6), 2)
			if err == nil {
				t.Fatalf("got C = %v, C⁻¹ = %v, want an error", mat.Formatted(c), mat.Formatted(cInv))
			}
			if !strings.HasPrefix(err.Error(), "mixing: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one containing %q", err, tc.want)
			}
			if s.calls != tc.tries {
				t.Errorf("sampler called %d times, want %d", s.calls, tc.tries)
			}
		})
	}
}

func TestGuardResamples(t *testing.T) {
	good := mat.NewDense(2, 2, []float64{0.7, 0.3, 0.6, 0.4})
	s := &scripted{name: "flaky", script: []*mat.Dense{
		mat.NewDense(2, 2, []float64{1, 1, 1, 1}),           // singular
		mat.NewDense(2, 2, []float64{1, 0, 0, 1e-9}),        // cond 1e9
		mat.NewDense(2, 2, []float64{math.Inf(1), 0, 0, 1}), // non-finite
		good,
	}}
	c, cInv, err := Guard{MaxTries: 4}.Draw(s, newRNG(7), 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.calls != 4 || !mat.Equal(c, good) {
		t.Errorf("after %d calls got C = %v, want the 4th draw %v", s.calls, mat.Formatted(c), mat.Formatted(good))
	}
	// C⁻¹ = [[4, −3], [−6, 7]]. 1e-13: an LU inverse has error about
	// cond(C)·2⁻⁵³·‖C⁻¹‖ ≈ 10.9 · 1.1e-16 · 10 ≈ 1.2e-14; ×10 slack.
	want := mat.NewDense(2, 2, []float64{4, -3, -6, 7})
	if !mat.EqualApprox(cInv, want, 1e-13) {
		t.Errorf("C⁻¹ = %v, want %v", mat.Formatted(cInv), mat.Formatted(want))
	}
}

// TestGuardInverse checks C·C⁻¹ = I for every built-in sampler and k ≤ 16.
func TestGuardInverse(t *testing.T) {
	rng := newRNG(8)
	for _, s := range []Sampler{mustSampler(t, "dirichlet", 0.5, nil), mustSampler(t, "uniform", 0, nil), mustSampler(t, "gaussian", 0, nil)} {
		for k := 1; k <= 16; k++ {
			c, cInv, err := Guard{}.Draw(s, rng, k)
			if err != nil {
				t.Fatalf("%s k=%d: %v", s.Name(), k, err)
			}
			cond := Cond(c)
			if !(cond <= DefaultMaxCond) {
				t.Fatalf("%s k=%d: accepted cond %g > %g", s.Name(), k, cond, float64(DefaultMaxCond))
			}
			var p mat.Dense
			p.Mul(c, cInv)
			// 4k·cond·2⁻⁵³: the residual of an LU-computed inverse is bounded
			// by a small multiple of k·cond(C)·u (Higham, "Accuracy and
			// Stability of Numerical Algorithms", 2nd ed., 2002, ch. 14), with
			// ‖C‖·‖C⁻¹‖ = cond; 4 is slack for the multiply.
			tol := 4 * float64(k) * cond * u64
			for i := range k {
				for j := range k {
					want := 0.0
					if i == j {
						want = 1
					}
					if e := math.Abs(p.At(i, j) - want); e > tol {
						t.Fatalf("%s k=%d: (C·C⁻¹)[%d][%d] off by %g, tolerance %g", s.Name(), k, i, j, e, tol)
					}
				}
			}
		}
	}
}

func TestGuardPanics(t *testing.T) {
	s := mustSampler(t, "uniform", 0, nil)
	rng := newRNG(9)
	mustPanic(t, "Guard.MaxCond 0.5", func() { Guard{MaxCond: 0.5}.Draw(s, rng, 2) })
	mustPanic(t, "Guard.MaxCond NaN", func() { Guard{MaxCond: math.NaN()}.Draw(s, rng, 2) })
	mustPanic(t, "Guard.MaxTries -1", func() { Guard{MaxTries: -1}.Draw(s, rng, 2) })
	mustPanic(t, "group size 0", func() { Guard{}.Draw(s, rng, 0) })
	wrong := &scripted{name: "wrong", script: []*mat.Dense{mat.NewDense(3, 3, nil)}}
	mustPanic(t, "sampler wrong returned a 3x3 matrix for group size 2", func() { Guard{}.Draw(wrong, rng, 2) })
}

func TestDrawGroups(t *testing.T) {
	s := mustSampler(t, "dirichlet", 1, nil)
	cs, cInvs, err := DrawGroups(Guard{}, s, newRNG(10), 12, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 4 || len(cInvs) != 4 {
		t.Fatalf("got %d matrices and %d inverses, want 4 of each", len(cs), len(cInvs))
	}
	// Same seed, same draws: the experiments' reproducibility rests on it.
	again, _, err := DrawGroups(Guard{}, s, newRNG(10), 12, 3)
	if err != nil {
		t.Fatal(err)
	}
	for j := range cs {
		if r, c := cs[j].Dims(); r != 3 || c != 3 {
			t.Errorf("group %d: C is %dx%d, want 3x3", j, r, c)
		}
		if !mat.Equal(cs[j], again[j]) {
			t.Errorf("group %d: a second draw with the same seed differs", j)
		}
		if j > 0 && mat.Equal(cs[j], cs[j-1]) {
			t.Errorf("groups %d and %d share a matrix; each group needs a fresh C", j-1, j)
		}
	}
	if cs, _, err := DrawGroups(Guard{}, s, newRNG(10), 0, 3); err != nil || len(cs) != 0 {
		t.Errorf("empty batch: got %d matrices, err %v", len(cs), err)
	}

	bad := &scripted{name: "bad", script: []*mat.Dense{mat.NewDense(2, 2, nil)}}
	_, _, err = DrawGroups(Guard{MaxTries: 1}, bad, newRNG(11), 4, 2)
	if err == nil || !strings.HasPrefix(err.Error(), "mixing: sampler bad") || !strings.HasSuffix(err.Error(), "(group 0 of 2)") {
		t.Errorf("error %v, want the Guard's error for group 0 of 2", err)
	}

	mustPanic(t, "batch of 10 rows is not a whole number of groups of 3", func() { DrawGroups(Guard{}, s, newRNG(12), 10, 3) })
	mustPanic(t, "batch of -3 rows", func() { DrawGroups(Guard{}, s, newRNG(12), -3, 3) })
	mustPanic(t, "group size 0", func() { DrawGroups(Guard{}, s, newRNG(12), 4, 0) })
}
