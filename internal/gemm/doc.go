// Package gemm is a small single-precision matrix multiply (the BLAS sgemm contract,
// row-major) and the implicit-im2col products a convolution needs, tuned for the shapes the
// models package runs: tens to a few thousand rows and columns, float32, on a few cores.
//
// It follows the Goto/BLIS design (Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication", ACM TOMS 34(3), 2008; Van Zee & van de Geijn, "BLIS", ACM TOMS 41(3), 2015):
// the operands are copied ("packed") into contiguous panels of kc×mr and kc×nr values and a
// register-blocked micro-kernel computes one mr×nr tile of C at a time. On amd64 with AVX2 and
// FMA the micro-kernels are Go assembly (a 6×16 tile held in 12 YMM registers, the tile shape
// BLIS uses for Haswell-class cores); elsewhere, or when built with the purego tag, they are
// plain Go. Where the CPU also has AVX512F, AVX-512 kernels compute 6×32 tiles (one A panel
// against two adjacent B panels) and, in a last block of at most 16 columns, 12×16 tiles (two
// A panels against one B panel), each in 12 ZMM registers: enough independent FMA chains for
// two 512-bit FMA pipes, with the packing layouts unchanged (wide.go); the AVX2 kernel does
// the remaining 6×16 tiles. The CPU is checked once with golang.org/x/sys/cpu; the GODEBUG
// setting cpu.avx512f=off (or cpu.avx2=off) switches the AVX-512 (or all) assembly off at run
// time.
//
//   - Sgemm, SgemmParallel: C = alpha·op(A)·op(B) + beta·C, both operands packed per call.
//   - MulPatches: A is a convolution's im2row patch matrix, read in place from a padded image
//     through two offset tables (one per output pixel, one per patch element); B is packed once
//     (PackedB) and reused.
//   - MulRowsA: A's rows are read in place from an image, one image row at a time (Segments):
//     a convolution's im2col matrix, for the weight gradient.
//   - Sparse (SparseDW, SparseDX): a convolution's weight and input gradients summed over the
//     non-zero output gradients only (after a max-pool, at most one in four).
//
// Reproducibility: every element of C is a sum over k in a fixed order (Sgemm and MulPatches:
// blocks of kc in increasing order, each summed in increasing k; MulRowsA: one sum in
// increasing k; Sparse: in the order of the given terms) whatever the shape of the rest of the
// problem, the rows or columns a caller asks for and the number of goroutines. Parallel calls
// split C into disjoint blocks, so results are bit-for-bit identical for a given build and CPU
// kind. The AVX-512 and AVX2 kernels compute each element with the same chain of fused
// multiply-adds (from zero, one per term, then one addition to C), so they agree bit for bit
// and results reproduce on CPUs with and without AVX-512. The Go kernels do not fuse multiply
// and add (two roundings), so they differ from the assembly in the last bits.
//
// Errors: shapes, strides and offsets that do not fit the slices are caller bugs and panic.
package gemm
