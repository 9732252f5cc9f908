// Package gemm is a small single-precision matrix multiply (the BLAS sgemm contract,
// row-major) tuned for the shapes the models package runs: tens to a few thousand rows and
// columns, float32, on a few cores.
//
// It follows the Goto/BLIS design (Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication", ACM TOMS 34(3), 2008; Van Zee & van de Geijn, "BLIS", ACM TOMS 41(3), 2015):
// the operands are copied ("packed") into contiguous panels of kc×mr and kc×nr values and a
// register-blocked micro-kernel computes one mr×nr tile of C at a time. On amd64 with AVX2 and
// FMA the micro-kernel is Go assembly (kernel_amd64.s, a 6×16 tile held in 12 YMM registers,
// the tile shape BLIS uses for Haswell-class cores); elsewhere, or when built with the purego
// tag, it is plain Go. The CPU is checked once with golang.org/x/sys/cpu.
//
// Reproducibility: every element of C is summed over k in the same order (k-blocks of kc in
// increasing order, each block summed in increasing k), whatever the shape of the rest of the
// problem, the row range a caller asks for and the number of goroutines. Parallel calls split C
// into disjoint blocks, so results are bit-for-bit identical for a given build and CPU kind.
// The assembly kernel fuses multiply and add (one rounding), the Go kernel does not, so the
// two kernels differ in the last bits.
//
// Errors: shapes and strides that do not fit the slices are caller bugs and panic.
package gemm
