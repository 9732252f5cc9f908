package models

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gapOp is global average pooling, (N,C,H,W) → (N,C): y[n,c] = (1/HW)·Σ_{i,j} x[n,c,i,j],
// summed in float64. Its gradient spreads dy[n,c]/HW over the plane (gapBwdOp).
type gapOp struct {
	n, c, hw int
	needDX   bool
	y        *tensor.Dense
}

func (op *gapOp) Arity() int           { return 1 }
func (op *gapOp) Type() hm.Type        { return hm.NewFnType(tensorT(4), tensorT(2)) }
func (op *gapOp) ReturnsPtr() bool     { return true }
func (op *gapOp) CallsExtern() bool    { return false }
func (op *gapOp) OverwritesInput() int { return -1 }
func (op *gapOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *gapOp) Hashcode() uint32     { return hashOf(op) }
func (op *gapOp) DiffWRT(int) []bool   { return []bool{op.needDX} }
func (op *gapOp) String() string       { return fmt.Sprintf("gap(%d,%d,%d)", op.n, op.c, op.hw) }

func (op *gapOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || s.Dims() != 4 || s[0] != op.n || s[1] != op.c || s[2]*s[3] != op.hw {
		return nil, fmt.Errorf("models: %v: input has shape %v", op, in[0])
	}
	return tensor.Shape{op.n, op.c}, nil
}

func (op *gapOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.n, op.c)
	}
	x, y := f32(vals[0]), f32(op.y)
	for i := range y {
		var s float64
		for _, v := range x[i*op.hw : (i+1)*op.hw] {
			s += float64(v)
		}
		y[i] = float32(s / float64(op.hw))
	}
	return op.y, nil
}

func (op *gapOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&gapBwdOp{f: op, shape: in[0].Shape().Clone()}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// gapBwdOp is the gradient of gapOp: dx[n,c,i,j] = dy[n,c]/HW.
type gapBwdOp struct {
	f     *gapOp
	shape tensor.Shape
	dx    *tensor.Dense
}

func (op *gapBwdOp) Arity() int           { return 1 }
func (op *gapBwdOp) Type() hm.Type        { return hm.NewFnType(tensorT(2), tensorT(4)) }
func (op *gapBwdOp) ReturnsPtr() bool     { return true }
func (op *gapBwdOp) CallsExtern() bool    { return false }
func (op *gapBwdOp) OverwritesInput() int { return -1 }
func (op *gapBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *gapBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *gapBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *gapBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }

func (op *gapBwdOp) Do(vals ...G.Value) (G.Value, error) {
	if op.dx == nil {
		op.dx = newF32(op.shape...)
	}
	dy, dx := f32(vals[0]), f32(op.dx)
	inv := 1 / float32(op.f.hw)
	for i, g := range dy {
		v := g * inv
		row := dx[i*op.f.hw : (i+1)*op.f.hw]
		for j := range row {
			row[j] = v
		}
	}
	return op.dx, nil
}
