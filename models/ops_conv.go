package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/datamix/harness/internal/gemm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convOp is a 2-D convolution with stride 1 and pad zeros on every side, a bias per output
// channel and ReLU, optionally followed by a 2×2 max-pool with stride 2, on NCHW float32
// tensors; weights are (O,C,k,k) and the bias (1,O,1,1), gorgonia's Conv2d layout:
//
//	a[n,o,i,j] = max(0, b[o] + Σ_{c,u,v} w[o,c,u,v]·x[n,c,i+u−pad,j+v−pad])
//	y = a, or with pool y[n,o,i,j] = max over the 2×2 window of a at (2i,2j)
//
// A pooled map of odd size drops its last row and column, as gorgonia's MaxPool2D does.
// Each sample is an im2col followed by one GEMM (w as an O×Ck² matrix times the Ck²×HW patch
// matrix); bias, ReLU and pooling are fused into one pass over the GEMM's output, which for a
// pooled layer never leaves the per-worker scratch. Samples run in parallel.
type convOp struct {
	n, c, h, w int // input shape
	o, k, pad  int // output channels, kernel size, zero padding
	pool       bool
	needDX     bool // compute the input gradient (false when the input is data)

	st *convState
}

// convState is what one convOp node keeps between its forward and backward passes.
type convState struct {
	out   *tensor.Dense // forward output, reused every step
	arg   []uint8       // pool: position of the maximum in each window, 2·row+col
	grads []float32     // packed gradients: dW | db | dX
	partW [][]float32   // per-chunk partial sums of dW and db
	partB [][]float32
	work  []convScratch // per worker
}

type convScratch struct{ col, act, dcol []float32 }

func newConvOp(xShape tensor.Shape, o, k int, pool, needDX bool) *convOp {
	return &convOp{n: xShape[0], c: xShape[1], h: xShape[2], w: xShape[3], o: o, k: k, pad: k / 2,
		pool: pool, needDX: needDX, st: new(convState)}
}

// convolution output size, before pooling
func (op *convOp) oh() int  { return op.h + 2*op.pad - op.k + 1 }
func (op *convOp) ow() int  { return op.w + 2*op.pad - op.k + 1 }
func (op *convOp) ckk() int { return op.c * op.k * op.k }

func (op *convOp) outShape() tensor.Shape {
	if op.pool {
		return tensor.Shape{op.n, op.o, op.oh() / 2, op.ow() / 2}
	}
	return tensor.Shape{op.n, op.o, op.oh(), op.ow()}
}

func (op *convOp) Arity() int { return 3 }
func (op *convOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4), tensorT(4))
}
func (op *convOp) ReturnsPtr() bool     { return true }
func (op *convOp) CallsExtern() bool    { return false }
func (op *convOp) OverwritesInput() int { return -1 }
func (op *convOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *convOp) Hashcode() uint32     { return hashOf(op) }
func (op *convOp) DiffWRT(int) []bool   { return []bool{op.needDX, true, true} }
func (op *convOp) String() string {
	return fmt.Sprintf("convReLU%v(%d,%dx%d,pad %d,pool %v,dx %v)", tensor.Shape{op.n, op.c, op.h, op.w}, op.o, op.k, op.k, op.pad, op.pool, op.needDX)
}

func (op *convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	want := []tensor.Shape{{op.n, op.c, op.h, op.w}, {op.o, op.c, op.k, op.k}, {1, op.o, 1, 1}}
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(want[i]) {
			return nil, fmt.Errorf("models: %v: input %d has shape %v, want %v", op, i, d, want[i])
		}
	}
	return op.outShape(), nil
}

func (op *convOp) Do(vals ...G.Value) (G.Value, error) {
	st := op.st
	if st.out == nil {
		st.out = newF32(op.outShape()...)
		if op.pool {
			st.arg = make([]uint8, st.out.Shape().TotalSize())
		}
	}
	x, wt, b := f32(vals[0]), f32(vals[1]), f32(vals[2])
	y := f32(st.out)
	ohw, ckk := op.oh()*op.ow(), op.ckk()
	in, out := op.c*op.h*op.w, st.out.Shape().TotalSize()/op.n
	st.work = growWork(st.work)
	parallel(op.n, func(wk, s int) {
		ws := &st.work[wk]
		col := scratch(&ws.col, ckk*ohw)
		op.im2col(col, x[s*in:(s+1)*in])
		ys := y[s*out : (s+1)*out]
		if !op.pool {
			gemm.Sgemm(false, false, op.o, ohw, ckk, 1, wt, ckk, col, ohw, 0, ys, ohw)
			for o := range op.o {
				row, bias := ys[o*ohw:(o+1)*ohw], b[o]
				for j, v := range row {
					row[j] = max(v+bias, 0)
				}
			}
			return
		}
		act := scratch(&ws.act, op.o*ohw)
		gemm.Sgemm(false, false, op.o, ohw, ckk, 1, wt, ckk, col, ohw, 0, act, ohw)
		op.poolReLU(ys, st.arg[s*out:(s+1)*out], act, b)
	})
	return st.out, nil
}

// poolReLU writes y = max(0, max over each 2×2 window of act+bias) and the window position of
// the maximum (the first one on ties, in row-major order: the pair maxima are compared with the
// earlier pair winning ties).
func (op *convOp) poolReLU(y []float32, arg []uint8, act, b []float32) {
	ow, ohw := op.ow(), op.oh()*op.ow()
	ph, pw := op.oh()/2, op.ow()/2
	for o := range op.o {
		bias := b[o]
		a := act[o*ohw : (o+1)*ohw]
		for i := range ph {
			r0 := a[2*i*ow : 2*i*ow+ow]
			r1 := a[(2*i+1)*ow : (2*i+1)*ow+ow]
			yr := y[(o*ph+i)*pw : (o*ph+i+1)*pw]
			ar := arg[(o*ph+i)*pw : (o*ph+i+1)*pw]
			for j := range yr {
				// Branch-free: the window's values are random, so compare-and-branch code
				// mispredicts about half the time (it was 12% of a training step).
				a0, a1, a2, a3 := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
				m01, m23 := max(a0, a1), max(a2, a3)
				at01, at23, hi := b2u(a1 > a0), 2+b2u(a3 > a2), b2u(m23 > m01)
				at := at01 + hi*(at23-at01) // at23 if the later pair wins, else at01
				yr[j], ar[j] = max(max(m01, m23)+bias, 0), at
			}
		}
	}
}

// im2col writes the patch matrix of one sample: row (c·k+u)·k+v, column i·ow+j holds
// x[c, i+u−pad, j+v−pad], or 0 outside the image.
func (op *convOp) im2col(col, x []float32) {
	h, w, k, pad := op.h, op.w, op.k, op.pad
	oh, ow := op.oh(), op.ow()
	for c := range op.c {
		xc := x[c*h*w : (c+1)*h*w]
		for u := range k {
			for v := range k {
				row := col[((c*k+u)*k+v)*oh*ow : ((c*k+u)*k+v+1)*oh*ow]
				jlo, jhi := max(0, pad-v), min(ow, w+pad-v) // 0 ≤ j+v−pad < w
				for i := range oh {
					r := row[i*ow : (i+1)*ow]
					ii := i + u - pad
					if ii < 0 || ii >= h || jlo >= jhi {
						clear(r)
						continue
					}
					clear(r[:jlo])
					copy(r[jlo:jhi], xc[ii*w+jlo+v-pad:])
					clear(r[jhi:])
				}
			}
		}
	}
}

// col2im adds the patch-matrix gradient dcol back onto the sample's input gradient dx (the
// adjoint of im2col); dx must be zero or hold earlier contributions.
func (op *convOp) col2im(dx, dcol []float32) {
	h, w, k, pad := op.h, op.w, op.k, op.pad
	oh, ow := op.oh(), op.ow()
	for c := range op.c {
		xc := dx[c*h*w : (c+1)*h*w]
		for u := range k {
			for v := range k {
				row := dcol[((c*k+u)*k+v)*oh*ow : ((c*k+u)*k+v+1)*oh*ow]
				jlo, jhi := max(0, pad-v), min(ow, w+pad-v)
				if jlo >= jhi {
					continue
				}
				for i := range oh {
					ii := i + u - pad
					if ii < 0 || ii >= h {
						continue
					}
					dst := xc[ii*w+jlo+v-pad : ii*w+jhi+v-pad]
					for j, g := range row[i*ow+jlo : i*ow+jhi] {
						dst[j] += g
					}
				}
			}
		}
	}
}

// SymDiff returns the gradients with respect to x (nil unless needDX), w and b: one backward
// node computes them all into a packed buffer, which part nodes hand out.
func (op *convOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	bwd, err := G.ApplyOp(&convBwdOp{op}, in[0], in[1], out, grad)
	if err != nil {
		return nil, err
	}
	nw := op.o * op.ckk()
	dw, err := part(bwd, "dW", 0, in[1].Shape())
	if err != nil {
		return nil, err
	}
	db, err := part(bwd, "db", nw, in[2].Shape())
	if err != nil {
		return nil, err
	}
	var dx *G.Node
	if op.needDX {
		if dx, err = part(bwd, "dX", nw+op.o, in[0].Shape()); err != nil {
			return nil, err
		}
	}
	return G.Nodes{dx, dw, db}, nil
}

// convBwdOp computes a convOp's gradients from (x, w, y, dy) into one packed vector
// dW | db | dX (dX only when the forward op's needDX). Per sample: the gradient at the
// pre-activation (routed through the pool's argmax and masked by ReLU) is formed in scratch;
// dW += g·colᵀ with the patch matrix recomputed (cheaper than storing it), db += row sums of g,
// and dX = col2im(wᵀ·g). dW and db are summed per chunk of samples, then over chunks in
// order (see reduceChunks).
type convBwdOp struct{ f *convOp }

func (op *convBwdOp) Arity() int { return 4 }
func (op *convBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4), tensorT(4), tensorT(1))
}
func (op *convBwdOp) ReturnsPtr() bool     { return true }
func (op *convBwdOp) CallsExtern() bool    { return false }
func (op *convBwdOp) OverwritesInput() int { return -1 }
func (op *convBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *convBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *convBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *convBwdOp) size() int {
	f := op.f
	n := f.o*f.ckk() + f.o
	if f.needDX {
		n += f.n * f.c * f.h * f.w
	}
	return n
}

func (op *convBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}

func (op *convBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f, st := op.f, op.f.st
	x, wt, y, dy := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(vals[3])
	if len(st.grads) == 0 {
		st.grads = make([]float32, op.size())
	}
	ckk, ohw := f.ckk(), f.oh()*f.ow()
	nw := f.o * ckk
	dW, db, dX := st.grads[:nw], st.grads[nw:nw+f.o], st.grads[nw+f.o:]
	in, out := f.c*f.h*f.w, len(y)/f.n
	chunks := min(reduceChunks, f.n)
	for len(st.partW) < chunks {
		st.partW = append(st.partW, make([]float32, nw))
		st.partB = append(st.partB, make([]float32, f.o))
	}
	st.work = growWork(st.work)
	parallel(chunks, func(wk, ch int) {
		ws := &st.work[wk]
		pw, pb := st.partW[ch], st.partB[ch]
		clear(pb)
		lo, hi := chunkRange(f.n, chunks, ch)
		for s := lo; s < hi; s++ {
			g := scratch(&ws.act, f.o*ohw)
			var arg []uint8
			if f.pool {
				arg = st.arg[s*out : (s+1)*out]
			}
			f.preActGrad(g, y[s*out:(s+1)*out], dy[s*out:(s+1)*out], arg)
			col := scratch(&ws.col, ckk*ohw)
			f.im2col(col, x[s*in:(s+1)*in])
			beta := float32(1)
			if s == lo {
				beta = 0
			}
			gemm.Sgemm(false, true, f.o, ckk, ohw, 1, g, ohw, col, ohw, beta, pw, ckk)
			for o := range f.o {
				var sum float32
				for _, v := range g[o*ohw : (o+1)*ohw] {
					sum += v
				}
				pb[o] += sum
			}
			if f.needDX {
				dcol := scratch(&ws.dcol, ckk*ohw)
				gemm.Sgemm(true, false, ckk, ohw, f.o, 1, wt, ckk, g, ohw, 0, dcol, ohw)
				dxs := dX[s*in : (s+1)*in]
				clear(dxs)
				f.col2im(dxs, dcol)
			}
		}
	})
	copy(dW, st.partW[0])
	copy(db, st.partB[0])
	for ch := 1; ch < chunks; ch++ {
		for i, v := range st.partW[ch] {
			dW[i] += v
		}
		for i, v := range st.partB[ch] {
			db[i] += v
		}
	}
	return tensor.New(tensor.WithShape(len(st.grads)), tensor.WithBacking(st.grads)), nil
}

// preActGrad writes into g (O×oh·ow) the gradient at the convolution's output before bias and
// ReLU, for one sample: dy routed to each window's maximum when pooled, zero where the ReLU
// output is 0 (the ReLU's derivative at 0 is taken as 0).
func (op *convOp) preActGrad(g, y, dy []float32, arg []uint8) {
	if !op.pool {
		for i, v := range y {
			if v > 0 {
				g[i] = dy[i]
			} else {
				g[i] = 0
			}
		}
		return
	}
	clear(g)
	ow, ohw := op.ow(), op.oh()*op.ow()
	ph, pw := op.oh()/2, op.ow()/2
	for o := range op.o {
		gc := g[o*ohw : (o+1)*ohw]
		for i := range ph {
			for j := range pw {
				idx := (o*ph+i)*pw + j
				if y[idx] <= 0 {
					continue
				}
				at := int(arg[idx])
				gc[(2*i+at>>1)*ow+2*j+at&1] = dy[idx]
			}
		}
	}
}

func growWork(w []convScratch) []convScratch {
	if n := workers(); len(w) < n {
		w = append(w, make([]convScratch, n-len(w))...)
	}
	return w
}

// b2u is 1 for true and 0 for false (compiled to a SETcc, no branch).
func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
