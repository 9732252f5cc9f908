package defence

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

// rows returns n rows of d values, row r drawn from N(r, (r+1)²), so that every row has its
// own mean and spread.
func rows(rng *rand.Rand, n, d int) []float32 {
	x := make([]float32, n*d)
	for r := range n {
		for j := range d {
			x[r*d+j] = float32(float64(r) + float64(r+1)*rng.NormFloat64())
		}
	}
	return x
}

// standardised returns the draws the defence added, (y − x)/(s·σ(x)) row by row.
func standardised(x, y []float32, d int, s float64) []float64 {
	e := make([]float64, len(x))
	for lo := 0; lo < len(x); lo += d {
		_, std := RowStats(x[lo : lo+d])
		for j := lo; j < lo+d; j++ {
			e[j] = (float64(y[j]) - float64(x[j])) / (s * std)
		}
	}
	return e
}

func moments(e []float64) (mean, variance, meanAbs float64) {
	for _, v := range e {
		mean += v
		meanAbs += math.Abs(v)
	}
	n := float64(len(e))
	mean /= n
	meanAbs /= n
	for _, v := range e {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / (n - 1), meanAbs
}

// z is the bound of every statistical check below, in standard errors: a two-sided normal
// tail beyond 4.42σ has probability 1e-5, so each check fails falsely about once in 100,000
// seeds (the sample sizes, 200,000 values, make the normal approximation of the means exact
// to far better than that).
const z = 4.42

func within(t *testing.T, what string, got, want, stderr float64) {
	t.Helper()
	if math.Abs(got-want) > z*stderr {
		t.Errorf("%s = %.5f, want %.5f ± %.5f (%.2f standard errors)", what, got, want, z*stderr, z)
	}
}

// TestNoiseStatistics: the noise added is s·σ(x)·e with σ(x) the row's own standard deviation
// and e of the stated distribution: mean, variance and mean absolute value of e match the
// distribution's (Gaussian: 0, 1, √(2/π); Laplace with variance 1: 0, 1, 1/√2; offsets
// uniform on [0, 1): 1/2, 1/12, 1/2).
func TestNoiseStatistics(t *testing.T) {
	const n, d, s = 100, 2000, 0.7
	cases := []struct {
		dist               Dist
		mean, vari, absM   float64
		varSD, absSD       float64 // standard deviations of e² and |e| for one value
		lowest, upperBound float64
	}{
		// Var(e²) = E e⁴ − 1: 2 for the Gaussian, 6 − 1 = 5 for the Laplace (kurtosis 6).
		{Gaussian, 0, 1, math.Sqrt(2 / math.Pi), math.Sqrt(2), math.Sqrt(1 - 2/math.Pi), math.Inf(-1), math.Inf(1)},
		{Laplace, 0, 1, 1 / math.Sqrt2, math.Sqrt(5), math.Sqrt(0.5), math.Inf(-1), math.Inf(1)},
		// Uniform[0,1): Var(e) = 1/12, Var((e−½)²) = 1/80 − 1/144 = 1/180.
		{Offset, 0.5, 1.0 / 12, 0.5, math.Sqrt(1.0 / 180), math.Sqrt(1.0 / 12), 0, 1},
	}
	for _, c := range cases {
		nz := Noise{Dist: c.dist, Scale: s, At: AfterMix}
		t.Run(nz.Kind(), func(t *testing.T) {
			rng := newRNG(1)
			x := rows(rng, n, d)
			y := append([]float32(nil), x...)
			var scratch []float32
			Stack{nz}.Apply(AfterMix, y, d, rng, &scratch)
			e := standardised(x, y, d, s)
			mean, vari, absM := moments(e)
			sdE := math.Sqrt(c.vari)
			N := float64(len(e))
			within(t, "mean of e", mean, c.mean, sdE/math.Sqrt(N))
			within(t, "variance of e", vari, c.vari, c.varSD/math.Sqrt(N))
			within(t, "mean |e|", absM, c.absM, c.absSD/math.Sqrt(N))
			for i, v := range e {
				// 1e-4: the division recovers e from float32 values of y − x.
				if v < c.lowest-1e-4 || v >= c.upperBound+1e-4 {
					t.Fatalf("e[%d] = %v outside [%v, %v)", i, v, c.lowest, c.upperBound)
				}
			}
		})
	}
}

// TestNoiseScalesWithRow: the noise of each row is proportional to that row's spread, and a
// row of equal values (σ = 0) is left as it is.
func TestNoiseScalesWithRow(t *testing.T) {
	const d = 4000
	rng := newRNG(2)
	x := rows(rng, 3, d)
	for j := 2 * d; j < 3*d; j++ {
		x[j] = 5 // a constant row
	}
	y := append([]float32(nil), x...)
	var scratch []float32
	Stack{Noise{Dist: Gaussian, Scale: 1, At: BeforeMix}}.Apply(BeforeMix, y, d, rng, &scratch)
	for r := range 2 {
		_, std := RowStats(x[r*d : (r+1)*d])
		var ss float64
		for j := r * d; j < (r+1)*d; j++ {
			ss += (float64(y[j]) - float64(x[j])) * (float64(y[j]) - float64(x[j]))
		}
		ratio := math.Sqrt(ss/d) / std
		// Relative standard error of a sample standard deviation: 1/√(2d) = 0.011.
		within(t, "noise s.d. / row s.d.", ratio, 1, 1/math.Sqrt(2*d))
	}
	for j := 2 * d; j < 3*d; j++ {
		if y[j] != x[j] {
			t.Fatalf("constant row changed at %d: %v → %v", j, x[j], y[j])
		}
	}
}

// TestMaskRate: a mask of rate p zeroes a fraction p of the values (binomial) and scales the
// others by exactly 1/(1 − p).
func TestMaskRate(t *testing.T) {
	for _, p := range []float64{0.1, 0.5, 0.9} {
		const n = 200000
		rng := newRNG(3)
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(1 + rng.Float64()) // never 0
		}
		y := append([]float32(nil), x...)
		var scratch []float32
		Stack{Mask{Rate: p, At: BeforeMix}}.Apply(BeforeMix, y, 100, rng, &scratch)
		zeros := 0
		keep := float32(1 / (1 - p))
		for i, v := range y {
			if v == 0 {
				zeros++
			} else if v != x[i]*keep {
				t.Fatalf("p = %v: kept value %v, want %v·%v", p, v, x[i], keep)
			}
		}
		within(t, "masked fraction", float64(zeros)/n, p, math.Sqrt(p*(1-p)/n))
	}
}

// TestQuantiseBound: every value comes back within Δ/2 of itself (Δ = (max − min)/(2^b − 1)
// of its row), a row takes at most 2^b distinct values, its minimum is sent exactly, and a
// constant row passes unchanged.
func TestQuantiseBound(t *testing.T) {
	rng := newRNG(4)
	const n, d = 20, 300
	x := rows(rng, n, d)
	for j := 0; j < d; j++ {
		x[j] = -2.5 // row 0 constant
	}
	for _, bits := range []int{1, 2, 4, 8, 12, 16} {
		q := make([]float32, len(x))
		Quantise(q, x, d, bits)
		for r := range n {
			row, qr := x[r*d:(r+1)*d], q[r*d:(r+1)*d]
			mn, mx := row[0], row[0]
			for _, v := range row {
				mn, mx = min(mn, v), max(mx, v)
			}
			step := (float64(mx) - float64(mn)) / float64(uint32(1)<<bits-1)
			// Float32 round-off of the decoded value lo + code·Δ: a few ulps of the row's
			// largest magnitude (4·2⁻²⁴ relative).
			slack := 4 * math.Max(math.Abs(float64(mn)), math.Abs(float64(mx))) / (1 << 24)
			levels := map[float32]bool{}
			for j, v := range row {
				if err := math.Abs(float64(qr[j]) - float64(v)); err > step/2+slack {
					t.Fatalf("%d bits, row %d: |%v − %v| = %g > Δ/2 = %g", bits, r, qr[j], v, err, step/2)
				}
				levels[qr[j]] = true
				if v == mn && qr[j] != mn {
					t.Fatalf("%d bits: minimum %v sent as %v", bits, mn, qr[j])
				}
			}
			if len(levels) > 1<<bits {
				t.Fatalf("%d bits, row %d: %d distinct values", bits, r, len(levels))
			}
			if r == 0 && len(levels) != 1 {
				t.Fatalf("%d bits: constant row became %d values", bits, len(levels))
			}
		}
	}
}

// TestDCorHandComputed checks DCor on a case worked by hand: x = (0, 1, 2), h = (0, 1, 0).
// Double centring gives A = [[-10, 2, 8], [2, -4, 2], [8, 2, -10]]/9 and
// B = [[-2, 4, -2], [4, -8, 4], [-2, 4, -2]]/9, so dCov²(x,h) = 72/729, dCov²(x,x) = 360/729,
// dCov²(h,h) = 144/729 and dCor² = 72/√(360·144) = 1/√10: dCor = 10^(−1/4) ≈ 0.5623.
func TestDCorHandComputed(t *testing.T) {
	got := DCor([]float32{0, 1, 2}, 1, []float32{0, 1, 0}, 1)
	if want := math.Pow(10, -0.25); math.Abs(got-want) > 1e-12 {
		t.Fatalf("dCor = %.15f, want 10^(-1/4) = %.15f", got, want)
	}
}

// TestDCorProperties: dCor is 1 when h is a scaled, shifted rotation of x, symmetric, in
// [0, 1], and 0 when h is constant.
func TestDCorProperties(t *testing.T) {
	rng := newRNG(5)
	const n = 12
	x := rows(rng, n, 2)
	h := make([]float32, n*2)
	c, s := float32(math.Cos(0.7)), float32(math.Sin(0.7))
	for i := range n {
		a, b := x[2*i], x[2*i+1]
		h[2*i], h[2*i+1] = 3*(c*a-s*b)+1, 3*(s*a+c*b)-2
	}
	// 1e-6: float32 storage of the rotated points.
	if got := DCor(x, 2, h, 2); math.Abs(got-1) > 1e-6 {
		t.Errorf("dCor of a similarity = %v, want 1", got)
	}
	other := rows(rng, n, 5)
	ab, ba := DCor(x, 2, other, 5), DCor(other, 5, x, 2)
	if math.Abs(ab-ba) > 1e-12 || ab < 0 || ab > 1 {
		t.Errorf("dCor(x, y) = %v, dCor(y, x) = %v: want equal, in [0, 1]", ab, ba)
	}
	if got := DCor(x, 2, make([]float32, n), 1); got != 0 {
		t.Errorf("dCor with a constant = %v, want 0", got)
	}
}

// TestDCorDistGradient checks ∂dCor/∂b against central differences.
func TestDCorDistGradient(t *testing.T) {
	rng := newRNG(6)
	const n = 6
	x, h := rows(rng, n, 3), rows(rng, n, 4)
	a0, b0 := Distances(x, 3), Distances(h, 4)
	f := func(b []float64) float64 {
		return DCorDist(append([]float64(nil), a0...), append([]float64(nil), b...), n, nil)
	}
	grad := make([]float64, n*n)
	DCorDist(append([]float64(nil), a0...), append([]float64(nil), b0...), n, grad)
	// Step 1e-6: truncation O(h²) ≈ 1e-12, cancellation ≈ 1e-16/1e-6 = 1e-10.
	const step = 1e-6
	for i := range b0 {
		b := append([]float64(nil), b0...)
		b[i] += step
		fp := f(b)
		b[i] -= 2 * step
		fm := f(b)
		num := (fp - fm) / (2 * step)
		if math.Abs(num-grad[i]) > 1e-7*(1+math.Abs(num)) {
			t.Fatalf("∂dCor/∂b[%d] = %v, central difference %v", i, grad[i], num)
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []struct {
		kind string
		p    Params
		want string
	}{
		{"gaussian", Params{Scale: -0.5, Stage: AfterMix}, "scale -0.5, need a finite number > 0"},
		{"laplace", Params{Scale: 0, Stage: AfterMix}, "scale 0, need a finite number > 0"},
		{"offset", Params{Scale: math.Inf(1), Stage: BeforeMix}, "scale +Inf"},
		{"mask", Params{Rate: 1, Stage: BeforeMix}, "mask rate 1, need 0 < rate < 1"},
		{"mask", Params{Rate: -0.1, Stage: BeforeMix}, "mask rate -0.1"},
		{"quantise", Params{Bits: 0, Stage: AfterMix}, "bits 0, need 1 ≤ bits ≤ 16"},
		{"quantise", Params{Bits: 17, Stage: AfterMix}, "bits 17"},
		{"quantise", Params{Bits: 8, Stage: BeforeMix}, "quantise at stage before_mix, it acts at after_mix"},
		{"nopeek", Params{Weight: -1, Stage: Training}, "weight -1"},
		{"nopeek", Params{Weight: 1, Stage: AfterMix}, "it acts at training"},
		{"blur", Params{}, `unknown kind "blur"`},
	} {
		_, err := New(c.kind, c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%s, %+v) = %v, want an error containing %q", c.kind, c.p, err, c.want)
		}
	}
}

func TestLabelsAndCosts(t *testing.T) {
	mk := func(kind string, p Params) Defence {
		d, err := New(kind, p)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	s := Stack{
		mk("gaussian", Params{Scale: 0.5, Stage: AfterMix}),
		mk("laplace", Params{Scale: 0.25, Stage: BeforeMix}),
		mk("mask", Params{Rate: 0.3, Stage: BeforeMix}),
		mk("offset", Params{Scale: 1, Stage: BeforeMix}),
		mk("nopeek", Params{Weight: 0.1, Stage: Training}),
		mk("quantise", Params{Bits: 4, Stage: AfterMix}),
	}
	if got, want := s.Label(), "gaussian σ=0.5 + laplace σ=0.25 (before mix) + mask 0.3 + offset 1 + nopeek 0.1 + quant 4 bit"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
	const d = 1000
	c := s.Cost(d)
	// 6 (noise) + 6 (noise) + 2 (mask) + 6 (offset) + 0 + 5 (quantise) per value.
	if c.Edge != 25*d || c.Cloud != 2*d || c.WireBytes != d*4/8+8 {
		t.Errorf("cost %+v, want edge %d, cloud %d, wire %d bytes", c, 25*d, 2*d, d*4/8+8)
	}
	if got := (Quantiser{Bits: 3}).Cost(5).WireBytes; got != 2+8 { // 15 bits → 2 bytes
		t.Errorf("3 bits × 5 values: %d bytes, want 10", got)
	}
	if w := s.NoPeekWeight(); w != 0.1 {
		t.Errorf("NoPeek weight %v", w)
	}
	if !s.Has(Training) || len(s.At(BeforeMix)) != 3 {
		t.Errorf("stages: %v", s.At(BeforeMix))
	}
}
