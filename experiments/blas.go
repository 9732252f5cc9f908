package experiments

import (
	"github.com/datamix/harness/internal/gemm"
	"gonum.org/v1/gonum/blas/blas64"
)

// The attacks' linear algebra (ridge regressions on thousands of uploads, FastICA, Cholesky
// factorisations) runs on gonum's mat and lapack packages, which multiply through the BLAS
// that blas64.Use selects. gonum's own Dgemm works a dot product or an axpy at a time with
// two-wide SSE2 loops; internal/gemm's Dgemm is blocked and register-tiled with AVX2/FMA
// (about 4× the throughput per core on the attacks' Gram matrices), with the same results up
// to the order of the float64 sums. Every program that runs cells (runexp, the tests of this
// package) uses it, so that they agree.
func init() { blas64.Use(gemm.BLAS64{}) }
