// Package bnorm holds the per-plane loops of batch normalisation and of residual blocks in
// the models package, on float32 slices: the transposition of a pixel-major convolution output
// into channel planes, the normalisation as an affine map with an optional shortcut and ReLU,
// the sums its statistics and gradients need, and the gradient at the normalisation's input.
//
// Every loop has a plain Go version and, on amd64 with AVX2, a Go-assembly version that does
// eight values per instruction (bnorm_amd64.s); elsewhere, or with the purego build tag, the Go
// versions run. The two give bit-identical results: no fused multiply-adds, the same rounding of
// every product and sum (the Go versions round each operation explicitly, which also keeps the
// compiler from fusing them), and the sums are kept in eight float64 lanes, lane j taking
// elements j, j+8, j+16, …, added up in a fixed order at the end.
//
// ReLU is max(v, 0) as v < 0 ? 0 : v: a NaN passes through (so that a diverging network still
// shows NaN in its loss) and −0 stays −0. A ReLU's mask (dy where y > 0) is a bit mask, without
// branches: half the values are masked, and a branch on them mispredicts half the time.
//
// Errors: slices shorter than the sizes given are caller bugs and panic.
package bnorm
