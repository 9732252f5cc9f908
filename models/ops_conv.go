package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/datamix/harness/internal/bnorm"
	"github.com/datamix/harness/internal/gemm"
	"github.com/datamix/harness/internal/maxpool"
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
// Unpooled, the ReLU may be replaced by a sigmoid or by nothing (activation; the decoder's
// layers, decoder.go).
//
// A pooled map of odd size drops its last row and column, as gorgonia's MaxPool2D does. Bias,
// ReLU and pooling are one pass over the convolution's output (internal/maxpool, AVX2), which
// also records each window's argmax for the backward pass.
//
// No patch matrix is ever formed. Each sample is copied into a zero-bordered C×Hp×Wp image
// (Hp = H+2·pad, Wp = W+2·pad); the patch of output pixel (i,j) then starts at i·Wp+j and its
// element (c,u,v) sits c·Hp·Wp+u·Wp+v further on, so the convolution is the product of an
// implicit im2row matrix (pixels × Ck², read in place by gemm.MulPatches) with wᵀ (Ck²×O), and
// comes out pixel-major: act[pixel][o]. The weight gradient is X·gᵀ with X the implicit
// im2col matrix (Ck² × pixels, rows read in place image row by image row, gemm.MulRowsA),
// and the input gradient is the pixel-major gradient, zero-padded, convolved with the
// flipped kernel (gemm.MulPatches again). Samples run in parallel.
//
// With few output channels (at most tapsMaxO, unpooled: the decoder's image layer) those
// products would fill the kernels' 16-wide tiles for one to four useful columns, so the
// lanes run along image rows instead (gemm.Taps, gemm.Dots), on channel planes throughout:
// each output plane is a sum of Ck² shifted copies of the padded input weighted by one filter
// value each, each input-gradient plane a sum of the Ok² shifted copies of the padded
// gradient weighted by the flipped kernel, and each filter value of the weight gradient a dot
// product of a gradient plane with a window of the padded input.
type convOp struct {
	n, c, h, w int // input shape
	o, k, pad  int // output channels, kernel size, zero padding (k/2)
	pool       bool
	act        activation // after the bias: ReLU (the networks' layers); sigmoid or none unpooled only
	needDX     bool       // compute the input gradient (false when the input is data)
	needArg    bool       // keep the pool's argmax and the padded images for a backward pass (set by SymDiff)

	st *convState
}

// convState is what one convOp node keeps between its forward and backward passes.
type convState struct {
	out   *tensor.Dense // forward output, reused every step
	arg   []int32       // pool, training only: window position of each maximum (pixel-major)
	imgs  []float32     // training, dense backward pass: every sample's padded input image
	pos   []int         // output pixel (i,j) → i·Wp+j, its window's corner in a padded image
	offs  []int         // patch element (c,u,v) → c·Hp·Wp+u·Wp+v, its offset from the corner
	gOffs []int         // the same in the pixel-major padded gradient: (u·Wp+v)·O+o for (o,u,v)
	gPos  []int         // output pixel → (i·Wp+j)·O in the padded gradient
	// gOffsPlanes is (o,u,v) → o·Hp·Wp+u·Wp+v in a padded gradient of O planes (taps())
	gOffsPlanes []int
	wT          gemm.PackedB // wᵀ as a Ck²×O matrix, packed once per pass
	wflip       gemm.PackedB // the flipped kernel as an Ok²×C matrix, for the dense dX
	flip        []float32    // scratch for wflip
	sp          gemm.Sparse  // layout of the sparse gradients (when sparse())
	wperm       []float32    // w as O filters of sp.Len() values (channels last), for the sparse dX
	grads       []float32    // packed gradients: dW | db | dX
	partW       [][]float32  // per-chunk partial sums of dW (dense: dWᵀ, Ck²×O; sparse: O filters in sp layout) and db
	partB       [][]float32
	work        []convScratch // per worker
}

// convScratch is one worker's buffers: img (C×Hp×Wp), gpad (Hp×Wp×O) and imgT (Hp×Wp×C) are
// padded images whose zero borders are never written; dimg (Hp×Wp×C) is a padded input
// gradient; act is a pixel-major convolution output or gradient and pooled its pooling; nzPos
// and nzG list one filter's non-zero output gradients (sparse path).
type convScratch struct {
	img, gpad, imgT, dimg, act, pooled, g, nzG []float32
	nzPos                                      []int
	gT                                         gemm.PackedB
	sum, sq                                    []float64
}

// sums returns the scratch's two float64 vectors of n values.
func (ws *convScratch) sums(n int) (sum, sq []float64) {
	if len(ws.sum) < n {
		ws.sum, ws.sq = make([]float64, n), make([]float64, n)
	}
	return ws.sum[:n], ws.sq[:n]
}

func newConvOp(xShape tensor.Shape, o, k int, pool, needDX bool) *convOp {
	return newConvActOp(xShape, o, k, pool, actReLU, needDX)
}

// newConvActOp is newConvOp with another activation than ReLU: sigmoid or none, without
// pooling (the decoder's layers, decoder.go).
func newConvActOp(xShape tensor.Shape, o, k int, pool bool, act activation, needDX bool) *convOp {
	if k%2 == 0 {
		panic(fmt.Sprintf("models: conv kernel %d: only odd sizes have same padding", k))
	}
	if pool && act != actReLU {
		panic("models: a pooled convolution is followed by ReLU")
	}
	op := &convOp{n: xShape[0], c: xShape[1], h: xShape[2], w: xShape[3], o: o, k: k, pad: k / 2,
		pool: pool, act: act, needDX: needDX, st: new(convState)}
	st := op.st
	for i := range op.h {
		for j := range op.w {
			st.pos = append(st.pos, i*op.wpad()+j)
			st.gPos = append(st.gPos, (i*op.wpad()+j)*o)
		}
	}
	for c := range op.c {
		for u := range k {
			for v := range k {
				st.offs = append(st.offs, c*op.plane()+u*op.wpad()+v)
			}
		}
	}
	for oc := range o {
		for u := range k {
			for v := range k {
				st.gOffs = append(st.gOffs, (u*op.wpad()+v)*o+oc)
			}
		}
	}
	if op.sparse() {
		st.sp = gemm.NewSparse(k, op.c, op.wpad())
	}
	return op
}

// tapsMaxO is the largest number of output channels that an unpooled convolution computes
// plane by plane (gemm.Taps) rather than as a matrix product with 16-wide tiles.
const tapsMaxO = 4

// taps says whether the convolution runs plane by plane (see convOp).
func (op *convOp) taps() bool { return !op.pool && op.o <= tapsMaxO }

// tapSlack is the zero margin after a padded image: the tap kernels read up to 16 values past
// the last window's row (gemm.Taps) and Dots reads a gradient image's last row to a multiple
// of 16 values.
const tapSlack = 32

// sparse says whether the backward pass sums the gradient's non-zero terms only
// (gemm.Sparse) instead of running dense products: after a 2×2 max-pool at most one value in
// four is non-zero (fewer after ReLU), and with C a multiple of 16 each term is whole pairs of
// AVX2 vectors.
func (op *convOp) sparse() bool { return op.pool && op.c%16 == 0 }

// Geometry: a padded image is hpad×wpad per channel; the convolution output (before pooling)
// is h×w.
func (op *convOp) hpad() int  { return op.h + 2*op.pad }
func (op *convOp) wpad() int  { return op.w + 2*op.pad }
func (op *convOp) plane() int { return op.hpad() * op.wpad() }
func (op *convOp) ckk() int   { return op.c * op.k * op.k }

// imgLen is the length of a padded image of the input's channels, slack included.
func (op *convOp) imgLen() int { return op.c*op.plane() + tapSlack }

// image returns the padded input image of sample s: the one kept for the backward pass
// (training, dense backward pass), else the worker's. Its zero borders are never written.
func (op *convOp) image(ws *convScratch, s int) []float32 {
	if st := op.st; st.imgs != nil {
		return st.imgs[s*op.imgLen() : (s+1)*op.imgLen()]
	}
	return op.padded(&ws.img, op.c)
}

// padded returns a worker's zero-bordered image buffer of ch channels, allocating it (zeroed)
// on first use; callers write only inside the borders.
func (op *convOp) padded(buf *[]float32, ch int) []float32 {
	if n := ch*op.plane() + tapSlack; len(*buf) != n {
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
	return fmt.Sprintf("conv%v%v(%d,%dx%d,pad %d,pool %v,dx %v)", op.act, tensor.Shape{op.n, op.c, op.h, op.w}, op.o, op.k, op.k, op.pad, op.pool, op.needDX)
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
	}
	if op.pool && op.needArg && st.arg == nil {
		st.arg = make([]int32, st.out.Shape().TotalSize())
	}
	if op.needArg && !op.sparse() && st.imgs == nil {
		st.imgs = make([]float32, op.n*op.imgLen())
	}
	x, wt, b := f32(vals[0]), f32(vals[1]), f32(vals[2])
	y := f32(st.out)
	ckk, hw := op.ckk(), op.h*op.w
	in, out := op.c*hw, st.out.Shape().TotalSize()/op.n
	st.wT.Reset(ckk, op.o)
	st.wT.Pack(true, wt, ckk)
	st.work = perWorker(st.work)
	parallel(op.n, func(wk, s int) {
		ws := &st.work[wk]
		img := op.image(ws, s)
		op.fillPadded(img, x[s*in:(s+1)*in])
		if op.taps() {
			op.tapsForward(y[s*out:(s+1)*out], img, wt, b)
			return
		}
		act := scratch(&ws.act, hw*op.o)
		gemm.MulPatches(img, st.pos, st.offs, &st.wT, 0, act, op.o)
		if op.pool {
			var arg []int32
			if st.arg != nil {
				arg = st.arg[s*out : (s+1)*out]
			}
			pooled := scratch(&ws.pooled, out)
			maxpool.MaxReLU2x2(op.h, op.w, op.o, act, b, pooled, arg)
			// pixel-major → NCHW
			ys, np := y[s*out:(s+1)*out], out/op.o
			for p := range np {
				for c, v := range pooled[p*op.o : (p+1)*op.o] {
					ys[c*np+p] = v
				}
			}
		} else {
			op.biasAct(y[s*out:(s+1)*out], act, b)
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

// tapsForward writes one sample's output planes y[o] = f(conv + bias[o]) from its padded
// image, one plane at a time (gemm.Taps).
func (op *convOp) tapsForward(y, img, wt, b []float32) {
	hw, ckk := op.h*op.w, op.ckk()
	for o := range op.o {
		plane := y[o*hw : (o+1)*hw]
		gemm.Taps(wt[o*ckk:(o+1)*ckk], op.st.offs, img, op.wpad(), plane, op.w, op.h, op.w)
		for q, v := range plane {
			plane[q] = op.act.apply(v + b[o])
		}
	}
}

// biasAct writes y[o][pixel] = f(act[pixel][o]+bias[o]), f the op's activation.
func (op *convOp) biasAct(y, act, b []float32) {
	hw := op.h * op.w
	if op.act != actSigmoid { // transposed, then bias and ReLU (or none) plane by plane
		bnorm.Transpose2D(y, hw, act, op.o, hw, op.o)
		for o := range op.o {
			plane := y[o*hw : (o+1)*hw]
			bnorm.Affine(plane, plane, nil, 1, b[o], op.act == actReLU)
		}
		return
	}
	for q := range hw {
		a := act[q*op.o : (q+1)*op.o]
		for o, v := range a {
			y[o*hw+q] = op.act.apply(v + b[o])
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
	op.needArg = true
	bwd, err := G.ApplyOp(&convBwdOp{op}, in[0], in[1], out, grad)
	if err != nil {
		return nil, err
	}
	return unpackGrads(bwd, in, op.needDX)
}

// convBwdOp computes a convOp's gradients from (x, w, y, dy) into one packed vector
// dW | db | dX (dX only when the forward op's needDX). Per sample: the gradient g at the
// pre-activation (routed through the pool's argmax and masked by ReLU) is formed pixel-major;
// dWᵀ += X·g with X the implicit im2col matrix of the sample's padded input (rebuilt: cheaper
// than storing it), db += Σ g, and dX is the zero-padded g convolved with the flipped kernel
// (which needs same padding, k = 2·pad+1). When sparse(), the same sums are taken over the
// non-zero gradient values only: each adds its weighted input patch to dW and its weighted
// filter to dX (gemm.Sparse, on pixel-major copies of the input and dX). dW and db are
// summed per chunk of samples, then over chunks in order (see reduceChunks).
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
	ckk, okk, kk, hw, wp := f.ckk(), f.o*f.k*f.k, f.k*f.k, f.h*f.w, f.wpad()
	nw := f.o * ckk
	dW, db, dX := st.grads[:nw], st.grads[nw:nw+f.o], st.grads[nw+f.o:]
	in, out := f.c*hw, len(y)/f.n
	chunks := min(reduceChunks, f.n)
	sparse := f.sparse()
	partLen := nw
	if sparse {
		partLen = f.o * st.sp.Len()
	}
	for len(st.partW) < chunks {
		st.partW = append(st.partW, make([]float32, partLen))
		st.partB = append(st.partB, make([]float32, f.o))
	}
	if sparse && f.needDX {
		// wperm[o][(u,v)·C+c] = w[o][c][u][v]; the padding of each filter stays zero.
		if st.wperm == nil {
			st.wperm = make([]float32, f.o*st.sp.Len())
		}
		for o := range f.o {
			for c := range f.c {
				for uv, v := range wt[(o*f.c+c)*kk : (o*f.c+c+1)*kk] {
					st.wperm[o*st.sp.Len()+uv*f.c+c] = v
				}
			}
		}
	}
	if f.needDX && f.taps() {
		// flip[c][(o,u,v)] = w[o][c][k−1−u][k−1−v]: input-gradient plane c's taps.
		flip := scratch(&st.flip, okk*f.c)
		for o := range f.o {
			for c := range f.c {
				for i, v := range wt[(o*f.c+c)*kk : (o*f.c+c+1)*kk] {
					flip[c*okk+o*kk+kk-1-i] = v
				}
			}
		}
		// Built here, before the workers start: they all read it.
		if len(st.gOffsPlanes) != okk {
			st.gOffsPlanes = st.gOffsPlanes[:0]
			for o := range f.o {
				for u := range f.k {
					for v := range f.k {
						st.gOffsPlanes = append(st.gOffsPlanes, o*f.plane()+u*f.wpad()+v)
					}
				}
			}
		}
	} else if f.needDX && !sparse {
		// flip[(o,u,v)][c] = w[o][c][k−1−u][k−1−v]
		flip := scratch(&st.flip, okk*f.c)
		for o := range f.o {
			for c := range f.c {
				src := wt[(o*f.c+c)*kk : (o*f.c+c+1)*kk]
				for i, v := range src {
					flip[(o*kk+kk-1-i)*f.c+c] = v
				}
			}
		}
		st.wflip.Reset(okk, f.c)
		st.wflip.Pack(false, flip, f.c)
	}
	st.work = perWorker(st.work)
	parallel(chunks, func(wk, ch int) {
		ws := &st.work[wk]
		pw, pb := st.partW[ch], st.partB[ch]
		clear(pb)
		lo, hi := chunkRange(f.n, chunks, ch)
		if sparse {
			clear(pw)
			for s := lo; s < hi; s++ {
				var dxs []float32
				if f.needDX {
					dxs = dX[s*in : (s+1)*in]
				}
				f.sparseGrads(ws, pw, pb, x[s*in:(s+1)*in], y[s*out:(s+1)*out], dy[s*out:(s+1)*out], st.arg[s*out:(s+1)*out], dxs)
			}
			return
		}
		if f.taps() {
			for s := lo; s < hi; s++ {
				var dxs []float32
				if f.needDX {
					dxs = dX[s*in : (s+1)*in]
				}
				f.tapsGrads(ws, pw, pb, s, s == lo, y[s*out:(s+1)*out], dy[s*out:(s+1)*out], dxs)
			}
			return
		}
		for s := lo; s < hi; s++ {
			var arg []int32
			if f.pool {
				arg = st.arg[s*out : (s+1)*out]
			}
			g := scratch(&ws.g, hw*f.o)
			f.preActGrad(ws, g, pb, y[s*out:(s+1)*out], dy[s*out:(s+1)*out], arg)
			img := f.image(ws, s) // kept from the forward pass
			ws.gT.ResetWhole(hw, f.o)
			ws.gT.Pack(false, g, f.o)
			beta := float32(1)
			if s == lo {
				beta = 0
			}
			gemm.MulRowsA(img, st.offs, gemm.Segments{Count: f.h, Len: f.w, Stride: wp}, &ws.gT, beta, pw, f.o)
			if !f.needDX {
				continue
			}
			gpad := f.padded(&ws.gpad, f.o) // pixel-major: Hp×Wp×O
			for i := range f.h {
				copy(gpad[((i+f.pad)*wp+f.pad)*f.o:], g[i*f.w*f.o:(i+1)*f.w*f.o])
			}
			dxT := scratch(&ws.act, hw*f.c)
			gemm.MulPatches(gpad, st.gPos, st.gOffs, &st.wflip, 0, dxT, f.c)
			bnorm.Transpose2D(dX[s*in:(s+1)*in], hw, dxT, f.c, hw, f.c)
		}
	})
	// dW[o][c][u][v] = Σ over chunks, in order, of the chunks' partial sums.
	for o := range f.o {
		for c := range f.c {
			for uv := range kk {
				r := c*kk + uv
				at := r*f.o + o // dense: dWᵀ[r][o]
				if sparse {
					at = o*st.sp.Len() + uv*f.c + c // sparse: filter o, base layout
				}
				v := st.partW[0][at]
				for ch := 1; ch < chunks; ch++ {
					v += st.partW[ch][at]
				}
				dW[o*ckk+r] = v
			}
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

// tapsGrads adds one sample's weight gradient to the chunk's dWᵀ pw (overwriting it when
// first) and its bias gradient to pb and, when dx is not nil, writes its input gradient, all
// plane by plane (see convOp): the gradient g at the pre-activation goes into a zero-padded
// image of O planes, each filter value of dW is the dot product of a plane of g (read with
// the padded image's row stride: zeros past each row) with a window of the padded input,
// and each plane of dX is the flipped kernel's taps on the padded g.
func (op *convOp) tapsGrads(ws *convScratch, pw, pb []float32, s int, first bool, y, dy, dx []float32) {
	st, hw, wp, ckk := op.st, op.h*op.w, op.wpad(), op.ckk()
	gpad := op.padded(&ws.gpad, op.o)
	for o := range op.o {
		var sum float32
		ys, ds := y[o*hw:(o+1)*hw], dy[o*hw:(o+1)*hw]
		for i := range op.h {
			row := gpad[o*op.plane()+(i+op.pad)*wp+op.pad:][:op.w]
			for j := range row {
				d := ds[i*op.w+j]
				switch v := ys[i*op.w+j]; op.act {
				case actReLU:
					if v <= 0 {
						d = 0
					}
				case actSigmoid:
					d = d * v * (1 - v)
				}
				row[j] = d
				sum += d
			}
		}
		pb[o] += sum
	}
	img := op.image(ws, s)    // kept from the forward pass
	n := (op.h*wp + 15) &^ 15 // the rows of a gradient plane, with the stride of the image
	dots := scratch(&ws.g, ckk)
	for o := range op.o {
		start := o*op.plane() + op.pad*wp + op.pad
		gemm.Dots(gpad[start:start+n], img, st.offs, dots)
		for r, v := range dots {
			if first {
				pw[r*op.o+o] = v
			} else {
				pw[r*op.o+o] += v
			}
		}
	}
	if dx == nil {
		return
	}
	okk := op.o * op.k * op.k
	for c := range op.c {
		gemm.Taps(st.flip[c*okk:(c+1)*okk], st.gOffsPlanes, gpad, wp, dx[c*hw:(c+1)*hw], op.w, op.h, op.w)
	}
}

// sparseGrads adds one sample's terms to the chunk's dW (filters in gemm.Sparse layout) and
// db and, when dx is not nil, writes the sample's input gradient: for every pooled output with
// y > 0 the gradient dy sits at the window's maximum (i,j), and the patch that starts at (i,j)
// in the padded image gets dW[o] += dy·patch and dX(patch) += dy·w[o].
func (op *convOp) sparseGrads(ws *convScratch, dw, db, x, y, dy []float32, arg []int32, dx []float32) {
	c, h, w, wp, sp := op.c, op.h, op.w, op.wpad(), op.st.sp
	// Pixel-major padded copy of the input.
	imgT := op.padded(&ws.imgT, c)
	for ci := range c {
		for i := range h {
			row := imgT[((i+op.pad)*wp+op.pad)*c:]
			for j, v := range x[(ci*h+i)*w : (ci*h+i+1)*w] {
				row[j*c+ci] = v
			}
		}
	}
	var dimg []float32
	if dx != nil {
		dimg = op.padded(&ws.dimg, c)
		clear(dimg)
	}
	ph, pw := h/2, w/2
	if cap(ws.nzPos) < ph*pw {
		ws.nzPos, ws.nzG = make([]int, ph*pw), make([]float32, ph*pw)
	}
	pos, gs := ws.nzPos[:ph*pw], ws.nzG[:ph*pw]
	for o := range op.o {
		// The filter's non-zero gradients, appended without branching on the data.
		n := 0
		for i := range ph {
			for j := range pw {
				idx := (o*ph+i)*pw + j
				at := int(arg[(i*pw+j)*op.o+o])
				pos[n] = ((2*i+at>>1)*wp + 2*j + at&1) * c
				gs[n] = dy[idx]
				n += int(b2u(y[idx] > 0))
			}
		}
		var sum float32
		for _, g := range gs[:n] {
			sum += g
		}
		db[o] += sum
		L := sp.Len()
		sp.SparseDW(pos[:n], gs[:n], imgT, dw[o*L:(o+1)*L])
		if dx != nil {
			sp.SparseDX(pos[:n], gs[:n], op.st.wperm[o*L:(o+1)*L], dimg)
		}
	}
	if dx == nil {
		return
	}
	for ci := range c {
		for i := range h {
			row := dimg[((i+op.pad)*wp+op.pad)*c:]
			out := dx[(ci*h+i)*w : (ci*h+i+1)*w]
			for j := range out {
				out[j] = row[j*c+ci]
			}
		}
	}
}

// preActGrad writes one sample's gradient at the convolution's output before bias and ReLU,
// pixel-major (g[pixel][o]), and adds its per-channel sums to db: dy routed to each window's
// maximum when pooled, zero where the ReLU output is 0 (the ReLU's derivative at 0 is taken
// as 0); unpooled, dy times the derivative of the op's activation, read off its output.
func (op *convOp) preActGrad(ws *convScratch, g, db, y, dy []float32, arg []int32) {
	hw, o := op.h*op.w, op.o
	if !op.pool && op.act != actSigmoid {
		// Masked by the ReLU (or not), transposed, and summed per channel in float64.
		src := dy
		if op.act == actReLU {
			src = scratch(&ws.pooled, hw*o)
			bnorm.Mask(src, dy, y)
		}
		bnorm.Transpose2D(g, o, src, hw, o, hw)
		sum, sq := ws.sums(o)
		bnorm.ColSums(g, o, sum, sq)
		for c := range o {
			db[c] += float32(sum[c])
		}
		return
	}
	if !op.pool {
		for c := range o {
			var sum float32
			ys, ds := y[c*hw:(c+1)*hw], dy[c*hw:(c+1)*hw]
			switch op.act {
			case actReLU:
				for q, v := range ys {
					d := ds[q]
					if v <= 0 {
						d = 0
					}
					g[q*o+c] = d
					sum += d
				}
			case actSigmoid:
				for q, v := range ys {
					d := ds[q] * v * (1 - v)
					g[q*o+c] = d
					sum += d
				}
			default:
				for q, d := range ds {
					g[q*o+c] = d
					sum += d
				}
			}
			db[c] += sum
		}
		return
	}
	clear(g)
	w, ph, pw := op.w, op.h/2, op.w/2
	for c := range o {
		var sum float32
		for i := range ph {
			for j := range pw {
				idx := (c*ph+i)*pw + j
				if y[idx] <= 0 {
					continue
				}
				at := int(arg[(i*pw+j)*o+c])
				g[((2*i+at>>1)*w+2*j+at&1)*o+c] = dy[idx]
				sum += dy[idx]
			}
		}
		db[c] += sum
	}
}

// activation is the function a convolution applies after its bias.
type activation int

const (
	actReLU    activation = iota // max(0, a)
	actSigmoid                   // 1 / (1 + exp(−a)): outputs in (0,1), the decoder's images
	actNone                      // a
)

func (f activation) String() string {
	switch f {
	case actSigmoid:
		return "Sigmoid"
	case actNone:
		return "Linear"
	}
	return "ReLU"
}

// apply returns f(a).
func (f activation) apply(a float32) float32 {
	switch f {
	case actSigmoid:
		return float32(1 / (1 + math.Exp(-float64(a))))
	case actNone:
		return a
	}
	return max(a, 0)
}
