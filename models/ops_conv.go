package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/datamix/harness/internal/gemm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convOp is a 2-D convolution with stride 1 and "same" zero padding (odd kernel size k, pad
// k/2 on every side), a bias per output channel and ReLU, optionally followed by a 2×2 max-pool
// with stride 2, on NCHW float32 tensors; weights are (O,C,k,k) and the bias (1,O,1,1),
// gorgonia's Conv2d layout:
//
//	a[n,o,i,j] = max(0, b[o] + Σ_{c,u,v} w[o,c,u,v]·x[n,c,i+u−pad,j+v−pad])
//	y = a, or with pool y[n,o,i,j] = max over the 2×2 window of a at (2i,2j)
//
// A pooled map of odd size drops its last row and column, as gorgonia's MaxPool2D does.
//
// Implicit im2col: each sample is copied into a zero-bordered image of row width Wp = W+2·pad.
// In that layout the patch-matrix row of (c,u,v) is the image itself shifted by
// c·plane+u·Wp+v, so the convolution is one product w·X with X's rows read in place
// (gemm.MulRowsB) and nothing is copied per patch. The output comes out Wp wide: columns
// W..Wp−1 of each row are junk that the bias/ReLU/pool pass skips (29% extra multiply-adds
// for 14×14 maps, 14% for 28×28, in exchange for no im2col and no packing). The weight
// gradient (gemm.MulRowsA) and the input gradient (the padded output gradient convolved with
// the flipped kernel, gemm.MulRowsB) use the same trick. Samples run in parallel.
type convOp struct {
	n, c, h, w int // input shape
	o, k, pad  int // output channels, kernel size, zero padding (k/2)
	pool       bool
	needDX     bool // compute the input gradient (false when the input is data)

	st *convState
}

// convState is what one convOp node keeps between its forward and backward passes.
type convState struct {
	out   *tensor.Dense // forward output, reused every step
	arg   []uint8       // pool: position of the maximum in each window, 2·row+col
	offs  []int         // row (c,u,v) of the implicit patch matrix starts at offs[(c·k+u)·k+v]
	wp    gemm.PackedA  // w as an O×Ck² matrix, packed once per pass
	wflip gemm.PackedA  // the flipped kernel as a C×Ok² matrix, for dX
	flip  []float32     // scratch for wflip
	grads []float32     // packed gradients: dW | db | dX
	partW [][]float32   // per-chunk partial sums of dWᵀ (Ck²×O) and db
	partB [][]float32
	work  []convScratch // per worker
}

// convScratch is one worker's buffers. img and grad are padded images (zero borders, written
// only inside); act is a Wp-wide convolution output.
type convScratch struct {
	img, grad, act []float32
	gT             gemm.PackedB
}

func newConvOp(xShape tensor.Shape, o, k int, pool, needDX bool) *convOp {
	if k%2 == 0 {
		panic(fmt.Sprintf("models: conv kernel %d: only odd sizes have same padding", k))
	}
	op := &convOp{n: xShape[0], c: xShape[1], h: xShape[2], w: xShape[3], o: o, k: k, pad: k / 2,
		pool: pool, needDX: needDX, st: new(convState)}
	for c := range max(op.c, op.o) {
		for u := range k {
			for v := range k {
				op.st.offs = append(op.st.offs, c*op.plane()+u*op.wpad()+v)
			}
		}
	}
	return op
}

// Geometry: a padded image is hpad×wpad per channel; the convolution output (before pooling)
// is h×w, computed as h rows of wpad values ("wide").
func (op *convOp) hpad() int  { return op.h + 2*op.pad }
func (op *convOp) wpad() int  { return op.w + 2*op.pad }
func (op *convOp) plane() int { return op.hpad() * op.wpad() }
func (op *convOp) wide() int  { return op.h * op.wpad() }
func (op *convOp) ckk() int   { return op.c * op.k * op.k }

// padded returns a worker's zero-bordered image buffer for ch channels: ch planes plus the
// k+16 values that reads of the last rows run past the end (see gemm.MulRowsB).
func (op *convOp) padded(buf *[]float32, ch int) []float32 {
	if n := ch*op.plane() + op.k + 16; len(*buf) != n {
		*buf = make([]float32, n)
	}
	return *buf
}

func (op *convOp) outShape() tensor.Shape {
	if op.pool {
		return tensor.Shape{op.n, op.o, op.h / 2, op.w / 2}
	}
	return tensor.Shape{op.n, op.o, op.h, op.w}
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
	ckk, wide := op.ckk(), op.wide()
	in, out := op.c*op.h*op.w, st.out.Shape().TotalSize()/op.n
	st.wp.Reset(op.o, ckk)
	st.wp.Pack(false, 1, wt, ckk)
	st.work = growWork(st.work)
	parallel(op.n, func(wk, s int) {
		ws := &st.work[wk]
		img := op.padded(&ws.img, op.c)
		op.fillPadded(img, x[s*in:(s+1)*in])
		act := scratch(&ws.act, op.o*wide)
		gemm.MulRowsB(&st.wp, img, st.offs[:ckk], wide, 0, act, wide)
		if op.pool {
			op.poolReLU(y[s*out:(s+1)*out], st.arg[s*out:(s+1)*out], act, b)
		} else {
			op.biasReLU(y[s*out:(s+1)*out], act, b)
		}
	})
	return st.out, nil
}

// fillPadded copies one sample's C×H×W image into the inside of a zero-bordered padded image.
func (op *convOp) fillPadded(img, x []float32) {
	h, w, wp := op.h, op.w, op.wpad()
	for c := range op.c {
		dst := img[c*op.plane()+op.pad*wp+op.pad:]
		src := x[c*h*w : (c+1)*h*w]
		for i := range h {
			copy(dst[i*wp:i*wp+w], src[i*w:(i+1)*w])
		}
	}
}

// biasReLU writes y = max(0, act+bias) from the valid columns of the wide output.
func (op *convOp) biasReLU(y, act, b []float32) {
	h, w, wp := op.h, op.w, op.wpad()
	for o := range op.o {
		bias := b[o]
		for i := range h {
			src := act[o*op.wide()+i*wp : o*op.wide()+i*wp+w]
			dst := y[(o*h+i)*w : (o*h+i+1)*w]
			for j, v := range src {
				dst[j] = max(v+bias, 0)
			}
		}
	}
}

// poolReLU writes y = max(0, max over each 2×2 window of act+bias) and the window position of
// the maximum (the first one on ties, in row-major order: the pair maxima are compared with the
// earlier pair winning ties).
func (op *convOp) poolReLU(y []float32, arg []uint8, act, b []float32) {
	wp, wide := op.wpad(), op.wide()
	ph, pw := op.h/2, op.w/2
	for o := range op.o {
		bias := b[o]
		a := act[o*wide : (o+1)*wide]
		for i := range ph {
			r0 := a[2*i*wp : 2*i*wp+2*pw]
			r1 := a[(2*i+1)*wp : (2*i+1)*wp+2*pw]
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

// b2u is 1 for true and 0 for false (compiled to a SETcc, no branch).
func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
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
// dW | db | dX (dX only when the forward op's needDX). Per sample: the gradient g at the
// pre-activation (routed through the pool's argmax and masked by ReLU) is written into a
// zero-bordered padded image; dWᵀ += X·gᵀ with X the implicit patch matrix of the sample's
// padded input (rebuilt: cheaper than storing it), db += Σ g, and dX is the padded g convolved
// with the flipped kernel, which needs same padding (k = 2·pad+1). dW and db are summed per
// chunk of samples, then over chunks in order (see reduceChunks).
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
	ckk, okk, kk, wide := f.ckk(), f.o*f.k*f.k, f.k*f.k, f.wide()
	nw := f.o * ckk
	dW, db, dX := st.grads[:nw], st.grads[nw:nw+f.o], st.grads[nw+f.o:]
	in, out := f.c*f.h*f.w, len(y)/f.n
	chunks := min(reduceChunks, f.n)
	for len(st.partW) < chunks {
		st.partW = append(st.partW, make([]float32, nw))
		st.partB = append(st.partB, make([]float32, f.o))
	}
	if f.needDX {
		// flip[c][(o,u,v)] = w[o][c][k−1−u][k−1−v]
		flip := scratch(&st.flip, f.c*okk)
		for o := range f.o {
			for c := range f.c {
				src := wt[(o*f.c+c)*kk : (o*f.c+c+1)*kk]
				dst := flip[c*okk+o*kk : c*okk+(o+1)*kk]
				for i, v := range src {
					dst[kk-1-i] = v
				}
			}
		}
		st.wflip.Reset(f.c, okk)
		st.wflip.Pack(false, 1, flip, okk)
	}
	st.work = growWork(st.work)
	origin := f.pad*f.wpad() + f.pad // where output pixel (0,0) sits in a padded image
	parallel(chunks, func(wk, ch int) {
		ws := &st.work[wk]
		pw, pb := st.partW[ch], st.partB[ch]
		clear(pb)
		lo, hi := chunkRange(f.n, chunks, ch)
		for s := lo; s < hi; s++ {
			var arg []uint8
			if f.pool {
				arg = st.arg[s*out : (s+1)*out]
			}
			g := f.padded(&ws.grad, f.o)
			f.preActGrad(g, pb, y[s*out:(s+1)*out], dy[s*out:(s+1)*out], arg)
			img := f.padded(&ws.img, f.c)
			f.fillPadded(img, x[s*in:(s+1)*in])
			// gᵀ as a wide×O matrix: column o is plane o of g from pixel (0,0) on; the junk
			// columns of each row fall on g's zero borders.
			ws.gT.Reset(wide, f.o)
			ws.gT.Pack(true, g[origin:], f.plane())
			beta := float32(1)
			if s == lo {
				beta = 0
			}
			gemm.MulRowsA(img, st.offs[:ckk], &ws.gT, beta, pw, f.o)
			if f.needDX {
				dxw := scratch(&ws.act, f.c*wide)
				gemm.MulRowsB(&st.wflip, g, st.offs[:okk], wide, 0, dxw, wide)
				dxs := dX[s*in : (s+1)*in]
				for c := range f.c {
					for i := range f.h {
						copy(dxs[(c*f.h+i)*f.w:(c*f.h+i+1)*f.w], dxw[c*wide+i*f.wpad():])
					}
				}
			}
		}
	})
	// dW[o][r] = Σ over chunks, in order, of dWᵀ[r][o].
	for r := range ckk {
		for o := range f.o {
			v := st.partW[0][r*f.o+o]
			for ch := 1; ch < chunks; ch++ {
				v += st.partW[ch][r*f.o+o]
			}
			dW[o*ckk+r] = v
		}
	}
	copy(db, st.partB[0])
	for ch := 1; ch < chunks; ch++ {
		for i, v := range st.partB[ch] {
			db[i] += v
		}
	}
	return tensor.New(tensor.WithShape(len(st.grads)), tensor.WithBacking(st.grads)), nil
}

// preActGrad writes one sample's gradient at the convolution's output before bias and ReLU
// into the inside of the padded image g (borders stay zero) and adds its per-channel sums to
// db: dy routed to each window's maximum when pooled, zero where the ReLU output is 0 (the
// ReLU's derivative at 0 is taken as 0).
func (op *convOp) preActGrad(g, db, y, dy []float32, arg []uint8) {
	h, w, wp := op.h, op.w, op.wpad()
	if !op.pool {
		for o := range op.o {
			var sum float32
			for i := range h {
				dst := g[o*op.plane()+(i+op.pad)*wp+op.pad:][:w]
				ys, ds := y[(o*h+i)*w:(o*h+i+1)*w], dy[(o*h+i)*w:(o*h+i+1)*w]
				for j, v := range ys {
					d := ds[j]
					if v <= 0 {
						d = 0
					}
					dst[j] = d
					sum += d
				}
			}
			db[o] += sum
		}
		return
	}
	ph, pw := h/2, w/2
	for o := range op.o {
		gc := g[o*op.plane()+op.pad*wp+op.pad:]
		for i := range h {
			clear(gc[i*wp : i*wp+w])
		}
		var sum float32
		for i := range ph {
			for j := range pw {
				idx := (o*ph+i)*pw + j
				if y[idx] <= 0 {
					continue
				}
				at := int(arg[idx])
				gc[(2*i+at>>1)*wp+2*j+at&1] = dy[idx]
				sum += dy[idx]
			}
		}
		db[o] += sum
	}
}

func growWork(w []convScratch) []convScratch {
	if n := workers(); len(w) < n {
		w = append(w, make([]convScratch, n-len(w))...)
	}
	return w
}
