//go:build !amd64 || purego

package gemm

const useAsm = false

func kernel(k int, a, b, c *float32, ldc int, accum bool) { kernelGo(k, a, b, c, ldc, accum) }
