//go:build amd64 && !purego

package gemm

import (
	"fmt"
	"math"
	"testing"

	"golang.org/x/sys/cpu"
)

// These tests run every product twice on random shapes, ragged edges included (m, n not
// multiples of the 6×16 tile, k across the 256-deep block): once with the AVX2/FMA assembly
// kernels and once with their pure-Go twins, which is what a machine without AVX2 (or a
// purego build) runs. Each result is held to the float64 reference's error bound, so a twin
// that is wrong fails here even on a machine that never selects it. The two differ in the
// last bits (FMA rounds once, Go twice), so they are not compared bit for bit.

// withGo runs f with the pure-Go kernels selected.
func withGo(f func()) {
	savedAsm, savedAVX512 := useAsm, useAVX512
	useAsm, useAVX512 = false, false
	defer func() { useAsm, useAVX512 = savedAsm, savedAVX512 }()
	f()
}

func needAsm(t *testing.T) {
	t.Helper()
	if !useAsm {
		if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
			t.Log("the CPU has AVX2 and FMA, but they are turned off (GODEBUG=cpu.avx2=off?)")
		}
		t.Skip("no assembly kernels selected: the Go twins are what every product test runs")
	}
}

// within checks got against the float64 reference want with the error bound of a float32
// sum of terms terms, (terms+1)·u·Σ|terms| (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., §3.1), u = 2⁻²⁴.
func within(got float32, want, mag float64, terms int) bool {
	return math.Abs(float64(got)-want) <= float64(terms+1)*0x1p-24*mag
}

// TestTwinSgemm: Sgemm with the assembly micro-kernel and with kernelGo.
func TestTwinSgemm(t *testing.T) {
	needAsm(t)
	rng := newRNG(21)
	for range 120 {
		tc := gemmCase{tA: rng.IntN(2) == 1, tB: rng.IntN(2) == 1, m: 1 + rng.IntN(40), n: 1 + rng.IntN(50), k: rng.IntN(600),
			alpha: []float32{1, -0.5, 2}[rng.IntN(3)], beta: []float32{0, 1, 0.75}[rng.IntN(3)], pad: rng.IntN(3)}
		a, lda, b, ldb, c0, ldc := tc.setup(rng)
		want, mag := naive(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c0, ldc)
		asm, twin := append([]float32(nil), c0...), append([]float32(nil), c0...)
		Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, asm, ldc)
		withGo(func() { Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, twin, ldc) })
		for i := range tc.m {
			for j := range tc.n {
				w, g := want[i*tc.n+j], mag[i*tc.n+j]
				if !within(asm[i*ldc+j], w, g, tc.k+1) || !within(twin[i*ldc+j], w, g, tc.k+1) {
					t.Fatalf("%v: C[%d,%d]: assembly %v, Go %v, float64 %v", tc, i, j, asm[i*ldc+j], twin[i*ldc+j], w)
				}
			}
		}
	}
}

// patchProblem is a random MulPatches problem: m patches of k elements read from img, times
// a k×n B, and its float64 result.
type patchProblem struct {
	m, n, k   int
	img       []float32
	pos, off  []int
	b         PackedB
	want, mag []float64 // m×n, without C's old value
}

func newPatchProblem(rng interface {
	IntN(int) int
	Float32() float32
}, m, n, k int) *patchProblem {
	p := &patchProblem{m: m, n: n, k: k, img: make([]float32, 3000), pos: make([]int, m), off: make([]int, k)}
	for i := range p.img {
		p.img[i] = rng.Float32()*2 - 1
	}
	for i := range p.pos {
		p.pos[i] = rng.IntN(1500)
	}
	for q := range p.off {
		p.off[q] = rng.IntN(1500)
	}
	bm := make([]float32, k*n)
	for i := range bm {
		bm[i] = rng.Float32()*2 - 1
	}
	p.b.Reset(k, n)
	p.b.Pack(false, bm, n)
	p.want, p.mag = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			for q := range k {
				v := float64(p.img[p.pos[i]+p.off[q]]) * float64(bm[q*n+j])
				p.want[i*n+j] += v
				p.mag[i*n+j] += math.Abs(v)
			}
		}
	}
	return p
}

// TestTwinMulPatches: the implicit im2row product with kernelPatchesAVX2 and kernelPatchesGo.
func TestTwinMulPatches(t *testing.T) {
	needAsm(t)
	rng := newRNG(22)
	for range 60 {
		p := newPatchProblem(rng, 1+rng.IntN(40), 1+rng.IntN(50), rng.IntN(600))
		beta := []float32{0, 1, 0.5}[rng.IntN(3)]
		c0 := randSlice(rng, p.m*p.n)
		asm, twin := append([]float32(nil), c0...), append([]float32(nil), c0...)
		MulPatches(p.img, p.pos, p.off, &p.b, beta, asm, p.n)
		withGo(func() { MulPatches(p.img, p.pos, p.off, &p.b, beta, twin, p.n) })
		for i := range asm {
			w := p.want[i] + float64(beta)*float64(c0[i])
			g := p.mag[i] + math.Abs(float64(beta)*float64(c0[i]))
			if !within(asm[i], w, g, p.k+1) || !within(twin[i], w, g, p.k+1) {
				t.Fatalf("m=%d n=%d k=%d beta=%v: C[%d]: assembly %v, Go %v, float64 %v", p.m, p.n, p.k, beta, i, asm[i], twin[i], w)
			}
		}
	}
}

// TestTwinMulRowsA: the in-place-rows product with kernelRowsAAVX2 and kernelRowsAGo, rows
// read in runs with gaps (Stride > Len) and without.
func TestTwinMulRowsA(t *testing.T) {
	needAsm(t)
	rng := newRNG(23)
	for range 60 {
		seg := Segments{Count: rng.IntN(20), Len: 1 + rng.IntN(30)}
		seg.Stride = seg.Len + rng.IntN(4)
		m, n, k := 1+rng.IntN(40), 1+rng.IntN(50), seg.N()
		src := randSlice(rng, 2*seg.extent()+64)
		aoff := make([]int, m)
		for i := range aoff {
			aoff[i] = rng.IntN(len(src) - seg.extent() + 1)
		}
		bm := randSlice(rng, k*n)
		var pb PackedB
		pb.ResetWhole(k, n)
		pb.Pack(false, bm, n)
		beta := []float32{0, 1, 0.5}[rng.IntN(3)]
		c0 := randSlice(rng, m*n)
		asm, twin := append([]float32(nil), c0...), append([]float32(nil), c0...)
		MulRowsA(src, aoff, seg, &pb, beta, asm, n)
		withGo(func() { MulRowsA(src, aoff, seg, &pb, beta, twin, n) })
		for i := range m {
			for j := range n {
				w := float64(beta) * float64(c0[i*n+j])
				g := math.Abs(w)
				for s := range seg.Count {
					for q := range seg.Len {
						v := float64(src[aoff[i]+s*seg.Stride+q]) * float64(bm[(s*seg.Len+q)*n+j])
						w += v
						g += math.Abs(v)
					}
				}
				if !within(asm[i*n+j], w, g, k+1) || !within(twin[i*n+j], w, g, k+1) {
					t.Fatalf("m=%d n=%d %+v beta=%v: C[%d,%d]: assembly %v, Go %v, float64 %v", m, n, seg, beta, i, j, asm[i*n+j], twin[i*n+j], w)
				}
			}
		}
	}
}

// TestTwinSparse: SparseDW and SparseDX with the assembly and the Go loops, for 16 to 64
// channels, kernels of 1 to 5 and random non-zero positions (repeats included).
func TestTwinSparse(t *testing.T) {
	needAsm(t)
	rng := newRNG(24)
	for range 60 {
		c, k := 16*(1+rng.IntN(4)), 1+rng.IntN(5)
		wp, hp := k+rng.IntN(8), k+rng.IntN(8)
		s := NewSparse(k, c, wp)
		img := randSlice(rng, hp*wp*c)
		nnz := rng.IntN(25)
		pos, g := make([]int, nnz), randSlice(rng, nnz)
		for i := range pos {
			pos[i] = (rng.IntN(hp-k+1)*wp + rng.IntN(wp-k+1)) * c
		}
		w := randSlice(rng, s.Len())
		for b := k * k * c / 16; b < len(s.Bases); b++ {
			clear(w[16*b : 16*b+16]) // dummy bases carry zero weights (see Sparse)
		}
		dw0, dimg0 := randSlice(rng, s.Len()), randSlice(rng, len(img))
		wantDW, magDW := to64s(dw0), absAll(dw0)
		wantDX, magDX := to64s(dimg0), absAll(dimg0)
		for n, p := range pos {
			for u := range k {
				for v := range k {
					for ch := range c {
						wi, ii := (u*k+v)*c+ch, p+(u*wp+v)*c+ch
						a, b := float64(g[n])*float64(img[ii]), float64(g[n])*float64(w[wi])
						wantDW[wi] += a
						magDW[wi] += math.Abs(a)
						wantDX[ii] += b
						magDX[ii] += math.Abs(b)
					}
				}
			}
		}
		dwA, dwG := append([]float32(nil), dw0...), append([]float32(nil), dw0...)
		dxA, dxG := append([]float32(nil), dimg0...), append([]float32(nil), dimg0...)
		s.SparseDW(pos, g, img, dwA)
		s.SparseDX(pos, g, w, dxA)
		withGo(func() {
			s.SparseDW(pos, g, img, dwG)
			s.SparseDX(pos, g, w, dxG)
		})
		where := fmt.Sprintf("c=%d k=%d %dx%d nnz=%d", c, k, hp, wp, nnz)
		for i := range k * k * c {
			if !within(dwA[i], wantDW[i], magDW[i], nnz+1) || !within(dwG[i], wantDW[i], magDW[i], nnz+1) {
				t.Fatalf("%s: dw[%d]: assembly %v, Go %v, float64 %v", where, i, dwA[i], dwG[i], wantDW[i])
			}
		}
		for i := range dxA {
			// A pixel is in at most k·k windows of each position.
			if !within(dxA[i], wantDX[i], magDX[i], k*k*nnz+1) || !within(dxG[i], wantDX[i], magDX[i], k*k*nnz+1) {
				t.Fatalf("%s: dimg[%d]: assembly %v, Go %v, float64 %v", where, i, dxA[i], dxG[i], wantDX[i])
			}
		}
	}
}

// TestKernelsSelected: on a CPU with AVX2 and FMA the assembly is used, and the AVX-512
// kernels too where the CPU has AVX512F, unless GODEBUG turns a feature off
// (golang.org/x/sys/cpu reads cpu.<feature>=off from GODEBUG at start-up).
func TestKernelsSelected(t *testing.T) {
	if want := cpu.X86.HasAVX2 && cpu.X86.HasFMA; useAsm != want {
		t.Errorf("assembly selected: %v; CPU (as GODEBUG leaves it) has AVX2 %v, FMA %v", useAsm, cpu.X86.HasAVX2, cpu.X86.HasFMA)
	}
	if want := useAsm && cpu.X86.HasAVX512F; useAVX512 != want {
		t.Errorf("AVX-512 kernels selected: %v; AVX2 kernels %v, CPU (as GODEBUG leaves it) has AVX512F %v", useAVX512, useAsm, cpu.X86.HasAVX512F)
	}
}

func absAll(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Abs(float64(v))
	}
	return y
}

// TestTwinDgemm: Dgemm with the AVX2/FMA kernel and with dkernelGo.
func TestTwinDgemm(t *testing.T) {
	needAsm(t)
	rng := newRNG(43)
	for range 100 {
		tc := randDgemmCase(rng)
		a, lda, b, ldb, c0, ldc := tc.setup(rng)
		asm, twin := append([]float64(nil), c0...), append([]float64(nil), c0...)
		Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, asm, ldc)
		withGo(func() { Dgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, twin, ldc) })
		tc.check(t, "assembly", a, lda, b, ldb, c0, asm, ldc)
		tc.check(t, "Go twin", a, lda, b, ldb, c0, twin, ldc)
	}
}
