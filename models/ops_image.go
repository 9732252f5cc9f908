package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the ops of the attacker's networks (decoder.go, invert.go): nearest-neighbour
// upsampling, a squared-error loss and a total-variation prior. Like the other custom ops they
// work on float32 tensors, own their output buffers and have hand-written gradients checked
// against central differences (ops_image_test.go).

// upsampleOp repeats every pixel of an NCHW tensor into an s×s block (nearest-neighbour
// upsampling by an integer factor s): y[n,c,i,j] = x[n,c,⌊i/s⌋,⌊j/s⌋]. Its gradient sums each
// block of the output gradient. A convolution after it learns what a transposed convolution
// would, without the latter's checkerboard artefacts (Odena, Dumoulin and Olah, "Deconvolution
// and checkerboard artifacts", Distill 2016).
type upsampleOp struct {
	n, c, h, w, s int

	y *tensor.Dense
}

func newUpsampleOp(x tensor.Shape, s int) *upsampleOp {
	if len(x) != 4 || s < 1 {
		panic(fmt.Sprintf("models: upsample %v by %d", x, s))
	}
	return &upsampleOp{n: x[0], c: x[1], h: x[2], w: x[3], s: s}
}

func (op *upsampleOp) Arity() int           { return 1 }
func (op *upsampleOp) Type() hm.Type        { return hm.NewFnType(tensorT(4), tensorT(4)) }
func (op *upsampleOp) ReturnsPtr() bool     { return true }
func (op *upsampleOp) CallsExtern() bool    { return false }
func (op *upsampleOp) OverwritesInput() int { return -1 }
func (op *upsampleOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *upsampleOp) Hashcode() uint32     { return hashOf(op) }
func (op *upsampleOp) DiffWRT(int) []bool   { return []bool{true} }
func (op *upsampleOp) String() string {
	return fmt.Sprintf("upsample%v(×%d)", tensor.Shape{op.n, op.c, op.h, op.w}, op.s)
}

func (op *upsampleOp) outShape() tensor.Shape {
	return tensor.Shape{op.n, op.c, op.h * op.s, op.w * op.s}
}

func (op *upsampleOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if s, ok := in[0].(tensor.Shape); !ok || !s.Eq(tensor.Shape{op.n, op.c, op.h, op.w}) {
		return nil, fmt.Errorf("models: %v: input has shape %v", op, in[0])
	}
	return op.outShape(), nil
}

func (op *upsampleOp) Do(vals ...G.Value) (G.Value, error) {
	if op.y == nil {
		op.y = newF32(op.outShape()...)
	}
	x, y := f32(vals[0]), f32(op.y)
	s, w, ws := op.s, op.w, op.w*op.s
	parallel(op.n*op.c, func(_, p int) {
		src := x[p*op.h*w : (p+1)*op.h*w]
		dst := y[p*op.h*s*ws : (p+1)*op.h*s*ws]
		for i := range op.h {
			row := dst[i*s*ws : (i*s+1)*ws]
			if s == 2 { // the decoder's factor, unrolled
				for j, v := range src[i*w : (i+1)*w] {
					pair := row[2*j : 2*j+2 : 2*j+2]
					pair[0], pair[1] = v, v
				}
			} else {
				for j, v := range src[i*w : (i+1)*w] {
					for t := range s {
						row[j*s+t] = v
					}
				}
			}
			for r := 1; r < s; r++ {
				copy(dst[(i*s+r)*ws:(i*s+r+1)*ws], row)
			}
		}
	})
	return op.y, nil
}

func (op *upsampleOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&upsampleBwdOp{f: op}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// upsampleBwdOp is the gradient of an upsampleOp: dx[n,c,i,j] = Σ over the s×s block of dy
// at (s·i, s·j).
type upsampleBwdOp struct {
	f  *upsampleOp
	dx *tensor.Dense
}

func (op *upsampleBwdOp) Arity() int           { return 1 }
func (op *upsampleBwdOp) Type() hm.Type        { return hm.NewFnType(tensorT(4), tensorT(4)) }
func (op *upsampleBwdOp) ReturnsPtr() bool     { return true }
func (op *upsampleBwdOp) CallsExtern() bool    { return false }
func (op *upsampleBwdOp) OverwritesInput() int { return -1 }
func (op *upsampleBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *upsampleBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *upsampleBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *upsampleBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	f := op.f
	return tensor.Shape{f.n, f.c, f.h, f.w}, nil
}

func (op *upsampleBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.f
	if op.dx == nil {
		op.dx = newF32(f.n, f.c, f.h, f.w)
	}
	dy, dx := f32(vals[0]), f32(op.dx)
	s, w, ws := f.s, f.w, f.w*f.s
	parallel(f.n*f.c, func(_, p int) {
		src := dy[p*f.h*s*ws : (p+1)*f.h*s*ws]
		dst := dx[p*f.h*w : (p+1)*f.h*w]
		for i := range f.h {
			out := dst[i*w : (i+1)*w]
			if s == 2 { // the decoder's factor, unrolled: the same sums in the same order
				r0, r1 := src[2*i*ws:(2*i+1)*ws], src[(2*i+1)*ws:(2*i+2)*ws]
				for j := range out {
					a, b := r0[2*j:2*j+2:2*j+2], r1[2*j:2*j+2:2*j+2]
					out[j] = float32(float32(float32(float32(0)+a[0])+a[1])+b[0]) + b[1]
				}
				continue
			}
			clear(out)
			for r := range s {
				row := src[(i*s+r)*ws : (i*s+r+1)*ws]
				for j := range out {
					for t := range s {
						out[j] += row[j*s+t]
					}
				}
			}
		}
	})
	return op.dx, nil
}

// sqErrOp is a scaled sum of squared errors of y against a target t of the same shape,
// L = scale·Σ (y − t)², as a float32 scalar (sum in float64). With scale 1/(N·D) it is the
// mean squared error of a batch (the decoder's loss); per-sample terms with scale 1/D are
// rMLE's feature distance. Only y gets a gradient: 2·scale·(y − t).
type sqErrOp struct {
	shape tensor.Shape
	scale float64
}

func (op sqErrOp) Arity() int { return 2 }
func (op sqErrOp) Type() hm.Type {
	return hm.NewFnType(tensorT(len(op.shape)), tensorT(len(op.shape)), hm.TypeVariable('a'))
}
func (op sqErrOp) ReturnsPtr() bool     { return false }
func (op sqErrOp) CallsExtern() bool    { return false }
func (op sqErrOp) OverwritesInput() int { return -1 }
func (op sqErrOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op sqErrOp) Hashcode() uint32     { return hashOf(op) }
func (op sqErrOp) DiffWRT(int) []bool   { return []bool{true, false} }
func (op sqErrOp) String() string       { return fmt.Sprintf("sqErr%v(×%g)", op.shape, op.scale) }

func (op sqErrOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(op.shape) {
			return nil, fmt.Errorf("models: %v: input %d has shape %v", op, i, d)
		}
	}
	return tensor.ScalarShape(), nil
}

func (op sqErrOp) Do(vals ...G.Value) (G.Value, error) {
	y, t := f32(vals[0]), f32(vals[1])
	var sum float64
	for i, v := range y {
		d := float64(v) - float64(t[i])
		sum += d * d
	}
	return G.NewF32(float32(op.scale * sum)), nil
}

func (op sqErrOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dy, err := G.ApplyOp(&sqErrGradOp{f: op}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dy, nil}, nil
}

// sqErrGradOp is the gradient of sqErrOp with respect to y, times the incoming scalar g:
// dy = 2·g·scale·(y − t).
type sqErrGradOp struct {
	f  sqErrOp
	dy *tensor.Dense
}

func (op *sqErrGradOp) Arity() int { return 3 }
func (op *sqErrGradOp) Type() hm.Type {
	d := len(op.f.shape)
	return hm.NewFnType(tensorT(d), tensorT(d), hm.TypeVariable('a'), tensorT(d))
}
func (op *sqErrGradOp) ReturnsPtr() bool     { return true }
func (op *sqErrGradOp) CallsExtern() bool    { return false }
func (op *sqErrGradOp) OverwritesInput() int { return -1 }
func (op *sqErrGradOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *sqErrGradOp) Hashcode() uint32     { return hashOf(op) }
func (op *sqErrGradOp) String() string       { return "grad:" + op.f.String() }

func (op *sqErrGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.f.shape.Clone(), nil
}

func (op *sqErrGradOp) Do(vals ...G.Value) (G.Value, error) {
	if op.dy == nil {
		op.dy = newF32(op.f.shape...)
	}
	y, t, dy := f32(vals[0]), f32(vals[1]), f32(op.dy)
	g, ok := vals[2].Data().(float32)
	if !ok {
		return nil, fmt.Errorf("models: %v: incoming gradient is %T, want a float32 scalar", op, vals[2].Data())
	}
	c := float32(2 * float64(g) * op.f.scale)
	for i, v := range y {
		dy[i] = c * (v - t[i])
	}
	return op.dy, nil
}

// tvOp is the isotropic total variation of a batch of NCHW images, smoothed so that it is
// differentiable everywhere (Rudin, Osher and Fatemi 1992; the image prior of Mahendran and
// Vedaldi, CVPR 2015, and of He, Zhang and Lee's rMLE, ACSAC 2019):
//
//	TV = scale · Σ_{n,c,i,j} √(a² + b² + ε²),  a = x[i,j+1] − x[i,j],  b = x[i+1,j] − x[i,j]
//
// with a = 0 in the last column and b = 0 in the last row. Sums are in float64.
type tvOp struct {
	n, c, h, w int
	scale, eps float64
}

func (op tvOp) Arity() int           { return 1 }
func (op tvOp) Type() hm.Type        { return hm.NewFnType(tensorT(4), hm.TypeVariable('a')) }
func (op tvOp) ReturnsPtr() bool     { return false }
func (op tvOp) CallsExtern() bool    { return false }
func (op tvOp) OverwritesInput() int { return -1 }
func (op tvOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op tvOp) Hashcode() uint32     { return hashOf(op) }
func (op tvOp) DiffWRT(int) []bool   { return []bool{true} }
func (op tvOp) String() string {
	return fmt.Sprintf("tv%v(×%g,ε %g)", tensor.Shape{op.n, op.c, op.h, op.w}, op.scale, op.eps)
}

func (op tvOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if s, ok := in[0].(tensor.Shape); !ok || !s.Eq(tensor.Shape{op.n, op.c, op.h, op.w}) {
		return nil, fmt.Errorf("models: %v: input has shape %v", op, in[0])
	}
	return tensor.ScalarShape(), nil
}

// terms calls fn(p, q, r, t) for every term of the sum: p the pixel (i,j), q its right
// neighbour and r the one below (or p itself where there is none), t = √(a² + b² + ε²).
func (op tvOp) terms(x []float32, fn func(p, q, r int, a, b, t float64)) {
	hw := op.h * op.w
	for m := range op.n * op.c {
		base := m * hw
		for i := range op.h {
			for j := range op.w {
				p := base + i*op.w + j
				q, r := p, p
				if j+1 < op.w {
					q = p + 1
				}
				if i+1 < op.h {
					r = p + op.w
				}
				a := float64(x[q]) - float64(x[p])
				b := float64(x[r]) - float64(x[p])
				fn(p, q, r, a, b, math.Sqrt(a*a+b*b+op.eps*op.eps))
			}
		}
	}
}

func (op tvOp) Do(vals ...G.Value) (G.Value, error) {
	var sum float64
	op.terms(f32(vals[0]), func(_, _, _ int, _, _, t float64) { sum += t })
	return G.NewF32(float32(op.scale * sum)), nil
}

func (op tvOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&tvGradOp{f: op}, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// tvGradOp is the gradient of tvOp times the incoming scalar g: each term √(a² + b² + ε²)
// adds a/t to its right neighbour, b/t to the pixel below and −(a + b)/t to the pixel itself.
type tvGradOp struct {
	f   tvOp
	dx  *tensor.Dense
	acc []float64
}

func (op *tvGradOp) Arity() int { return 2 }
func (op *tvGradOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), hm.TypeVariable('a'), tensorT(4))
}
func (op *tvGradOp) ReturnsPtr() bool     { return true }
func (op *tvGradOp) CallsExtern() bool    { return false }
func (op *tvGradOp) OverwritesInput() int { return -1 }
func (op *tvGradOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *tvGradOp) Hashcode() uint32     { return hashOf(op) }
func (op *tvGradOp) String() string       { return "grad:" + op.f.String() }

func (op *tvGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	f := op.f
	return tensor.Shape{f.n, f.c, f.h, f.w}, nil
}

func (op *tvGradOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.f
	if op.dx == nil {
		op.dx = newF32(f.n, f.c, f.h, f.w)
		op.acc = make([]float64, f.n*f.c*f.h*f.w)
	}
	g, ok := vals[1].Data().(float32)
	if !ok {
		return nil, fmt.Errorf("models: %v: incoming gradient is %T, want a float32 scalar", op, vals[1].Data())
	}
	clear(op.acc)
	acc := op.acc
	f.terms(f32(vals[0]), func(p, q, r int, a, b, t float64) {
		acc[q] += a / t
		acc[r] += b / t
		acc[p] -= (a + b) / t
	})
	c, dx := float64(g)*f.scale, f32(op.dx)
	for i, v := range acc {
		dx[i] = float32(c * v)
	}
	return op.dx, nil
}
