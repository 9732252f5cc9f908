package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b9)) }

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// naive is the float64 reference: C = alpha·op(A)·op(B) + beta·C, also returning Σ|terms|
// per element for the error bound.
func naive(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, abs float64
			for p := range k {
				ia, ib := i*lda+p, p*ldb+j
				if tA {
					ia = p*lda + i
				}
				if tB {
					ib = j*ldb + p
				}
				av, bv := a[ia], b[ib]
				t := float64(alpha) * float64(av) * float64(bv)
				s += t
				abs += math.Abs(t)
			}
			if beta != 0 {
				s += float64(beta) * float64(c[i*ldc+j])
				abs += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], mag[i*n+j] = s, abs
		}
	}
	return want, mag
}

type gemmCase struct {
	tA, tB      bool
	m, n, k     int
	alpha, beta float32
	pad         int // extra leading-dimension padding
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,alpha=%v,beta=%v,pad=%d", c.tA, c.tB, c.m, c.n, c.k, c.alpha, c.beta, c.pad)
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	// Edge sizes around the tile (6×16), the k-block (256) and the mc block (96), and the
	// shapes the models package runs (conv 32×196×400, 400×196×32, 16×784×25, dense 64×128×1568).
	shapes := [][3]int{{1, 1, 1}, {5, 15, 3}, {6, 16, 1}, {7, 17, 257}, {13, 33, 300}, {97, 40, 20},
		{32, 196, 400}, {400, 196, 32}, {300, 20, 4}, {16, 784, 25}, {64, 128, 1568}, {12, 4100, 9}, {0, 5, 3}, {4, 5, 0}}
	for i, s := range shapes {
		for _, t := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			ab := [][2]float32{{1, 0}, {1, 1}, {-0.5, 0.25}}[(i+len(cs))%3]
			cs = append(cs, gemmCase{t[0], t[1], s[0], s[1], s[2], ab[0], ab[1], i % 3})
		}
	}
	return cs
}

// setup makes operands for c with NaN in C when beta is 0 (it must be ignored).
func (c gemmCase) setup(rng *rand.Rand) (a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
	ar, ac := c.m, c.k
	if c.tA {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.tB {
		br, bc = c.n, c.k
	}
	lda, ldb, ldc = ac+c.pad, bc+c.pad, c.n+c.pad
	a = randSlice(rng, ar*lda)
	b = randSlice(rng, br*ldb)
	cm = randSlice(rng, c.m*ldc)
	if c.beta == 0 {
		for i := range cm {
			cm[i] = float32(math.NaN())
		}
	}
	return
}

func TestSgemmMatchesNaive(t *testing.T) {
	rng := newRNG(1)
	for _, tc := range gemmCases() {
		a, lda, b, ldb, c, ldc := tc.setup(rng)
		want, mag := naive(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		for i := range tc.m {
			for j := range tc.n {
				got := float64(c[i*ldc+j])
				// Error bound for a float32 sum of k+1 terms: (k+2)·u·Σ|terms|, u = 2⁻²⁴
				// (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1).
				tol := float64(tc.k+2) * 0x1p-24 * mag[i*tc.n+j]
				if d := math.Abs(got - want[i*tc.n+j]); !(d <= tol) {
					t.Fatalf("%v: C[%d,%d] = %v, want %v (|diff| %g > %g)", tc, i, j, got, want[i*tc.n+j], d, tol)
				}
			}
		}
	}
}

// TestSgemmPaddingUntouched checks that values between rows (ldc > n) are not written.
func TestSgemmPaddingUntouched(t *testing.T) {
	rng := newRNG(2)
	const m, n, k, ldc = 13, 37, 20, 41
	a, b := randSlice(rng, m*k), randSlice(rng, k*n)
	c := make([]float32, m*ldc)
	for i := range c {
		c[i] = 7
	}
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, ldc)
	for i := range m {
		for j := n; j < ldc && i*ldc+j < len(c); j++ {
			if c[i*ldc+j] != 7 {
				t.Fatalf("C[%d,%d] (padding) = %v, want 7", i, j, c[i*ldc+j])
			}
		}
	}
}

// TestSgemmReproducible checks the promise of the package doc: an element's value does not
// depend on the number of workers (split is SgemmParallel without its minimum-work rule) or on which rows or columns of C are asked for.
func TestSgemmReproducible(t *testing.T) {
	rng := newRNG(3)
	for _, tc := range gemmCases() {
		if tc.m == 0 || tc.n == 0 {
			continue
		}
		a, lda, b, ldb, c0, ldc := tc.setup(rng)
		if tc.beta == 0 {
			clear(c0)
		}
		ref := append([]float32(nil), c0...)
		Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, ref, ldc)
		for _, w := range []int{2, 3, 7} {
			got := append([]float32(nil), c0...)
			split(w, tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, got, ldc)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%v: %d workers: C[%d] = %v, serial %v", tc, w, i, got[i], ref[i])
				}
			}
		}
		// Rows 1.. alone (shifts every tile by one row) give the same bits.
		if tc.m > 1 && tc.k > 0 {
			got := append([]float32(nil), c0...)
			as := a[lda:]
			if tc.tA {
				as = a[1:]
			}
			Sgemm(tc.tA, tc.tB, tc.m-1, tc.n, tc.k, tc.alpha, as, lda, b, ldb, tc.beta, got[ldc:], ldc)
			for i := ldc; i < len(got); i++ {
				if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%v: rows 1..: C[%d] = %v, full product %v", tc, i, got[i], ref[i])
				}
			}
		}
	}
}

// TestKernelsAgree compares the assembly micro-kernel (where present) with the Go one.
func TestKernelsAgree(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly kernel in this build or on this CPU")
	}
	rng := newRNG(4)
	for _, k := range []int{1, 3, 4, 5, 255, 256} {
		a, b := randSlice(rng, k*mr), randSlice(rng, k*nr)
		for _, accum := range []bool{false, true} {
			const ldc = nr + 3
			c0 := randSlice(rng, mr*ldc)
			c1, c2 := append([]float32(nil), c0...), append([]float32(nil), c0...)
			kernel(k, &a[0], &b[0], &c1[0], ldc, accum)
			kernelGo(k, &a[0], &b[0], &c2[0], ldc, accum)
			for i := range c1 {
				// 1e-5·k relative-ish: FMA vs separate rounding over k terms of magnitude ≤ 1.
				if d := math.Abs(float64(c1[i] - c2[i])); d > 1e-6*float64(k+1) {
					t.Fatalf("k=%d accum=%v: c[%d] asm %v, go %v", k, accum, i, c1[i], c2[i])
				}
			}
		}
	}
}

func TestSgemmPanicsOnShortSlice(t *testing.T) {
	defer func() {
		want := "gemm: a has 15 values, a 4×4 matrix with stride 4 needs 16"
		if r := recover(); r != want {
			t.Fatalf("panic %v, want %q", r, want)
		}
	}()
	Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

var benchShapes = []struct {
	name    string
	tA, tB  bool
	m, n, k int
}{
	{"conv2-fwd-32x196x400", false, false, 32, 196, 400},
	{"conv2-dW-32x400x196-tB", false, true, 32, 400, 196},
	{"conv2-dX-400x196x32-tA", true, false, 400, 196, 32},
	{"fc1-fwd-64x128x1568", false, false, 64, 128, 1568},
	{"square-256", false, false, 256, 256, 256},
}

// BenchmarkSgemm compares this package with gonum's pure-Go Sgemm on the models' shapes.
func BenchmarkSgemm(b *testing.B) {
	rng := newRNG(5)
	for _, s := range benchShapes {
		a := randSlice(rng, s.m*s.k)
		bb := randSlice(rng, s.k*s.n)
		c := make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.tA {
			lda = s.m
		}
		if s.tB {
			ldb = s.k
		}
		flops := 2 * float64(s.m*s.n*s.k)
		b.Run(s.name+"/ours", func(b *testing.B) {
			for b.Loop() {
				Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(s.name+"/gonum", func(b *testing.B) {
			ta, tb := blas.NoTrans, blas.NoTrans
			if s.tA {
				ta = blas.Trans
			}
			if s.tB {
				tb = blas.Trans
			}
			var impl gonum.Implementation
			for b.Loop() {
				impl.Sgemm(ta, tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestMulRowsAMatchesSgemm checks the in-place-row product against Sgemm on the materialised
// matrix, with overlapping rows read in runs as an implicit im2col produces them: bit for bit
// within one k-block (k ≤ 256); beyond, its single running sum rounds differently.
func TestMulRowsAMatchesSgemm(t *testing.T) {
	rng := newRNG(7)
	for _, tc := range []struct {
		m, n int
		seg  Segments
	}{
		{1, 1, Segments{1, 1, 1}}, {6, 16, Segments{1, 16, 16}}, {7, 25, Segments{3, 11, 13}},
		{400, 32, Segments{14, 14, 18}}, {25, 16, Segments{28, 28, 32}}, {13, 300, Segments{2, 10, 10}},
		{5, 7, Segments{0, 4, 4}},
	} {
		src := randSlice(rng, 4*tc.seg.extent()+64)
		for _, beta := range []float32{0, 1, 0.5} {
			m, n, k := tc.m, tc.n, tc.seg.N()
			aoff := make([]int, m)
			am := make([]float32, m*k)
			for i := range aoff {
				aoff[i] = rng.IntN(len(src) - tc.seg.extent() + 1)
				for s := range tc.seg.Count {
					copy(am[i*k+s*tc.seg.Len:i*k+(s+1)*tc.seg.Len], src[aoff[i]+s*tc.seg.Stride:])
				}
			}
			b := randSlice(rng, k*n)
			c0 := randSlice(rng, m*n)
			want := append([]float32(nil), c0...)
			Sgemm(false, false, m, n, k, 1, am, k, b, n, beta, want, n)
			var pb PackedB
			pb.ResetWhole(k, n)
			pb.Pack(false, b, n)
			got := append([]float32(nil), c0...)
			MulRowsA(src, aoff, tc.seg, &pb, beta, got, n)
			for i := range got {
				d := math.Abs(float64(got[i] - want[i]))
				// Beyond one k-block only the summation order differs: (k+2)·u·Σ|terms|, with
				// k+1 terms of magnitude ≤ 1, bounds both results' error (Higham §3.1).
				if k <= kc && d != 0 || d > float64(k+2)*0x1p-24*float64(k+1) {
					t.Fatalf("m=%d n=%d %+v beta %v: C[%d] = %v, Sgemm %v", m, n, tc.seg, beta, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkMulRows times the implicit-im2col products of the models' second convolution
// (32 filters over 16×14×14, 5×5, padded row width 18, 14 runs of 14 pixels): forward
// (MulPatches) and weight gradient (MulRowsA).
func BenchmarkMulRows(b *testing.B) {
	rng := newRNG(8)
	const c, hp, wp, k, o, oh = 16, 18, 18, 5, 32, 14
	img := randSlice(rng, c*hp*wp+64)
	var offs []int
	for ci := range c {
		for u := range k {
			for v := range k {
				offs = append(offs, ci*hp*wp+u*wp+v)
			}
		}
	}
	seg := Segments{oh, oh, wp}
	n := seg.N()
	out := make([]float32, o*n)
	flops := 2 * float64(o*n*len(offs))
	var pos []int
	for i := range oh {
		for j := range oh {
			pos = append(pos, i*wp+j)
		}
	}
	var pw PackedB
	pw.Reset(len(offs), o)
	pw.Pack(false, randSlice(rng, len(offs)*o), o)
	b.Run("patches-196x32x400", func(b *testing.B) {
		for b.Loop() {
			MulPatches(img, pos, offs, &pw, 0, out, o)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "useful-GFLOP/s")
	})
	var pb PackedB
	pb.ResetWhole(n, o)
	pb.Pack(false, randSlice(rng, n*o), o)
	dw := make([]float32, len(offs)*o)
	b.Run("A-400x32x196", func(b *testing.B) {
		for b.Loop() {
			MulRowsA(img, offs, seg, &pb, 1, dw, o)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "useful-GFLOP/s")
	})
}

// TestMulPatchesMatchesSgemm checks the implicit im2row product against Sgemm on the
// materialised patch matrix, bit for bit.
func TestMulPatchesMatchesSgemm(t *testing.T) {
	rng := newRNG(9)
	for _, s := range [][3]int{{1, 1, 1}, {6, 16, 3}, {196, 32, 400}, {784, 16, 25}, {196, 16, 800}, {13, 40, 300}, {7, 5, 0}} {
		m, n, k := s[0], s[1], s[2]
		img := randSlice(rng, 2000)
		pos, off := make([]int, m), make([]int, k)
		for i := range pos {
			pos[i] = rng.IntN(1000)
		}
		for p := range off {
			off[p] = rng.IntN(1000)
		}
		am := make([]float32, m*k)
		for i := range m {
			for p := range k {
				am[i*k+p] = img[pos[i]+off[p]]
			}
		}
		b := randSlice(rng, k*n)
		var pb PackedB
		pb.Reset(k, n)
		pb.Pack(false, b, n)
		for _, beta := range []float32{0, 1, 0.5} {
			c0 := randSlice(rng, m*n)
			want := append([]float32(nil), c0...)
			Sgemm(false, false, m, n, k, 1, am, k, b, n, beta, want, n)
			got := append([]float32(nil), c0...)
			MulPatches(img, pos, off, &pb, beta, got, n)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v beta %v: C[%d] = %v, Sgemm %v", s, beta, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSparse checks SparseDW and SparseDX against float64 loops over a padded pixel-major
// image, for 16 and 32 channels (one and two bases per kernel position, padded groups).
func TestSparse(t *testing.T) {
	rng := newRNG(10)
	for _, c := range []int{16, 32} {
		const k, wp, hp = 3, 7, 6
		s := NewSparse(k, c, wp)
		img := randSlice(rng, hp*wp*c)
		pos := []int{0, (1*wp + 2) * c, (2*wp + 4) * c, (3*wp + 1) * c, (1*wp + 2) * c}
		g := randSlice(rng, len(pos))
		w := randSlice(rng, s.Len())
		// Dummy bases carry zero weights (see Sparse).
		for b := k * k * c / 16; b < len(s.Bases); b++ {
			clear(w[16*b : 16*b+16])
		}
		dw, dimg := randSlice(rng, s.Len()), randSlice(rng, len(img))
		wantDW, wantDX := to64s(dw), to64s(dimg)
		for n, p := range pos {
			for u := range k {
				for v := range k {
					for ch := range c {
						wi := (u*k+v)*c + ch
						ii := p + (u*wp+v)*c + ch
						wantDW[wi] += float64(g[n]) * float64(img[ii])
						wantDX[ii] += float64(g[n]) * float64(w[wi])
					}
				}
			}
		}
		s.SparseDW(pos, g, img, dw)
		s.SparseDX(pos, g, w, dimg)
		for i := range k * k * c {
			// 1e-6: five float32 additions of products of values ≤ 1.
			if d := math.Abs(float64(dw[i]) - wantDW[i]); d > 1e-6 {
				t.Fatalf("c=%d: dw[%d] = %v, want %v", c, i, dw[i], wantDW[i])
			}
		}
		for i := range dimg {
			if d := math.Abs(float64(dimg[i]) - wantDX[i]); d > 1e-6 {
				t.Fatalf("c=%d: dimg[%d] = %v, want %v", c, i, dimg[i], wantDX[i])
			}
		}
	}
}

func to64s(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// TestWrap: a wrapped 16-column matrix multiplies as its packed copy does, bit for bit, and a
// Reset after Wrap never packs into the wrapped matrix.
func TestWrap(t *testing.T) {
	rng := newRNG(51)
	for _, k := range []int{1, 37, 256, 600} {
		b := randSlice(rng, k*nr)
		img := randSlice(rng, k+40)
		pos := []int{0, 3, 7, 11, 13, 17, 19, 23}
		off := make([]int, k)
		for p := range off {
			off[p] = p
		}
		var packed, wrapped PackedB
		packed.Reset(k, nr)
		packed.Pack(false, b, nr)
		if !wrapped.Wrap(k, nr, b) {
			t.Fatal("Wrap refused a 16-column matrix")
		}
		want, got := make([]float32, len(pos)*nr), make([]float32, len(pos)*nr)
		MulPatches(img, pos, off, &packed, 0, want, nr)
		MulPatches(img, pos, off, &wrapped, 0, got, nr)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("k %d: wrapped %v, packed %v at %d", k, got[i], want[i], i)
			}
		}
		saved := append([]float32(nil), b...)
		wrapped.Reset(k, nr)
		wrapped.Pack(false, randSlice(rng, k*nr), nr)
		for i := range b {
			if b[i] != saved[i] {
				t.Fatalf("k %d: packing after Wrap wrote into the wrapped matrix", k)
			}
		}
	}
	var p PackedB
	if p.Wrap(4, 8, make([]float32, 32)) {
		t.Error("Wrap took an 8-column matrix, whose packed layout differs")
	}
}
