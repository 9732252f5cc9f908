package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/datamix/harness/internal/gemm"
)

// mmdOp is w·MMD²(A, B), the squared maximum mean discrepancy between the rows of A (N,D) — a
// batch of what a substitute head makes of auxiliary images — and the rows of B (M,D) — uploads
// the cloud received — under a sum of Gaussian kernels
//
//	k(x, y) = Σ_s exp(−‖x − y‖² / σ_s²)
//
// (multi-kernel MMD: Gretton et al., "Optimal kernel choice for large-scale two-sample tests",
// NeurIPS 2012; the feature alignment of FORA: Xu et al., "A stealthy wrongdoer:
// feature-oriented reconstruction attack against split learning", CVPR 2024), in its biased
// form
//
//	MMD² = (1/N²) Σ_ij k(a_i, a_j) + (1/M²) Σ_ij k(b_i, b_j) − (2/NM) Σ_ij k(a_i, b_j).
//
// B is data: the gradient is with respect to A only,
//
//	∂L/∂a_i = w·[ −(4/N²) Σ_j K'(a_i, a_j)·(a_i − a_j) + (4/NM) Σ_j K'(a_i, b_j)·(a_i − b_j) ],
//
// with K'(x, y) = Σ_s exp(−‖x − y‖²/σ_s²)/σ_s². Sums are in float64 over float32 Gram matrices.
type mmdOp struct {
	n, m, d int
	sigma2  []float64 // the kernels' squared bandwidths σ_s²
	weight  float64

	st *mmdState
}

type mmdState struct {
	gaa, gbb, gab []float32 // the Gram matrices A·Aᵀ, B·Bᵀ, A·Bᵀ
	waa, wab      []float32 // K' of the pairs of A and of (A, B), for the backward pass
	value         float64   // the last MMD² (unweighted)
	da            *tensor.Dense
}

func newMMDOp(n, m, d int, sigma2 []float64, weight float64) *mmdOp {
	if n < 1 || m < 1 || d < 1 || len(sigma2) == 0 {
		panic(fmt.Sprintf("models: MMD of %d and %d rows of %d values with %d kernels", n, m, d, len(sigma2)))
	}
	for _, s := range sigma2 {
		if !(s > 0) || math.IsInf(s, 1) {
			panic(fmt.Sprintf("models: MMD kernel bandwidth² %v, need a finite number > 0", s))
		}
	}
	return &mmdOp{n: n, m: m, d: d, sigma2: sigma2, weight: weight, st: new(mmdState)}
}

func (op *mmdOp) Arity() int { return 2 }
func (op *mmdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), hm.TypeVariable('a'))
}
func (op *mmdOp) ReturnsPtr() bool     { return false }
func (op *mmdOp) CallsExtern() bool    { return false }
func (op *mmdOp) OverwritesInput() int { return -1 }
func (op *mmdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *mmdOp) Hashcode() uint32     { return hashOf(op) }
func (op *mmdOp) DiffWRT(int) []bool   { return []bool{true, false} }
func (op *mmdOp) String() string {
	return fmt.Sprintf("mmd(%d×%d,%d×%d,σ² %v,w %g)", op.n, op.d, op.m, op.d, op.sigma2, op.weight)
}

func (op *mmdOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	want := []tensor.Shape{{op.n, op.d}, {op.m, op.d}}
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(want[i]) {
			return nil, fmt.Errorf("models: %v: input %d has shape %v, want %v", op, i, d, want[i])
		}
	}
	return tensor.ScalarShape(), nil
}

// kernels returns Σ_s exp(−q/σ_s²) and Σ_s exp(−q/σ_s²)/σ_s² for a squared distance q.
func (op *mmdOp) kernels(q float64) (k, dk float64) {
	for _, s := range op.sigma2 {
		e := math.Exp(-q / s)
		k += e
		dk += e / s
	}
	return k, dk
}

// pairs sums k over the pairs of rows (x_i, y_j) of x (p×d) and y (q×d) from their Gram
// matrix g = x·yᵀ and the squared norms of their rows, and writes K' of each pair into w
// (nil: not kept).
func (op *mmdOp) pairs(g []float32, xn, yn []float64, w []float32) float64 {
	var sum float64
	q := len(yn)
	for i, a := range xn {
		for j, b := range yn {
			k, dk := op.kernels(max(a+b-2*float64(g[i*q+j]), 0))
			sum += k
			if w != nil {
				w[i*q+j] = float32(dk)
			}
		}
	}
	return sum
}

// diag returns the diagonal of a square Gram matrix: the rows' squared norms.
func diag(g []float32, n int) []float64 {
	out := make([]float64, n)
	for i := range n {
		out[i] = float64(g[i*n+i])
	}
	return out
}

func (op *mmdOp) Do(vals ...G.Value) (G.Value, error) {
	n, m, d, st := op.n, op.m, op.d, op.st
	a, b := f32(vals[0]), f32(vals[1])
	gaa, gbb, gab := scratch(&st.gaa, n*n), scratch(&st.gbb, m*m), scratch(&st.gab, n*m)
	gemm.SgemmParallel(workers(), false, true, n, n, d, 1, a, d, a, d, 0, gaa, n)
	gemm.SgemmParallel(workers(), false, true, m, m, d, 1, b, d, b, d, 0, gbb, m)
	gemm.SgemmParallel(workers(), false, true, n, m, d, 1, a, d, b, d, 0, gab, m)
	an, bn := diag(gaa, n), diag(gbb, m)
	saa := op.pairs(gaa, an, an, scratch(&st.waa, n*n))
	sbb := op.pairs(gbb, bn, bn, nil)
	sab := op.pairs(gab, an, bn, scratch(&st.wab, n*m))
	fn, fm := float64(n), float64(m)
	st.value = saa/(fn*fn) + sbb/(fm*fm) - 2*sab/(fn*fm)
	return G.NewF32(float32(op.weight * st.value)), nil
}

func (op *mmdOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	da, err := G.ApplyOp(&mmdBwdOp{f: op}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, nil}, nil
}

// mmdBwdOp is the gradient of mmdOp with respect to A, scaled by the incoming scalar g (the
// formula at mmdOp), from the K' weights its forward pass kept:
//
//	∂L/∂A = g·w·[ −(4/N²)(diag(Waa·1)·A − Waa·A) + (4/NM)(diag(Wab·1)·A − Wab·B) ].
type mmdBwdOp struct{ f *mmdOp }

func (op *mmdBwdOp) Arity() int { return 3 }
func (op *mmdBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), hm.TypeVariable('a'), tensorT(2))
}
func (op *mmdBwdOp) ReturnsPtr() bool     { return true }
func (op *mmdBwdOp) CallsExtern() bool    { return false }
func (op *mmdBwdOp) OverwritesInput() int { return -1 }
func (op *mmdBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *mmdBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *mmdBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *mmdBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.f.n, op.f.d}, nil
}

func (op *mmdBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f, st := op.f, op.f.st
	n, m, d := f.n, f.m, f.d
	g, ok := vals[2].Data().(float32)
	if !ok {
		return nil, fmt.Errorf("models: %v: incoming gradient is %T, want a float32 scalar", op, vals[2].Data())
	}
	if st.da == nil {
		st.da = newF32(n, d)
	}
	a, b, da := f32(vals[0]), f32(vals[1]), f32(st.da)
	scale := float64(g) * f.weight
	ca, cb := -4*scale/float64(n*n), 4*scale/float64(n*m)
	// The weights of the products: −ca·Waa and −cb·Wab multiply A and B; the diagonal terms
	// multiply each row of A by its row sums.
	waa, wab := make([]float32, n*n), make([]float32, n*m)
	rows := make([]float64, n)
	for i := range n {
		for j := range n {
			w := float64(st.waa[i*n+j])
			rows[i] += ca * w
			waa[i*n+j] = float32(-ca * w)
		}
		for j := range m {
			w := float64(st.wab[i*m+j])
			rows[i] += cb * w
			wab[i*m+j] = float32(-cb * w)
		}
	}
	gemm.SgemmParallel(workers(), false, false, n, d, n, 1, waa, n, a, d, 0, da, d)
	gemm.SgemmParallel(workers(), false, false, n, d, m, 1, wab, m, b, d, 1, da, d)
	for i := range n {
		r := rows[i]
		for j, v := range a[i*d : (i+1)*d] {
			da[i*d+j] += float32(r * float64(v))
		}
	}
	return st.da, nil
}
