package mixing

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// roundTripTol is the bound on ‖Z[:,j] − H[:,j]‖₂ for Z = Demix(Mix(H)), per
// column j. Mix stores M = C·H in float32, an error E with ‖E[:,j]‖ ≤
// u32·‖M[:,j]‖ ≤ u32·‖C‖·‖H[:,j]‖; de-mixing multiplies it by C⁻¹, giving at
// most cond(C)·u32·‖H[:,j]‖, and storing Z in float32 adds u32·‖H[:,j]‖ more.
// The float64 arithmetic (the computed C⁻¹ is off by about k·cond·2⁻⁵³
// relative, ≤ 4e-12 here) is far below that; the factor 2 is slack for it.
func roundTripTol(cond, colNorm float64) float64 {
	return 2 * (cond + 1) * u32 * colNorm
}

// checkRoundTrip fails the test if z is not h to within roundTripTol.
func checkRoundTrip(t *testing.T, what string, z, h []float32, d int, cond float64) {
	t.Helper()
	for j := range d {
		norm, diff := colNorms(h, z, d, j)
		if tol := roundTripTol(cond, norm); diff > tol {
			t.Fatalf("%s: column %d off by %g, tolerance %g (cond %.3g)", what, j, diff, tol, cond)
		}
	}
}

// TestRoundTrip is the method's defining property: de-mixing the mixed
// group returns it, for every sampler and every k in 1..16.
func TestRoundTrip(t *testing.T) {
	rng := newRNG(20)
	samplers := []Sampler{
		mustSampler(t, "dirichlet", 0.3, nil),
		mustSampler(t, "dirichlet", 1, nil),
		mustSampler(t, "dirichlet", 10, nil),
		mustSampler(t, "uniform", 0, nil),
		mustSampler(t, "gaussian", 0, nil),
	}
	for k := 1; k <= 16; k++ {
		// A fixed sampler needs a matrix of each size: take a guarded
		// gaussian draw.
		c, _, err := Guard{}.Draw(mustSampler(t, "gaussian", 0, nil), rng, k)
		if err != nil {
			t.Fatal(err)
		}
		all := append(samplers[:len(samplers):len(samplers)], mustSampler(t, "fixed", 0, rows(c)))
		for _, s := range all {
			d := 1 + rng.IntN(300)
			c, cInv, err := Guard{}.Draw(s, rng, k)
			if err != nil {
				t.Fatalf("%s k=%d: %v", s.Name(), k, err)
			}
			h := randBlock(rng, k, d)
			m := make([]float32, k*d)
			z := make([]float32, k*d)
			Mix(m, c, h, d)
			Demix(z, cInv, m, d)
			checkRoundTrip(t, fmt.Sprintf("%s k=%d d=%d", s.Name(), k, d), z, h, d, Cond(c))
		}
	}
}

// TestMixDefinition checks Mix against C·H computed directly in float64:
// row i of the result is Σ_l C[i][l]·h[l], rounded once to float32.
func TestMixDefinition(t *testing.T) {
	rng := newRNG(21)
	for _, k := range []int{1, 2, 3, 16, 17} { // 17 exceeds the stack buffers
		const d = 5
		c := mustSampler(t, "gaussian", 0, nil).Sample(rng, k)
		h := randBlock(rng, k, d)
		got := make([]float32, k*d)
		Mix(got, c, h, d)
		for i := range k {
			for j := range d {
				var want float64
				for l := range k {
					want += c.At(i, l) * float64(h[l*d+j])
				}
				// The same float64 sum in the same order: equal after the
				// one rounding to float32.
				if got[i*d+j] != float32(want) {
					t.Fatalf("k=%d: M[%d][%d] = %g, want %g", k, i, j, got[i*d+j], float32(want))
				}
			}
		}
	}
}

func TestMixInPlace(t *testing.T) {
	rng := newRNG(22)
	for _, k := range []int{1, 2, 5} {
		const d = 9
		c := mustSampler(t, "uniform", 0, nil).Sample(rng, k)
		h := randBlock(rng, k, d)
		want := make([]float32, k*d)
		Mix(want, c, h, d)
		Mix(h, c, h, d)
		for i := range h {
			if h[i] != want[i] {
				t.Fatalf("k=%d: in-place Mix differs at %d: %g, want %g", k, i, h[i], want[i])
			}
		}
	}
}

// TestPaperExample mixes two known vectors A and B with the paper's matrix
// C = [[0.7, 0.3], [0.6, 0.4]] and de-mixes them.
func TestPaperExample(t *testing.T) {
	a := []float32{1, 2, 3, -4, 0.5}
	b := []float32{4, 5, 6, 8, -0.25}
	const d = 5
	s := mustSampler(t, "fixed", 0, paperMatrix)
	c, cInv, err := Guard{}.Draw(s, newRNG(23), 2)
	if err != nil {
		t.Fatal(err)
	}
	h := append(append([]float32(nil), a...), b...)
	m := make([]float32, 2*d)
	Mix(m, c, h, d)
	for j := range d {
		for i, w := range [][2]float64{{0.7, 0.3}, {0.6, 0.4}} {
			want := w[0]*float64(a[j]) + w[1]*float64(b[j])
			// u32·|want|: float32 storage of a float64 result (the float64
			// rounding, 2⁻⁵³ relative, is 2²⁹ times smaller).
			if got := float64(m[i*d+j]); math.Abs(got-want) > u32*math.Abs(want) {
				t.Errorf("upload %d, feature %d: %g, want %g·A + %g·B = %g", i, j, got, w[0], w[1], want)
			}
		}
	}
	z := make([]float32, 2*d)
	Demix(z, cInv, m, d)
	// Per entry, the column bound of roundTripTol: cond ≈ 10.9 (TestCond),
	// so de-mixing returns A and B to about 24 float32 units of round-off.
	cond := Cond(c)
	for j := range d {
		norm, _ := colNorms(h, z, d, j)
		for i, want := range []float32{a[j], b[j]} {
			if diff := math.Abs(float64(z[i*d+j] - want)); diff > roundTripTol(cond, norm) {
				t.Errorf("de-mixed %c[%d] = %g, want %g", "AB"[i], j, z[i*d+j], want)
			}
		}
	}
}

func TestMixPanics(t *testing.T) {
	c := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	h := make([]float32, 6)
	mustPanic(t, "Mix of a 2x3 block: len(src) = 5, len(dst) = 6, need 6", func() { Mix(h, c, h[:5], 3) })
	mustPanic(t, "Demix of a 2x3 block: len(src) = 6, len(dst) = 4, need 6", func() { Demix(h[:4], c, h, 3) })
	mustPanic(t, "Mix with a 2x3 matrix", func() { Mix(h, mat.NewDense(2, 3, nil), h, 3) })
	mustPanic(t, "Mix with feature length 0", func() { Mix(nil, c, nil, 0) })
	mustPanic(t, "MixBatch of 2 groups (4 rows) of length 3: len(src) = 6", func() { MixBatch(h, []*mat.Dense{c, c}, h, 3) })
	mustPanic(t, "DemixBatch: matrix 1 is 2x3", func() { DemixBatch(h, []*mat.Dense{c, mat.NewDense(2, 3, nil)}, h, 3) })
	mustPanic(t, "MixBatch with feature length -1", func() { MixBatch(h, []*mat.Dense{c}, h, -1) })
	mustPanic(t, "BlockDiag of 1 blocks (size 2): len(dst) = 6, need 4", func() { BlockDiag(h, []*mat.Dense{c}) })
}

// batchCase returns a batch made of groups of the given sizes, with one
// uniform matrix and its inverse per group.
func batchCase(t *testing.T, rng *rand.Rand, sizes []int, d int) (cs, cInvs []*mat.Dense, h []float32) {
	t.Helper()
	s := mustSampler(t, "uniform", 0, nil)
	n := 0
	for _, k := range sizes {
		c, cInv, err := Guard{}.Draw(s, rng, k)
		if err != nil {
			t.Fatal(err)
		}
		cs, cInvs = append(cs, c), append(cInvs, cInv)
		n += k
	}
	return cs, cInvs, randBlock(rng, n, d)
}

// TestBatchEqualsPerGroup checks MixBatch and DemixBatch against Mix and
// Demix on each group's rows: the same arithmetic, so equal exactly.
func TestBatchEqualsPerGroup(t *testing.T) {
	rng := newRNG(24)
	for _, sizes := range [][]int{{3, 3, 3, 3}, {2, 1, 4}, {5}, {}} {
		const d = 11
		cs, cInvs, h := batchCase(t, rng, sizes, d)
		got, back := make([]float32, len(h)), make([]float32, len(h))
		MixBatch(got, cs, h, d)
		DemixBatch(back, cInvs, got, d)
		off := 0
		for j, k := range sizes {
			rowsJ := h[off*d : (off+k)*d]
			want, wantBack := make([]float32, k*d), make([]float32, k*d)
			Mix(want, cs[j], rowsJ, d)
			Demix(wantBack, cInvs[j], want, d)
			for i := range want {
				if got[off*d+i] != want[i] || back[off*d+i] != wantBack[i] {
					t.Fatalf("sizes %v, group %d, entry %d: batch (%g, %g), per group (%g, %g)",
						sizes, j, i, got[off*d+i], back[off*d+i], want[i], wantBack[i])
				}
			}
			checkRoundTrip(t, fmt.Sprintf("sizes %v group %d", sizes, j), back[off*d:(off+k)*d], rowsJ, d, Cond(cs[j]))
			off += k
		}
		MixBatch(h, cs, h, d) // in place
		for i := range h {
			if h[i] != got[i] {
				t.Fatalf("sizes %v: in-place MixBatch differs at %d", sizes, i)
			}
		}
	}
}

func TestBlockDiag(t *testing.T) {
	b0 := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	b1 := mat.NewDense(1, 1, []float64{5})
	b2 := mat.NewDense(3, 3, []float64{6, 7, 8, 9, 10, 11, 12, 13, 14})
	dst := make([]float32, 6*6)
	for i := range dst {
		dst[i] = float32(math.NaN()) // BlockDiag must clear what is outside the blocks
	}
	BlockDiag(dst, []*mat.Dense{b0, b1, b2})
	want := []float32{
		1, 2, 0, 0, 0, 0,
		3, 4, 0, 0, 0, 0,
		0, 0, 5, 0, 0, 0,
		0, 0, 0, 6, 7, 8,
		0, 0, 0, 9, 10, 11,
		0, 0, 0, 12, 13, 14,
	}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("entry [%d][%d] = %g, want %g", i/6, i%6, dst[i], want[i])
		}
	}
	BlockDiag(nil, nil) // an empty batch is the 0×0 matrix

	// BlockDiag(cs)·H equals MixBatch(H). Tolerance per entry:
	// 2·u32·Σ_l |B_il|·|h_lj| — BlockDiag stores each coefficient in float32
	// (relative error u32, so at most u32·Σ|B||h| in the sum) and MixBatch
	// stores its result in float32 (u32·|M| ≤ u32·Σ|B||h|).
	rng := newRNG(25)
	const d = 7
	cs, _, h := batchCase(t, rng, []int{2, 3, 1, 2}, d)
	n := len(h) / d
	bd := make([]float32, n*n)
	BlockDiag(bd, cs)
	got := make([]float32, len(h))
	MixBatch(got, cs, h, d)
	for i := range n {
		for j := range d {
			var want, scale float64
			for l := range n {
				want += float64(bd[i*n+l]) * float64(h[l*d+j])
				scale += math.Abs(float64(bd[i*n+l]) * float64(h[l*d+j]))
			}
			if e := math.Abs(float64(got[i*d+j]) - want); e > 2*u32*scale {
				t.Fatalf("row %d, feature %d: MixBatch %g, BlockDiag·H %g", i, j, got[i*d+j], want)
			}
		}
	}
}

// TestPipeline runs the edge's whole round: mix the groups, shuffle the
// uploads, let a "cloud" apply a row-wise map, unshuffle, de-mix. With a
// linear row-wise map (×2, which commutes with C) the edge gets 2·H back.
func TestPipeline(t *testing.T) {
	rng := newRNG(26)
	const n, k, d = 24, 4, 10
	cs, cInvs, err := DrawGroups(Guard{}, mustSampler(t, "dirichlet", 1, nil), rng, n, k)
	if err != nil {
		t.Fatal(err)
	}
	h := randBlock(rng, n, d)
	m := make([]float32, n*d)
	MixBatch(m, cs, h, d)
	perm := Permutation(rng, n)
	up := make([]float32, n*d)
	Shuffle(up, m, d, perm)
	for i := range up {
		up[i] *= 2 // exact in float32
	}
	back := make([]float32, n*d)
	Unshuffle(back, up, d, perm)
	z := make([]float32, n*d)
	DemixBatch(z, cInvs, back, d)
	for j := range cs {
		want := make([]float32, k*d)
		for i, v := range h[j*k*d : (j+1)*k*d] {
			want[i] = 2 * v
		}
		checkRoundTrip(t, fmt.Sprintf("group %d", j), z[j*k*d:(j+1)*k*d], want, d, Cond(cs[j]))
	}
}

func benchmarkBatch(b *testing.B, demix bool) {
	// n = 64 rows in groups of k = 2 with d = 3136 features, the size the
	// harness benchmarks (3136 = 64·7·7 = 16·14·14, an MNIST feature map).
	const n, k, d = 64, 2, 3136
	rng := newRNG(27)
	cs, cInvs, err := DrawGroups(Guard{}, mustSampler(b, "dirichlet", 1, nil), rng, n, k)
	if err != nil {
		b.Fatal(err)
	}
	h := randBlock(rng, n, d)
	dst := make([]float32, n*d)
	b.SetBytes(int64(len(h) * 4))
	for b.Loop() {
		if demix {
			DemixBatch(dst, cInvs, h, d)
		} else {
			MixBatch(dst, cs, h, d)
		}
	}
}

func BenchmarkMixBatch(b *testing.B)   { benchmarkBatch(b, false) }
func BenchmarkDemixBatch(b *testing.B) { benchmarkBatch(b, true) }
