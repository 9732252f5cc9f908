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
