package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/internal/gemm"
)

// The ops of the edge-side defences (package defence) in the training graph. Their forward
// passes call package defence's kernels, the very functions inference applies, so that a
// network is trained through the transform it is served with; their gradients are
// hand-written and checked against central differences (ops_test.go).

// edgeOp applies one defence's operation to a (N,D) matrix x: defence.AddScaled or
// defence.Multiply with draws e (a second input, data), or defence.Quantise.
type edgeOp struct {
	form   defence.Form
	n, d   int
	needDX bool

	y *tensor.Dense
}

func (op *edgeOp) Arity() int {
	if op.form.Random() {
		return 2
	}
	return 1
}

func (op *edgeOp) Type() hm.Type {
	if op.form.Random() {
		return hm.NewFnType(tensorT(2), tensorT(2), tensorT(2))
	}
	return hm.NewFnType(tensorT(2), tensorT(2))
}
func (op *edgeOp) ReturnsPtr() bool     { return true }
func (op *edgeOp) CallsExtern() bool    { return false }
func (op *edgeOp) OverwritesInput() int { return -1 }
func (op *edgeOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *edgeOp) Hashcode() uint32     { return hashOf(op) }
func (op *edgeOp) DiffWRT(n int) []bool { return []bool{op.needDX, false}[:n] }
func (op *edgeOp) String() string {
	return fmt.Sprintf("edge(%+v,%d×%d,dx %v)", op.form, op.n, op.d, op.needDX)
}

func (op *edgeOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(tensor.Shape{op.n, op.d}) {
			return nil, fmt.Errorf("models: %v: input %d has shape %v", op, i, d)
		}
	}
	return tensor.Shape{op.n, op.d}, nil
}

func (op *edgeOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.n, op.d)
	}
	x, y := f32(vals[0]), f32(op.y)
	switch op.form.Op {
	case defence.OpAddScaled:
		defence.AddScaled(y, x, f32(vals[1]), op.d, op.form.Scale)
	case defence.OpMultiply:
		defence.Multiply(y, x, f32(vals[1]))
	case defence.OpQuantise:
		defence.Quantise(y, x, op.d, op.form.Bits)
	default:
		return nil, fmt.Errorf("models: %v: not a transform", op)
	}
	return op.y, nil
}

// SymDiff: masking multiplies the gradient by the mask (an edgeOp of its own on the incoming
// gradient); quantisation passes it straight through; added noise has the gradient of
// edgeNoiseBwdOp, which includes the dependence of σ(x) on x.
func (op *edgeOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	var dx *G.Node
	var err error
	switch op.form.Op {
	case defence.OpMultiply:
		dx, err = G.ApplyOp(&edgeOp{form: op.form, n: op.n, d: op.d}, grad, in[1])
	case defence.OpQuantise:
		dx = grad
	case defence.OpAddScaled:
		dx, err = G.ApplyOp(&edgeNoiseBwdOp{f: op}, in[0], in[1], grad)
	}
	if err != nil {
		return nil, err
	}
	if op.form.Random() {
		return G.Nodes{dx, nil}, nil
	}
	return G.Nodes{dx}, nil
}

// edgeNoiseBwdOp is the gradient of y = x + s·σ(x)·e, row by row: with g = ∂L/∂y and σ the
// row's standard deviation (population form, so ∂σ/∂x_j = (x_j − μ)/(d·σ)),
//
//	∂L/∂x_j = g_j + s·(Σ_i g_i·e_i)·(x_j − μ)/(d·σ),
//
// and g itself where σ = 0 (the noise vanishes there, and with it the term).
type edgeNoiseBwdOp struct {
	f  *edgeOp
	dx *tensor.Dense
}

func (op *edgeNoiseBwdOp) Arity() int { return 3 }
func (op *edgeNoiseBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), tensorT(2), tensorT(2))
}
func (op *edgeNoiseBwdOp) ReturnsPtr() bool     { return true }
func (op *edgeNoiseBwdOp) CallsExtern() bool    { return false }
func (op *edgeNoiseBwdOp) OverwritesInput() int { return -1 }
func (op *edgeNoiseBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *edgeNoiseBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *edgeNoiseBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *edgeNoiseBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.f.n, op.f.d}, nil
}

func (op *edgeNoiseBwdOp) Do(vals ...G.Value) (G.Value, error) {
	if op.dx == nil {
		op.dx = newF32(op.f.n, op.f.d)
	}
	x, e, g, dx := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(op.dx)
	d := op.f.d
	for lo := 0; lo < len(x); lo += d {
		mean, std := defence.RowStats(x[lo : lo+d])
		copy(dx[lo:lo+d], g[lo:lo+d])
		if std == 0 {
			continue
		}
		var ge float64
		for j := lo; j < lo+d; j++ {
			ge += float64(g[j]) * float64(e[j])
		}
		c := op.f.form.Scale * ge / (float64(d) * std)
		for j := lo; j < lo+d; j++ {
			dx[j] += float32(c * (float64(x[j]) - mean))
		}
	}
	return op.dx, nil
}

// dcorOp is the NoPeek penalty w·dCor(X, H) of a batch's inputs X (N,Dx) and head outputs H
// (N,Dh), a float32 scalar (defence.DCor; Vepakomma et al. 2020). Distances come from Gram
// matrices multiplied in float32 (gemm) and are centred and combined in float64; the
// gradient flows to H only (the inputs are data). The forward pass keeps what the backward
// pass needs.
type dcorOp struct {
	n, dx, dh int
	weight    float64

	st   *dcorState
	node *G.Node // the op's node in its graph, set by the graph's builder
}

type dcorState struct {
	gram     []float32 // N×N scratch
	a, b, bd []float64 // centred distances of X and H; bd: H's distances
	grad     []float64 // ∂dCor/∂b
	w        []float32 // the N×N weights of the backward product
	dh       *tensor.Dense
	value    float64 // the last dCor (unweighted)
}

func newDCorOp(n, dx, dh int, weight float64) *dcorOp {
	return &dcorOp{n: n, dx: dx, dh: dh, weight: weight, st: new(dcorState)}
}

func (op *dcorOp) Arity() int { return 2 }
func (op *dcorOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), hm.TypeVariable('a'))
}
func (op *dcorOp) ReturnsPtr() bool     { return false }
func (op *dcorOp) CallsExtern() bool    { return false }
func (op *dcorOp) OverwritesInput() int { return -1 }
func (op *dcorOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *dcorOp) Hashcode() uint32     { return hashOf(op) }
func (op *dcorOp) DiffWRT(int) []bool   { return []bool{false, true} }
func (op *dcorOp) String() string {
	return fmt.Sprintf("dcor(%d×%d,%d×%d,w %g)", op.n, op.dx, op.n, op.dh, op.weight)
}

func (op *dcorOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	want := []tensor.Shape{{op.n, op.dx}, {op.n, op.dh}}
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(want[i]) {
			return nil, fmt.Errorf("models: %v: input %d has shape %v, want %v", op, i, d, want[i])
		}
	}
	return tensor.ScalarShape(), nil
}

// distances writes the N×N Euclidean distances of the rows of x (N×d) into dst, from the
// Gram matrix x·xᵀ: ‖x_i − x_j‖² = G_ii + G_jj − 2·G_ij, clamped at 0 against round-off.
func (op *dcorOp) distances(dst []float64, x []float32, d int) {
	n, st := op.n, op.st
	g := scratch(&st.gram, n*n)
	gemm.SgemmParallel(workers(), false, true, n, n, d, 1, x, d, x, d, 0, g, n)
	for i := range n {
		for j := range n {
			v := 0.0
			if i != j {
				v = math.Sqrt(max(float64(g[i*n+i])+float64(g[j*n+j])-2*float64(g[i*n+j]), 0))
			}
			dst[i*n+j] = v
		}
	}
}

func (op *dcorOp) Do(vals ...G.Value) (G.Value, error) {
	n, st := op.n, op.st
	if st.a == nil {
		st.a, st.b, st.bd, st.grad = make([]float64, n*n), make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
	}
	op.distances(st.a, f32(vals[0]), op.dx)
	op.distances(st.bd, f32(vals[1]), op.dh)
	copy(st.b, st.bd)
	st.value = defence.DCorDist(st.a, st.b, n, st.grad)
	return G.NewF32(float32(op.weight * st.value)), nil
}

func (op *dcorOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dh, err := G.ApplyOp(&dcorBwdOp{f: op}, in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{nil, dh}, nil
}

// dcorBwdOp is the gradient of dcorOp with respect to H, scaled by the incoming scalar g: each
// distance b_ij = ‖h_i − h_j‖ has ∂b_ij/∂h_i = (h_i − h_j)/b_ij, so with
// W_ij = (∂dCor/∂b_ij + ∂dCor/∂b_ji)/b_ij (0 where b_ij = 0),
//
//	∂L/∂H = g·w·(diag(W·1)·H − W·H).
type dcorBwdOp struct{ f *dcorOp }

func (op *dcorBwdOp) Arity() int { return 2 }
func (op *dcorBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), hm.TypeVariable('a'), tensorT(2))
}
func (op *dcorBwdOp) ReturnsPtr() bool     { return true }
func (op *dcorBwdOp) CallsExtern() bool    { return false }
func (op *dcorBwdOp) OverwritesInput() int { return -1 }
func (op *dcorBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *dcorBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *dcorBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *dcorBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.f.n, op.f.dh}, nil
}

func (op *dcorBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f, st := op.f, op.f.st
	n, d := f.n, f.dh
	g, ok := vals[1].Data().(float32)
	if !ok {
		return nil, fmt.Errorf("models: %v: incoming gradient is %T, want a float32 scalar", op, vals[1].Data())
	}
	if st.dh == nil {
		st.dh = newF32(n, d)
	}
	h, dh := f32(vals[0]), f32(st.dh)
	w := scratch(&st.w, n*n)
	scale := float64(g) * f.weight
	rowSum := make([]float64, n)
	for i := range n {
		for j := range n {
			v := 0.0
			if b := st.bd[i*n+j]; i != j && b > 0 {
				v = scale * (st.grad[i*n+j] + st.grad[j*n+i]) / b
			}
			w[i*n+j] = float32(v)
			rowSum[i] += v
		}
	}
	// dh = −W·H, then + rowSum_i·h_i.
	gemm.SgemmParallel(workers(), false, false, n, d, n, -1, w, n, h, d, 0, dh, d)
	for i := range n {
		r := float32(rowSum[i])
		for j := i * d; j < (i+1)*d; j++ {
			dh[j] += r * h[j]
		}
	}
	return st.dh, nil
}
