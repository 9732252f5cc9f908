//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA micro-kernel; it needs both extensions (Haswell, Zen and later)
// and OS support for the YMM state, which x/sys/cpu folds into HasAVX2.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

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

// kernelRowsBAVX2 and kernelRowsAAVX2 are kernelRowsBGo and kernelRowsAGo in assembly
// (rows_amd64.s).
//
//go:noescape
func kernelRowsBAVX2(k int, a, b *float32, boff *int, c *float32, ldc int, accum bool)

//go:noescape
func kernelRowsAAVX2(k int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool)

func kernelRowsB(k int, a, b *float32, boff *int, c *float32, ldc int, accum bool) {
	if useAsm {
		kernelRowsBAVX2(k, a, b, boff, c, ldc, accum)
		return
	}
	kernelRowsBGo(k, a, b, boff, c, ldc, accum)
}

func kernelRowsA(k int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	if useAsm {
		kernelRowsAAVX2(k, a, aoff, b, c, ldc, accum)
		return
	}
	kernelRowsAGo(k, a, aoff, b, c, ldc, accum)
}
