// Package bnorm holds the loops of batch normalisation and of residual blocks in the models
// package, on float32 slices. Most run down the columns of pixel-major data — a rows×o matrix
// whose row r holds the o channels of pixel r — with per-channel vectors: the statistics' sums,
// the normalisation as an affine map with an optional ReLU, the sums the gradients need and
// the gradient at the normalisation's input (cols.go). The others run along one channel plane
// at a time: the normalisation with a residual shortcut added, the shortcut's masked gradient,
// the ReLU mask of a gradient and the gradient at the input of a normalisation with fixed
// statistics; Transpose2D moves data between the two layouts.
//
// Every loop has a plain Go version and, on amd64 with AVX2, a Go-assembly version that does
// eight values per instruction (bnorm_amd64.s, cols_amd64.s); elsewhere, or with the purego
// build tag or GODEBUG=cpu.avx2=off, the Go versions run. The two give bit-identical results:
// no fused multiply-adds, the same rounding of every product and sum (the Go versions round
// each operation explicitly, which also keeps the compiler from fusing them), and every sum is
// one float64 sum per column, in row order.
//
// ReLU is max(v, 0) as v < 0 ? 0 : v: a NaN passes through (so that a diverging network still
// shows NaN in its loss) and −0 stays −0. A ReLU's mask (dy where y > 0) is a bit mask, without
// branches: half the values are masked, and a branch on them mispredicts half the time.
//
// Errors: slices shorter than the sizes given are caller bugs and panic.
package bnorm
