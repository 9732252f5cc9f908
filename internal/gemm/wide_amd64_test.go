//go:build amd64 && !purego

package gemm

import (
	"fmt"
	"math"
	"testing"
)

// These tests run every product twice on random shapes, ragged edges included (m not a
// multiple of 6, n not a multiple of 16 or 32, k across the 256-deep block, beta 0, 1 and
// other values so that tiles are both set and accumulated): once with the AVX-512 kernels
// (6×32 tiles) and once with the AVX2 kernels only (6×16 tiles), which is what a CPU without
// AVX-512 runs. The two must agree bit for bit: results recorded on one machine reproduce on
// the other.

// withAVX2 runs f with the AVX-512 kernels switched off.
func withAVX2(f func()) {
	saved := useAVX512
	useAVX512 = false
	defer func() { useAVX512 = saved }()
	f()
}

func needWide(t *testing.T) {
	t.Helper()
	if !useAVX512 {
		t.Skip("no AVX-512 kernels selected (no AVX512F, or GODEBUG=cpu.avx512f=off)")
	}
}

// sameBits fails the test at the first element where the two results differ in any bit.
func sameBits(t *testing.T, what string, wide, avx2 []float32) {
	t.Helper()
	for i := range wide {
		if math.Float32bits(wide[i]) != math.Float32bits(avx2[i]) {
			t.Fatalf("%s: element %d: AVX-512 %v (%#08x), AVX2 %v (%#08x)", what, i, wide[i], math.Float32bits(wide[i]), avx2[i], math.Float32bits(avx2[i]))
		}
	}
}

// TestWideSgemm: Sgemm and SgemmParallel with the AVX-512 kernel and with the AVX2 kernel.
func TestWideSgemm(t *testing.T) {
	needWide(t)
	rng := newRNG(31)
	for it := range 150 {
		tc := gemmCase{tA: rng.IntN(2) == 1, tB: rng.IntN(2) == 1, m: 1 + rng.IntN(40), n: 1 + rng.IntN(100), k: rng.IntN(600),
			alpha: []float32{1, -0.5, 2}[rng.IntN(3)], beta: []float32{0, 1, 0.75}[rng.IntN(3)], pad: rng.IntN(3)}
		a, lda, b, ldb, c0, ldc := tc.setup(rng)
		wide, avx2 := append([]float32(nil), c0...), append([]float32(nil), c0...)
		if it%3 == 2 {
			SgemmParallel(3, tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, wide, ldc)
		} else {
			Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, wide, ldc)
		}
		withAVX2(func() { Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, avx2, ldc) })
		sameBits(t, fmt.Sprintf("%+v", tc), wide, avx2)
	}
}

// TestWideMulPatches: the implicit im2row product with kernelPatchesAVX512 and kernelPatchesAVX2.
func TestWideMulPatches(t *testing.T) {
	needWide(t)
	rng := newRNG(32)
	for range 80 {
		p := newPatchProblem(rng, 1+rng.IntN(40), 1+rng.IntN(100), rng.IntN(600))
		beta := []float32{0, 1, 0.5}[rng.IntN(3)]
		c0 := randSlice(rng, p.m*p.n)
		wide, avx2 := append([]float32(nil), c0...), append([]float32(nil), c0...)
		MulPatches(p.img, p.pos, p.off, &p.b, beta, wide, p.n)
		withAVX2(func() { MulPatches(p.img, p.pos, p.off, &p.b, beta, avx2, p.n) })
		sameBits(t, fmt.Sprintf("m=%d n=%d k=%d beta=%v", p.m, p.n, p.k, beta), wide, avx2)
	}
}

// TestWideMulRowsA: the in-place-rows product with kernelRowsAAVX512 and kernelRowsAAVX2, rows
// read in runs with gaps and without, k past 256 (one sum, no blocks).
func TestWideMulRowsA(t *testing.T) {
	needWide(t)
	rng := newRNG(33)
	for range 80 {
		seg := Segments{Count: rng.IntN(24), Len: 1 + rng.IntN(30)}
		seg.Stride = seg.Len + rng.IntN(4)
		m, n, k := 1+rng.IntN(40), 1+rng.IntN(100), seg.N()
		src := randSlice(rng, 2*seg.extent()+64)
		aoff := make([]int, m)
		for i := range aoff {
			aoff[i] = rng.IntN(len(src) - seg.extent() + 1)
		}
		var pb PackedB
		pb.ResetWhole(k, n)
		pb.Pack(false, randSlice(rng, k*n), n)
		beta := []float32{0, 1, 0.5}[rng.IntN(3)]
		c0 := randSlice(rng, m*n)
		wide, avx2 := append([]float32(nil), c0...), append([]float32(nil), c0...)
		MulRowsA(src, aoff, seg, &pb, beta, wide, n)
		withAVX2(func() { MulRowsA(src, aoff, seg, &pb, beta, avx2, n) })
		sameBits(t, fmt.Sprintf("m=%d n=%d %+v beta=%v", m, n, seg, beta), wide, avx2)
	}
}
