//go:build !amd64 || purego

package gemm

const useAsm = false

func kernel(k int, a, b, c *float32, ldc int, accum bool) { kernelGo(k, a, b, c, ldc, accum) }

func kernelRowsB(k int, a, b *float32, boff *int, c *float32, ldc int, accum bool) {
	kernelRowsBGo(k, a, b, boff, c, ldc, accum)
}

func kernelRowsA(k int, a *float32, aoff *[mr]int, b, c *float32, ldc int, accum bool) {
	kernelRowsAGo(k, a, aoff, b, c, ldc, accum)
}
