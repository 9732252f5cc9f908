package gemm

// Kernel names the micro-kernel this build and CPU use: "avx2-fma" or "go".
func Kernel() string {
	if useAsm {
		return "avx2-fma"
	}
	return "go"
}
