package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/datamix/harness/internal/gemm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// denseOp is a fully connected layer on a (N,in) float32 matrix, weights (in,out), bias
// (1,out), optionally followed by ReLU: y = act(x·w + b). The product runs on all cores
// (gemm.SgemmParallel, whose result does not depend on the core count).
type denseOp struct {
	n, in, out int
	relu       bool
	needDX     bool

	st *denseState
}

type denseState struct {
	y     *tensor.Dense
	grads []float32 // dW | db | dX
	g     []float32 // gradient at the pre-activation
}

func newDenseOp(n, in, out int, relu, needDX bool) *denseOp {
	return &denseOp{n: n, in: in, out: out, relu: relu, needDX: needDX, st: new(denseState)}
}

func (op *denseOp) Arity() int { return 3 }
func (op *denseOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), tensorT(2), tensorT(2))
}
func (op *denseOp) ReturnsPtr() bool     { return true }
func (op *denseOp) CallsExtern() bool    { return false }
func (op *denseOp) OverwritesInput() int { return -1 }
func (op *denseOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *denseOp) Hashcode() uint32     { return hashOf(op) }
func (op *denseOp) DiffWRT(int) []bool   { return []bool{op.needDX, true, true} }
func (op *denseOp) String() string {
	return fmt.Sprintf("dense(%d,%d→%d,relu %v,dx %v)", op.n, op.in, op.out, op.relu, op.needDX)
}

func (op *denseOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	want := []tensor.Shape{{op.n, op.in}, {op.in, op.out}, {1, op.out}}
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(want[i]) {
			return nil, fmt.Errorf("models: %v: input %d has shape %v, want %v", op, i, d, want[i])
		}
	}
	return tensor.Shape{op.n, op.out}, nil
}

func (op *denseOp) Do(vals ...G.Value) (G.Value, error) {
	st := op.st
	if st.y == nil {
		st.y = newF32(op.n, op.out)
	}
	x, w, b, y := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(st.y)
	gemm.SgemmParallel(workers(), false, false, op.n, op.out, op.in, 1, x, op.in, w, op.out, 0, y, op.out)
	for i := range op.n {
		row := y[i*op.out : (i+1)*op.out]
		for j, v := range row {
			v += b[j]
			if op.relu {
				v = max(v, 0)
			}
			row[j] = v
		}
	}
	return st.y, nil
}

func (op *denseOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	bwd, err := G.ApplyOp(&denseBwdOp{op}, in[0], in[1], out, grad)
	if err != nil {
		return nil, err
	}
	return unpackGrads(bwd, in, op.needDX)
}

// denseBwdOp computes a denseOp's gradients from (x, w, y, dy) into dW | db | dX:
// g = dy masked by ReLU, dW = xᵀ·g, db = column sums of g (in row order), dX = g·wᵀ.
type denseBwdOp struct{ f *denseOp }

func (op *denseBwdOp) Arity() int { return 4 }
func (op *denseBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), tensorT(2), tensorT(2), tensorT(1))
}
func (op *denseBwdOp) ReturnsPtr() bool     { return true }
func (op *denseBwdOp) CallsExtern() bool    { return false }
func (op *denseBwdOp) OverwritesInput() int { return -1 }
func (op *denseBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *denseBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *denseBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *denseBwdOp) size() int {
	f := op.f
	n := f.in*f.out + f.out
	if f.needDX {
		n += f.n * f.in
	}
	return n
}

func (op *denseBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}

func (op *denseBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f, st := op.f, op.f.st
	x, w, y, dy := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(vals[3])
	if len(st.grads) == 0 {
		st.grads = make([]float32, op.size())
	}
	nw := f.in * f.out
	dW, db, dX := st.grads[:nw], st.grads[nw:nw+f.out], st.grads[nw+f.out:]
	g := dy
	if f.relu {
		g = scratch(&st.g, len(dy))
		for i, v := range y {
			if v > 0 {
				g[i] = dy[i]
			} else {
				g[i] = 0
			}
		}
	}
	gemm.SgemmParallel(workers(), true, false, f.in, f.out, f.n, 1, x, f.in, g, f.out, 0, dW, f.out)
	copy(db, g[:f.out])
	for i := 1; i < f.n; i++ {
		for j, v := range g[i*f.out : (i+1)*f.out] {
			db[j] += v
		}
	}
	if f.needDX {
		gemm.SgemmParallel(workers(), false, true, f.n, f.in, f.out, 1, g, f.out, w, f.out, 0, dX, f.in)
	}
	return tensor.New(tensor.WithShape(len(st.grads)), tensor.WithBacking(st.grads)), nil
}

// matMulOp is the matrix product op(A)·op(B) of two float32 matrices, op(X) = X or Xᵀ; it
// carries the in-graph mixing and de-mixing (C·H and C⁻¹·Z). Only the untransposed product is
// differentiable (its gradients are transposed products).
type matMulOp struct {
	tA, tB       bool
	m, n, k      int
	needA, needB bool

	y *tensor.Dense
}

func newMatMulOp(a, b tensor.Shape, tA, tB, needA, needB bool) *matMulOp {
	m, k := a[0], a[1]
	if tA {
		m, k = k, m
	}
	n := b[1]
	if tB {
		n = b[0]
	}
	return &matMulOp{tA: tA, tB: tB, m: m, n: n, k: k, needA: needA, needB: needB}
}

// matMul builds op(a)·op(b); needA/needB say which operands need gradients.
func matMul(a, b *G.Node, tA, tB, needA, needB bool) (*G.Node, error) {
	return G.ApplyOp(newMatMulOp(a.Shape(), b.Shape(), tA, tB, needA, needB), a, b)
}

func (op *matMulOp) Arity() int           { return 2 }
func (op *matMulOp) Type() hm.Type        { return hm.NewFnType(tensorT(2), tensorT(2), tensorT(2)) }
func (op *matMulOp) ReturnsPtr() bool     { return true }
func (op *matMulOp) CallsExtern() bool    { return false }
func (op *matMulOp) OverwritesInput() int { return -1 }
func (op *matMulOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *matMulOp) Hashcode() uint32     { return hashOf(op) }
func (op *matMulOp) DiffWRT(int) []bool   { return []bool{op.needA, op.needB} }
func (op *matMulOp) String() string {
	return fmt.Sprintf("matmul(%d×%d×%d,tA %v,tB %v,d %v %v)", op.m, op.k, op.n, op.tA, op.tB, op.needA, op.needB)
}

func (op *matMulOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	a, okA := in[0].(tensor.Shape)
	b, okB := in[1].(tensor.Shape)
	if !okA || !okB || a.Dims() != 2 || b.Dims() != 2 || a.TotalSize() != op.m*op.k || b.TotalSize() != op.k*op.n {
		return nil, fmt.Errorf("models: %v: inputs %v and %v", op, in[0], in[1])
	}
	return tensor.Shape{op.m, op.n}, nil
}

func (op *matMulOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.m, op.n)
	}
	a, b := f32(vals[0]), f32(vals[1])
	lda, ldb := vals[0].Shape()[1], vals[1].Shape()[1]
	gemm.SgemmParallel(workers(), op.tA, op.tB, op.m, op.n, op.k, 1, a, lda, b, ldb, 0, f32(op.y), op.n)
	return op.y, nil
}

// SymDiff: for Y = A·B, dA = dY·Bᵀ and dB = Aᵀ·dY.
func (op *matMulOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.tA || op.tB {
		return nil, fmt.Errorf("models: %v: gradient of a transposed product not implemented", op)
	}
	var da, db *G.Node
	var err error
	if op.needA {
		if da, err = matMul(grad, in[1], false, true, false, false); err != nil {
			return nil, err
		}
	}
	if op.needB {
		if db, err = matMul(in[0], grad, true, false, false, false); err != nil {
			return nil, err
		}
	}
	return G.Nodes{da, db}, nil
}
