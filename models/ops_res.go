package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/datamix/harness/internal/bnorm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// resBlockOp is a basic residual block with batch normalisation (He et al. 2016, Fig. 2 left;
// arch_resnet.go) as one op: inputs x (N,C,H,W), w1 (O,C,3,3), γ1, β1 (O), w2 (O,O,3,3), γ2, β2
// (O); output (N,O,Ho,Wo):
//
//	h = ReLU(BN₁(conv₁(x)))        conv₁ with stride s
//	y = ReLU(BN₂(conv₂(h)) + P(x))  P the shortcut: the identity, or option A when s > 1 or O ≠ C
//
// Two bnConv units do the work (ops_bn.go). One op rather than one per layer because the block's
// input feeds two paths: the backward op writes both gradients into one buffer, where
// gorgonia would add two separately allocated tensors; h never leaves the op, so it stays
// pixel-major — the first unit's normalisation writes it straight into the second unit's
// padded input image, and the second unit's input gradient comes out pixel-major, as the
// first unit's batch norm takes it — and the second convolution of each sample runs right
// after its first batch norm, while the sample is in cache.
type resBlockOp struct {
	u1, u2 *bnConv
	short  *shortcut
	needDX bool

	out   *tensor.Dense
	dh1   []float32 // backward: every sample's gradient at h, pixel-major
	grads []float32 // packed gradients (resBlockBwdOp)
}

func newResBlockOp(x tensor.Shape, o, k, s int, mode bnMode, needDX bool, stats [4][]float32) *resBlockOp {
	n, c, h, w := x[0], x[1], x[2], x[3]
	// With running statistics the first unit's input gradient needs its pre-normalisation
	// values (for the ReLU mask of h), the second's does not (planarDX).
	u1 := newBNConv(n, c, h, w, o, k, s, true, mode, needDX, stats[0], stats[1])
	u2 := newBNConv(n, o, u1.ho, u1.wo, o, k, 1, true, mode, false, stats[2], stats[3])
	if (o-c)%2 != 0 || o < c {
		panic(fmt.Sprintf("models: residual block %d → %d channels: the option-A shortcut pads evenly", c, o))
	}
	return &resBlockOp{u1: u1, u2: u2, needDX: needDX, short: newShortcut(c, h, w, s, o, u1.ho, u1.wo)}
}

func (op *resBlockOp) Arity() int { return 7 }
func (op *resBlockOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(1), tensorT(1), tensorT(4), tensorT(1), tensorT(1), tensorT(4))
}
func (op *resBlockOp) ReturnsPtr() bool     { return true }
func (op *resBlockOp) CallsExtern() bool    { return false }
func (op *resBlockOp) OverwritesInput() int { return -1 }
func (op *resBlockOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *resBlockOp) Hashcode() uint32     { return hashOf(op) }
func (op *resBlockOp) DiffWRT(int) []bool {
	w := op.u1.mode == bnTrain
	return []bool{op.needDX, w, w, w, w, w, w}
}
func (op *resBlockOp) String() string {
	return fmt.Sprintf("resBlock(%v|%v,dx %v)", op.u1, op.u2, op.needDX)
}

func (op *resBlockOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	u1, u2 := op.u1, op.u2
	want := []tensor.Shape{{u1.n, u1.c, u1.h, u1.w}, {u1.o, u1.c, u1.k, u1.k}, {u1.o}, {u1.o},
		{u2.o, u2.c, u2.k, u2.k}, {u2.o}, {u2.o}}
	if err := checkShapes(op, in, want); err != nil {
		return nil, err
	}
	return tensor.Shape(u2.outShape()), nil
}

func (op *resBlockOp) Do(vals ...G.Value) (G.Value, error) {
	u1, u2 := op.u1, op.u2
	if op.out == nil {
		op.out = newF32(u2.outShape()...)
	}
	x, w1, g1, b1 := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(vals[3])
	w2, g2, b2, y := f32(vals[4]), f32(vals[5]), f32(vals[6]), f32(op.out)
	in, out := u1.inSize(), u2.outSize()
	u1.prepare(w1, g1, b1)
	u2.prepare(w2, g2, b2)
	// conv₁ of sample s from its input planes.
	conv1 := func(wk, s int) []float32 {
		img := u1.image(wk, s)
		u1.fillImage(img, x[s*in:(s+1)*in])
		return u1.convSample(wk, s, img)
	}
	// BN₁ and ReLU into conv₂'s input image, then conv₂.
	conv2 := func(wk, s int, a1 []float32) []float32 {
		img := u2.image(wk, s)
		u1.normInto(img, a1, u2.pad)
		return u2.convSample(wk, s, img)
	}
	if u1.mode == bnRunning {
		// No batch statistics: each sample runs through the whole block at once, in cache.
		parallel(u1.n, func(wk, s int) {
			a2 := conv2(wk, s, conv1(wk, s))
			u2.emit(y[s*out:(s+1)*out], a2, x[s*in:(s+1)*in], op.short)
		})
		return op.out, nil
	}
	parallel(u1.n, func(wk, s int) { conv1(wk, s) })
	u1.finishStats(g1, b1)
	parallel(u1.n, func(wk, s int) { conv2(wk, s, u1.preA(wk, s)) })
	u2.finishStats(g2, b2)
	parallel(u1.n, func(wk, s int) { u2.emit(y[s*out:(s+1)*out], u2.preA(wk, s), x[s*in:(s+1)*in], op.short) })
	return op.out, nil
}

// SymDiff differentiates a training graph with respect to the weights (and the input when
// needDX), and an inference graph with running statistics with respect to its input only.
func (op *resBlockOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.u1.mode == bnBatch || op.u1.mode == bnRunning && !op.needDX {
		return nil, fmt.Errorf("models: %v: only training graphs, and the input of inference graphs with running statistics, are differentiated", op)
	}
	bwd, err := G.ApplyOp(&resBlockBwdOp{op}, in[0], in[1], in[4], out, grad)
	if err != nil {
		return nil, err
	}
	return unpackParts(bwd, in, op.DiffWRT(0), []string{"dX", "dW1", "dγ1", "dβ1", "dW2", "dγ2", "dβ2"}, 1)
}

// resBlockBwdOp computes a resBlockOp's gradients from (x, w1, w2, y, dy) into one packed
// vector dW1 | dγ1 | dβ1 | dW2 | dγ2 | dβ2 | dX: the second unit's backward pass (batch-norm
// sums, then per chunk of samples its convolution's gradients and the gradient at h), then the
// first unit's, and the shortcut's gradient added to dX. With running statistics it computes
// dX alone.
type resBlockBwdOp struct{ f *resBlockOp }

func (op *resBlockBwdOp) Arity() int { return 5 }
func (op *resBlockBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4), tensorT(4), tensorT(4), tensorT(1))
}
func (op *resBlockBwdOp) ReturnsPtr() bool     { return true }
func (op *resBlockBwdOp) CallsExtern() bool    { return false }
func (op *resBlockBwdOp) OverwritesInput() int { return -1 }
func (op *resBlockBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *resBlockBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *resBlockBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *resBlockBwdOp) size() int {
	u1, u2 := op.f.u1, op.f.u2
	n := 0
	if u1.mode == bnTrain {
		n = u1.o*u1.ckk() + 2*u1.o + u2.o*u2.ckk() + 2*u2.o
	}
	if op.f.needDX {
		n += u1.n * u1.inSize()
	}
	return n
}

func (op *resBlockBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}

func (op *resBlockBwdOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.f
	u1, u2, needDX := f.u1, f.u2, f.needDX
	w1, w2, y, dy := f32(vals[1]), f32(vals[2]), f32(vals[3]), f32(vals[4]) // x: its padded images are kept
	if f.grads == nil {
		f.grads = make([]float32, op.size())
		f.dh1 = make([]float32, u1.n*u1.outSize())
	}
	in, mid, out := u1.inSize(), u1.outSize(), u2.outSize()
	dxT := func(wk int) []float32 { return scratch(&u1.scratch(wk).dxT, u1.h*u1.w*u1.c) }
	sc1, sh1 := u1.mask()
	u2.prepareGrads(w2, true)
	u1.prepareGrads(w1, needDX)
	if u1.mode == bnRunning { // dX alone (SymDiff asks for nothing else)
		u1.finishGradSums()
		parallel(u1.n, func(wk, s int) {
			dh, dxs := f.dh1[s*mid:(s+1)*mid], f.grads[s*in:(s+1)*in]
			u2.planarDX(wk, dy[s*out:(s+1)*out], y[s*out:(s+1)*out], dh)
			da1 := scratch(&u1.scratch(wk).da, mid)
			u1.preNormGrad(da1, wk, s, dh, sc1, sh1)
			d := dxT(wk)
			u1.convGrads(wk, da1, nil, nil, 0, d)
			u1.toPlanes(dxs, d)
			f.short.addGrad(dxs, dy[s*out:(s+1)*out], y[s*out:(s+1)*out], u2.ho*u2.wo)
		})
		return tensor.New(tensor.WithShape(len(f.grads)), tensor.WithBacking(f.grads)), nil
	}
	g := f.grads
	n1, n2 := u1.o*u1.ckk(), u2.o*u2.ckk()
	dW1, dG1, dB1 := g[:n1], g[n1:n1+u1.o], g[n1+u1.o:n1+2*u1.o]
	g = g[n1+2*u1.o:]
	dW2, dG2, dB2, dX := g[:n2], g[n2:n2+u2.o], g[n2+u2.o:n2+2*u2.o], g[n2+2*u2.o:]
	chunks := min(reduceChunks, u1.n)

	// Second unit: y = ReLU(BN₂(conv₂(h)) + P(x)); its input gradient is the one at h.
	parallel(u2.n, func(wk, s int) { u2.planarGrad(wk, s, dy[s*out:(s+1)*out], y[s*out:(s+1)*out]) })
	u2.finishGradSums()
	parallel(chunks, func(wk, ch int) {
		da := scratch(&u2.scratch(wk).da, out)
		lo, hi := chunkRange(u2.n, chunks, ch)
		for s := lo; s < hi; s++ {
			u2.preNormGrad(da, wk, s, u2.g[s*out:(s+1)*out], nil, nil)
			u2.convGrads(wk, da, u2.image(wk, s), u2.partW[ch], b2f(s != lo), f.dh1[s*mid:(s+1)*mid])
		}
	})
	u2.reduceW(dW2, chunks)
	copy(dG2, u2.dGamma)
	copy(dB2, u2.dBeta)

	// First unit: h = ReLU(BN₁(conv₁(x))); then the shortcut's share of dX.
	parallel(u1.n, func(_, s int) { u1.innerSums(s, f.dh1[s*mid:(s+1)*mid]) })
	u1.finishGradSums()
	parallel(chunks, func(wk, ch int) {
		da := scratch(&u1.scratch(wk).da, mid)
		lo, hi := chunkRange(u1.n, chunks, ch)
		for s := lo; s < hi; s++ {
			u1.preNormGrad(da, wk, s, f.dh1[s*mid:(s+1)*mid], sc1, sh1)
			var d []float32
			if needDX {
				d = dxT(wk)
			}
			u1.convGrads(wk, da, u1.image(wk, s), u1.partW[ch], b2f(s != lo), d)
			if needDX {
				dxs := dX[s*in : (s+1)*in]
				u1.toPlanes(dxs, d)
				f.short.addGrad(dxs, dy[s*out:(s+1)*out], y[s*out:(s+1)*out], u2.ho*u2.wo)
			}
		}
	})
	u1.reduceW(dW1, chunks)
	copy(dG1, u1.dGamma)
	copy(dB1, u1.dBeta)
	return tensor.New(tensor.WithShape(len(f.grads)), tensor.WithBacking(f.grads)), nil
}

// addGrad adds the shortcut's gradient to one sample's input gradient dx: the output gradient
// dy where the block's output y is positive (the final ReLU), routed back through P.
func (sc *shortcut) addGrad(dx, dy, y []float32, P int) {
	hw := sc.h * sc.w
	for ci := range sc.c {
		o := ci + sc.off
		d, ys, plane := dy[o*P:(o+1)*P], y[o*P:(o+1)*P], dx[ci*hw:(ci+1)*hw]
		if sc.s == 1 {
			bnorm.AddMasked(plane, d, ys)
			continue
		}
		for p, q := range sc.idx {
			if ys[p] > 0 {
				plane[q] += d[p]
			}
		}
	}
}

// b2f is 1 for true and 0 for false: the beta of a product that adds to (true) or overwrites
// (false) its output.
func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
