package mixing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNewSampler(t *testing.T) {
	paper := [][]float64{{0.7, 0.3}, {0.6, 0.4}}
	for _, tc := range []struct {
		name   string
		alpha  float64
		matrix [][]float64
	}{
		{"dirichlet", 0.5, nil},
		{"dirichlet", 1e-3, nil},
		{"uniform", 0, nil},
		{"gaussian", 0, [][]float64{}},
		{"fixed", 0, paper},
		{"fixed", 0, [][]float64{{-2}}},
	} {
		s := mustSampler(t, tc.name, tc.alpha, tc.matrix)
		if s.Name() != tc.name {
			t.Errorf("NewSampler(%q).Name() = %q", tc.name, s.Name())
		}
	}
	if got, want := strings.Join(SamplerNames(), ","), "dirichlet,uniform,gaussian,fixed"; got != want {
		t.Errorf("SamplerNames() = %s, want %s", got, want)
	}
}

func TestNewSamplerErrors(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		name   string
		alpha  float64
		matrix [][]float64
		want   string
	}{
		{"unknown name", "beta", 1, nil, `unknown sampler "beta", need one of dirichlet, uniform, gaussian, fixed`},
		{"names are case-sensitive", "Dirichlet", 1, nil, `unknown sampler "Dirichlet"`},
		{"alpha zero", "dirichlet", 0, nil, "dirichlet alpha 0, need a finite number > 0"},
		{"alpha negative", "dirichlet", -1, nil, "dirichlet alpha -1"},
		{"alpha NaN", "dirichlet", math.NaN(), nil, "dirichlet alpha NaN"},
		{"alpha Inf", "dirichlet", math.Inf(1), nil, "dirichlet alpha +Inf"},
		{"matrix for dirichlet", "dirichlet", 1, [][]float64{{1}}, `sampler "dirichlet" takes no matrix`},
		{"matrix for gaussian", "gaussian", 0, [][]float64{{1}}, `sampler "gaussian" takes no matrix`},
		{"fixed without matrix", "fixed", 0, nil, `sampler "fixed" needs a matrix`},
		{"fixed non-square", "fixed", 0, [][]float64{{1, 0, 0}, {0, 1, 0}}, "fixed matrix is 2x3, need a square matrix"},
		{"fixed ragged", "fixed", 0, [][]float64{{1, 0}, {0}}, "fixed matrix row 1 has 1 entries, row 0 has 2"},
		{"fixed NaN", "fixed", 0, [][]float64{{1, math.NaN()}, {0, 1}}, "fixed matrix entry [0][1] is NaN"},
		{"fixed singular", "fixed", 0, [][]float64{{1, 2}, {2, 4}}, "fixed matrix is singular"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s, err := NewSampler(tc.name, tc.alpha, tc.matrix)
			if err == nil {
				t.Fatalf("got sampler %s, want an error containing %q", s.Name(), tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "mixing: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want one containing %q", msg, tc.want)
			}
		})
	}
}

// TestSimplexRows checks that dirichlet and uniform rows are non-negative
// and sum to 1 for every k the harness uses.
func TestSimplexRows(t *testing.T) {
	rng := newRNG(1)
	samplers := []Sampler{
		mustSampler(t, "dirichlet", 0.01, nil), // the log-space path at its most extreme
		mustSampler(t, "dirichlet", 0.3, nil),
		mustSampler(t, "dirichlet", 1, nil),
		mustSampler(t, "dirichlet", 7, nil),
		mustSampler(t, "uniform", 0, nil),
	}
	for _, s := range samplers {
		for k := 1; k <= 16; k++ {
			// 4k·2⁻⁵³: each entry is a float64 quotient of values ≤ 1, so the
			// normalising sum (k−1 roundings), the k divisions and this test's
			// own sum (k−1 roundings) each contribute at most 2⁻⁵³; the uniform
			// sampler's k spacings and 1 − p likewise round k times.
			tol := 4 * float64(k) * u64
			for range 50 {
				c := s.Sample(rng, k)
				for i, row := range rows(c) {
					var sum float64
					for j, v := range row {
						if !(v >= 0 && v <= 1) {
							t.Fatalf("%s k=%d: C[%d][%d] = %g, need a value in [0, 1]", s.Name(), k, i, j, v)
						}
						sum += v
					}
					if math.Abs(sum-1) > tol {
						t.Fatalf("%s k=%d: row %d sums to 1%+g, tolerance %g", s.Name(), k, i, sum-1, tol)
					}
				}
			}
		}
	}
}

// TestGroupSizeOne documents what each sampler gives for k = 1.
func TestGroupSizeOne(t *testing.T) {
	// dirichlet and uniform: exactly [1], plain split inference.
	for _, s := range []Sampler{mustSampler(t, "dirichlet", 0.2, nil), mustSampler(t, "dirichlet", 3, nil), mustSampler(t, "uniform", 0, nil)} {
		rng := newRNG(2)
		for range 100 {
			if v := s.Sample(rng, 1).At(0, 0); v != 1 {
				t.Fatalf("%s k=1 gave [%g], want exactly [1]", s.Name(), v)
			}
		}
	}
	// gaussian: [z] with z ~ N(0, 1) (the 1/√k scale is 1), a secret signed scale.
	rng, ref := newRNG(3), newRNG(3)
	if got, want := mustSampler(t, "gaussian", 0, nil).Sample(rng, 1).At(0, 0), ref.NormFloat64(); got != want {
		t.Errorf("gaussian k=1 gave [%g], want [%g], the generator's first normal draw", got, want)
	}
	// fixed: the given 1×1 matrix.
	if got := mustSampler(t, "fixed", 0, [][]float64{{-2.5}}).Sample(rng, 1).At(0, 0); got != -2.5 {
		t.Errorf("fixed [[-2.5]] k=1 gave [%g]", got)
	}
}

func TestFixedSampler(t *testing.T) {
	s := mustSampler(t, "fixed", 0, [][]float64{{0.7, 0.3}, {0.6, 0.4}})
	rng := newRNG(4)
	c := s.Sample(rng, 2)
	c.Set(0, 0, 99) // a caller's change must not reach the sampler
	if got := s.Sample(rng, 2).At(0, 0); got != 0.7 {
		t.Errorf("after modifying a draw, the next draw has C[0][0] = %g, want 0.7", got)
	}
	mustPanic(t, "fixed matrix is 2x2, asked for group size 3", func() { s.Sample(rng, 3) })
}

func TestSamplePanicsOnBadGroupSize(t *testing.T) {
	rng := newRNG(5)
	for _, s := range []Sampler{
		mustSampler(t, "dirichlet", 1, nil),
		mustSampler(t, "uniform", 0, nil),
		mustSampler(t, "gaussian", 0, nil),
		mustSampler(t, "fixed", 0, [][]float64{{1}}),
	} {
		mustPanic(t, "group size 0, need ≥ 1", func() { s.Sample(rng, 0) })
	}
}

// dirichletMoment returns E[Π_j X_j^a_j] for X ~ Dirichlet(alpha, …, alpha)
// of dimension k, whose closed form is
// Γ(kα)/Γ(kα + Σa) · Π_j Γ(α + a_j)/Γ(α)
// (the standard Dirichlet moment formula: Kotz, Balakrishnan and Johnson,
// "Continuous Multivariate Distributions", vol. 1, 2nd ed., 2000, ch. 49).
func dirichletMoment(alpha float64, k int, a ...int) float64 {
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	total := 0
	l := lg(float64(k)*alpha) - float64(len(a))*lg(alpha)
	for _, aj := range a {
		total += aj
		l += lg(alpha + float64(aj))
	}
	return math.Exp(l - lg(float64(k)*alpha+float64(total)))
}

// zLimit is the bound on the z-score of each statistical check: a correct
// sampler exceeds it with two-sided normal probability 6.8e-6, about 1 in
// 147,000 per check (the sample sizes below make the normal approximation to
// a sample mean good).
const zLimit = 4.5

// checkMean fails the test if the sample mean of xs is more than zLimit
// standard errors from mean, where variance is the exact variance of one x.
func checkMean(t *testing.T, what string, xs []float64, mean, variance float64) {
	t.Helper()
	var s float64
	for _, x := range xs {
		s += x
	}
	got := s / float64(len(xs))
	if z := (got - mean) / math.Sqrt(variance/float64(len(xs))); math.Abs(z) > zLimit {
		t.Errorf("%s: sample mean %.6g, want %.6g (z = %.2f, limit %g)", what, got, mean, z, zLimit)
	}
}

// TestDirichletMoments compares the first and second moments of sampled
// rows with the Dirichlet closed forms: each column's mean (1/k), second
// moment E[X_j²] (so its variance, (1/k)(1−1/k)/(kα+1)) and the cross moment
// E[X_0·X_1], which a sampler with wrong row structure would miss. The
// uniform sampler, built by a different method, is held to the Dirichlet(1)
// moments: that is the test that uniform == Dirichlet(1) in distribution.
//
// False-failure rate: (2k+1) checks per case, 99 checks over all cases, so
// by the union bound a correct sampler fails this test for at most
// 99 × 6.8e-6 ≈ 1 in 1,500 seeds.
func TestDirichletMoments(t *testing.T) {
	type tc struct {
		s     Sampler
		alpha float64 // of the Dirichlet the sampler must match
		k     int
	}
	var cases []tc
	for _, alpha := range []float64{0.1, 0.5, 1, 4} {
		for _, k := range []int{2, 5} {
			cases = append(cases, tc{mustSampler(t, "dirichlet", alpha, nil), alpha, k})
		}
	}
	for _, k := range []int{2, 5, 9} {
		cases = append(cases, tc{mustSampler(t, "uniform", 0, nil), 1, k})
	}
	const draws = 4000 // matrices per case: 4000·k independent rows
	for ci, c := range cases {
		t.Run(fmt.Sprintf("%s_alpha%g_k%d", c.s.Name(), c.alpha, c.k), func(t *testing.T) {
			rng := newRNG(100 + uint64(ci))
			n := draws * c.k
			x := make([][]float64, c.k) // x[j][r]: column j of row r
			for j := range x {
				x[j] = make([]float64, 0, n)
			}
			for range draws {
				for _, row := range rows(c.s.Sample(rng, c.k)) {
					for j, v := range row {
						x[j] = append(x[j], v)
					}
				}
			}
			m1 := dirichletMoment(c.alpha, c.k, 1)
			m2 := dirichletMoment(c.alpha, c.k, 2)
			m4 := dirichletMoment(c.alpha, c.k, 4)
			sq := make([]float64, n)
			for j := range x {
				checkMean(t, fmt.Sprintf("E[X_%d]", j), x[j], m1, m2-m1*m1)
				for r, v := range x[j] {
					sq[r] = v * v
				}
				checkMean(t, fmt.Sprintf("E[X_%d²]", j), sq, m2, m4-m2*m2)
			}
			m11 := dirichletMoment(c.alpha, c.k, 1, 1)
			m22 := dirichletMoment(c.alpha, c.k, 2, 2)
			for r := range sq {
				sq[r] = x[0][r] * x[1][r]
			}
			checkMean(t, "E[X_0·X_1]", sq, m11, m22-m11*m11)
		})
	}
	if len(cases) != 11 {
		t.Fatalf("the false-failure rate above counts 99 checks over 11 cases, have %d cases", len(cases))
	}
}

// TestGaussianMoments checks entries are N(0, 1/k): mean 0 (variance 1/k)
// and second moment 1/k (variance of x², 2/k², from E[x⁴] = 3/k²).
// False-failure rate: 6 checks, about 1 in 25,000 seeds.
func TestGaussianMoments(t *testing.T) {
	s := mustSampler(t, "gaussian", 0, nil)
	for _, k := range []int{1, 3, 8} {
		rng := newRNG(200 + uint64(k))
		var xs, sq []float64
		for len(xs) < 20000 {
			c := s.Sample(rng, k)
			for _, row := range rows(c) {
				for _, v := range row {
					xs = append(xs, v)
					sq = append(sq, v*v)
				}
			}
		}
		kf := float64(k)
		checkMean(t, fmt.Sprintf("k=%d E[C_ij]", k), xs, 0, 1/kf)
		checkMean(t, fmt.Sprintf("k=%d E[C_ij²]", k), sq, 1/kf, 2/(kf*kf))
	}
}

// TestConvex: the simplex samplers and a fixed matrix of convex rows draw convex rows, a signed
// sampler and a fixed matrix with a negative entry or a row that does not sum to 1 do not —
// and every draw of a sampler that says so is convex.
func TestConvex(t *testing.T) {
	for _, tc := range []struct {
		name   string
		matrix [][]float64
		want   bool
	}{
		{"dirichlet", nil, true},
		{"uniform", nil, true},
		{"gaussian", nil, false},
		{"fixed", [][]float64{{0.7, 0.3}, {0.6, 0.4}}, true},
		{"fixed", [][]float64{{1.2, -0.2}, {0.6, 0.4}}, false},
		{"fixed", [][]float64{{0.7, 0.4}, {0.6, 0.4}}, false},
	} {
		s, err := NewSampler(tc.name, 1, tc.matrix)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Convex(); got != tc.want {
			t.Errorf("%s %v: Convex() = %v, want %v", tc.name, tc.matrix, got, tc.want)
		}
		if !tc.want {
			continue
		}
		k := 3
		if tc.matrix != nil {
			k = len(tc.matrix) // a fixed sampler serves its matrix's size only
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for range 50 {
			c := s.Sample(rng, k)
			r, _ := c.Dims()
			for i := range r {
				sum := 0.0
				for _, v := range c.RawRowView(i) {
					if v < 0 {
						t.Fatalf("%s: negative entry in %v", tc.name, c.RawMatrix().Data)
					}
					sum += v
				}
				if math.Abs(sum-1) > 1e-12 { // 1e-12: round-off of a normalised row of float64
					t.Fatalf("%s: a row sums to %v", tc.name, sum)
				}
			}
		}
	}
}
