//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA micro-kernel; it needs both extensions (Haswell, Zen and later)
// and OS support for the YMM state, which x/sys/cpu folds into HasAVX2.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useAVX512 selects the AVX-512 micro-kernels (wide_amd64.s), which compute 6×32 and 12×16
// tiles (see wide.go); the AVX2 kernels do the 6×16 tiles at the edges. They need AVX512F, and
// OS support for the ZMM and opmask state, which x/sys/cpu folds into HasAVX512F;
// GODEBUG=cpu.avx512f=off turns them off.
var useAVX512 = useAsm && cpu.X86.HasAVX512F

// kernelAVX2 is kernelGo in AVX2/FMA assembly (kernel_amd64.s).
//
//go:noescape
func kernelAVX2(k int, a, b, c *float32, ldc int, accum bool)

func kernel(k int, a, b, c *float32, ldc int, accum bool) {
	if useAsm {
		kernelAVX2(k, a, b, c, ldc, accum)
		return
	}
	kernelGo(k, a, b, c, ldc, accum)
}

// kernelRowsAAVX2 and kernelPatchesAVX2 are kernelRowsAGo and kernelPatchesGo in assembly
// (rows_amd64.s).
//
//go:noescape
func kernelRowsAAVX2(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool)

func kernelRowsA(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	if useAsm {
		kernelRowsAAVX2(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
		return
	}
	kernelRowsAGo(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
}

//go:noescape
func kernelPatchesAVX2(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool)

func kernelPatches(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool) {
	if useAsm {
		kernelPatchesAVX2(k, img, off, pos, b, c, ldc, accum)
		return
	}
	kernelPatchesGo(k, img, off, pos, b, c, ldc, accum)
}

// sparseDWAVX2 and sparseDXAVX2 are sparseDWGo and sparseDXGo in assembly (axpy_amd64.s).
//
//go:noescape
func sparseDWAVX2(groups, nnz int, bases, pos *int, gs, img, dw *float32)

//go:noescape
func sparseDXAVX2(groups, nnz int, bases, pos *int, gs, w, dimg *float32)

func sparseDW(groups, nnz int, bases, pos *int, g, img, dw *float32) {
	if useAsm {
		sparseDWAVX2(groups, nnz, bases, pos, g, img, dw)
		return
	}
	sparseDWGo(groups, nnz, bases, pos, g, img, dw)
}

func sparseDX(groups, nnz int, bases, pos *int, g, w, dimg *float32) {
	if useAsm {
		sparseDXAVX2(groups, nnz, bases, pos, g, w, dimg)
		return
	}
	sparseDXGo(groups, nnz, bases, pos, g, w, dimg)
}

// The AVX-512 kernels (wide_amd64.s) compute what their *Pair twins in wide.go compute, bit
// for bit: kernelAVX512 is kernelPair, kernelTallAVX512 kernelTallPair, and so on.
//
//go:noescape
func kernelAVX512(k int, a, b, c *float32, ldc int, accum bool)

//go:noescape
func kernelRowsAAVX512(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool)

//go:noescape
func kernelPatchesAVX512(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool)

func kernelWide(k int, a, b, c *float32, ldc int, accum bool) {
	if useAVX512 {
		kernelAVX512(k, a, b, c, ldc, accum)
		return
	}
	kernelPair(k, a, b, c, ldc, accum)
}

func kernelRowsAWide(nseg, seglen, skip int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	if useAVX512 {
		kernelRowsAAVX512(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
		return
	}
	kernelRowsAPair(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
}

func kernelPatchesWide(k int, img *float32, off *int, pos *[mr]int, b, c *float32, ldc int, accum bool) {
	if useAVX512 {
		kernelPatchesAVX512(k, img, off, pos, b, c, ldc, accum)
		return
	}
	kernelPatchesPair(k, img, off, pos, b, c, ldc, accum)
}

//go:noescape
func kernelTallAVX512(k int, a, b, c *float32, ldc int, accum bool)

//go:noescape
func kernelRowsATallAVX512(nseg, seglen, skip int, a *float32, aoff *[2 * mr]int, b, c *float32, ldc int, accum bool)

//go:noescape
func kernelPatchesTallAVX512(k int, img *float32, off *int, pos *[2 * mr]int, b, c *float32, ldc int, accum bool)

func kernelTall(k int, a, b, c *float32, ldc int, accum bool) {
	if useAVX512 {
		kernelTallAVX512(k, a, b, c, ldc, accum)
		return
	}
	kernelTallPair(k, a, b, c, ldc, accum)
}

func kernelRowsATall(nseg, seglen, skip int, a *float32, aoff *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	if useAVX512 {
		kernelRowsATallAVX512(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
		return
	}
	kernelRowsATallPair(nseg, seglen, skip, a, aoff, b, c, ldc, accum)
}

func kernelPatchesTall(k int, img *float32, off *int, pos *[2 * mr]int, b, c *float32, ldc int, accum bool) {
	if useAVX512 {
		kernelPatchesTallAVX512(k, img, off, pos, b, c, ldc, accum)
		return
	}
	kernelPatchesTallPair(k, img, off, pos, b, c, ldc, accum)
}

// tapsAVX2 and dotsAVX2 are kernelTapsGo and kernelDotsGo in AVX2/FMA assembly
// (taps_amd64.s); with AVX-512 too they run as they are, so results do not depend on it.
//
//go:noescape
func tapsAVX2(k int, w *float32, off *int, src *float32, lds int, out *float32, ldo int)

//go:noescape
func dotsAVX2(n int, a, b *float32, off *[dotTaps]int, out *[dotTaps]float32)

func taps(k int, w *float32, off *int, src *float32, lds int, out *float32, ldo int) {
	if useAsm {
		tapsAVX2(k, w, off, src, lds, out, ldo)
		return
	}
	kernelTapsGo(k, w, off, src, lds, out, ldo)
}

func dots(n int, a, b *float32, off *[dotTaps]int, out *[dotTaps]float32) {
	if useAsm {
		dotsAVX2(n, a, b, off, out)
		return
	}
	kernelDotsGo(n, a, b, off, out)
}

// dkernelAVX2 is dkernelGo in AVX2/FMA assembly (dgemm_amd64.s).
//
//go:noescape
func dkernelAVX2(k int, a, b, c *float64, ldc int, accum bool)

func dkernel(k int, a, b, c *float64, ldc int, accum bool) {
	if useAsm {
		dkernelAVX2(k, a, b, c, ldc, accum)
		return
	}
	dkernelGo(k, a, b, c, ldc, accum)
}
