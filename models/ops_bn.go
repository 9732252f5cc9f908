package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/datamix/harness/internal/bnorm"
	"github.com/datamix/harness/internal/gemm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnMode is how a batch-normalised convolution normalises.
type bnMode int

const (
	bnTrain   bnMode = iota // batch statistics, kept for the backward pass and the running estimates
	bnRunning               // running statistics (inference)
	bnBatch                 // batch statistics, not recorded (inference)
)

func (m bnMode) String() string { return [...]string{"train", "running", "batch"}[m] }

// bnConv is the unit ConvBN layers and residual blocks are made of: a convolution (k×k, odd k,
// stride s, "same" zero padding k/2, no bias) of NCHW float32 tensors, batch normalisation,
// optionally a shortcut added, and optionally ReLU:
//
//	a[n,o,i,j] = Σ_{c,u,v} w[o,c,u,v]·x[n,c,s·i+u−pad,s·j+v−pad]
//	y = act(γ[o]·(a−μ[o])/√(σ²[o]+ε) + β[o] + shortcut)
//
// with μ and σ² the mean and biased variance of a[·,o,·,·] over the batch (training, and
// inference with batch statistics) or the running estimates (inference), computed as one
// scale and shift per channel. The output is ⌈H/s⌉×⌈W/s⌉ (for k = 3).
//
// The convolution is convOp's (ops_conv.go): each sample is copied into a zero-bordered padded
// image and multiplied in place as an implicit im2row matrix (gemm.MulPatches), stride s by
// stepping the window corners s apart; the output comes pixel-major and is transposed into
// channel planes. Everything per value — the statistics' sums, the normalisation with shortcut
// and ReLU, the gradient sums and the gradient at the normalisation's input, each an affine
// function per channel — runs plane by plane in internal/bnorm's AVX2 loops. The weight
// gradient is an implicit im2col product (gemm.MulRowsA) whose rows must be runs of
// consecutive values, so for stride s the input is split into s² phase images (every s-th row
// and column from each offset), where stride-s windows become runs. The input gradient is, at
// stride 1, the padded gradient convolved with the flipped kernel (gemm.MulPatches), and at
// stride 2 the product of the gradient with w followed by a scatter-add of the patches
// (col2im).
//
// Reductions are in a fixed order whatever the core count: the batch statistics and the
// batch-norm gradient sums per sample (float64), then over samples in order; the weight
// gradient per chunk of samples (reduceChunks), then over chunks in order.
type bnConv struct {
	n, c, h, w   int // input
	o, k, s, pad int
	ho, wo       int // output
	relu         bool
	mode         bnMode
	runMean      []float32 // running estimates (the Net's tensors): read in inference,
	runVar       []float32 // updated by commit after a training step

	// Geometry of the padded image (Hp×Wp per channel) and of its s² phase images (Hq×Wq).
	hp, wp, hq, wq int
	pos            []int // output pixel (i,j) → window corner s·i·Wp+s·j in the padded image
	offs           []int // patch element (c,u,v) → c·Hp·Wp+u·Wp+v, its offset from the corner
	rowOffs        []int // patch element → start of its im2col row in the phase images
	gOffs          []int // stride 1, input gradient: (o,u,v) → o·Hp·Wp+u·Wp+v in the padded gradient

	wT    gemm.PackedB // wᵀ (Ck²×O) for the forward product
	wflip gemm.PackedB // stride 1: the flipped kernel (Ok²×C) for the input gradient
	flip  []float32

	// Training and batch-statistics state of the last forward pass.
	a        []float32 // the convolution's output, NCHW (before normalisation)
	sum, sq  []float64 // per sample and channel: Σa and Σa²
	mean     []float64 // batch mean and biased variance per channel
	variance []float64
	invStd   []float32 // 1/√(σ²+ε) per channel
	sc, sh   []float32 // the normalisation as y = a·sc + sh per channel

	// Backward state.
	gs, gas []float64   // per sample and channel: Σg and Σg·a, g the gradient at the normalised output
	dGamma  []float32   // Σ g·â per channel
	dBeta   []float32   // Σ g per channel
	partW   [][]float32 // per chunk: dWᵀ (Ck²×O)
	work    []bnScratch // per worker
}

// bnScratch is one worker's buffers for one sample: img the padded input (C×Hp×Wp, zero
// borders never written), phase the stride-s phase images, act a pixel-major convolution output
// or (NCHW) the gradient at it, gpad the padded gradient (O×Hp×Wp), dxT a pixel-major input
// gradient, pg the patch gradients and dimg a padded input gradient (stride 2).
type bnScratch struct {
	img, phase, act, gpad, dxT, pg, dimg []float32
	gT                                   gemm.PackedB
}

// shortcut is what a residual block adds to its second batch norm's output: the block's input
// x (C×H×W per sample) subsampled by s and placed at channels off..off+C−1 of the output
// (option A of He et al. 2016; s = 1 and off = 0 is the identity). idx maps each output pixel
// (i,j) to its input pixel (s·i, s·j).
type shortcut struct {
	c, h, w, s, off int
	idx             []int
}

func newShortcut(c, h, w, s, o, ho, wo int) *shortcut {
	sc := &shortcut{c: c, h: h, w: w, s: s, off: (o - c) / 2}
	for i := range ho {
		for j := range wo {
			sc.idx = append(sc.idx, s*i*w+s*j)
		}
	}
	return sc
}

func newBNConv(n, c, h, w, o, k, s int, relu bool, mode bnMode, runMean, runVar []float32) *bnConv {
	if k%2 == 0 || s < 1 {
		panic(fmt.Sprintf("models: batch-norm conv kernel %d stride %d: need an odd kernel and a positive stride", k, s))
	}
	u := &bnConv{n: n, c: c, h: h, w: w, o: o, k: k, s: s, pad: k / 2, relu: relu, mode: mode,
		runMean: runMean, runVar: runVar}
	u.hp, u.wp = h+2*u.pad, w+2*u.pad
	u.ho, u.wo = (u.hp-k)/s+1, (u.wp-k)/s+1
	u.hq, u.wq = (u.hp+s-1)/s, (u.wp+s-1)/s
	for i := range u.ho {
		for j := range u.wo {
			u.pos = append(u.pos, s*i*u.wp+s*j)
		}
	}
	for ci := range c {
		for du := range k {
			for dv := range k {
				u.offs = append(u.offs, ci*u.hp*u.wp+du*u.wp+dv)
				phase := ci*s*s + (du%s)*s + dv%s
				u.rowOffs = append(u.rowOffs, (phase*u.hq+du/s)*u.wq+dv/s)
			}
		}
	}
	if s == 1 {
		for oc := range o {
			for du := range k {
				for dv := range k {
					u.gOffs = append(u.gOffs, oc*u.hp*u.wp+du*u.wp+dv)
				}
			}
		}
	}
	u.sc, u.sh, u.invStd = make([]float32, o), make([]float32, o), make([]float32, o)
	return u
}

func (u *bnConv) ckk() int        { return u.c * u.k * u.k }
func (u *bnConv) inSize() int     { return u.c * u.h * u.w }
func (u *bnConv) outSize() int    { return u.o * u.ho * u.wo }
func (u *bnConv) outShape() []int { return []int{u.n, u.o, u.ho, u.wo} }
func (u *bnConv) String() string {
	return fmt.Sprintf("%v(%d,%dx%d/%d,relu %v,%v)", tensor.Shape{u.n, u.c, u.h, u.w}, u.o, u.k, u.k, u.s, u.relu, u.mode)
}

// growWork gives every worker its buffers. prepare and prepareGrads call it before the
// parallel passes, whose workers must not grow u.work at the same time (a data race the race
// detector found when a cloud built graphs of new batch sizes).
func (u *bnConv) growWork() {
	if n := workers(); len(u.work) < n {
		u.work = append(u.work, make([]bnScratch, n-len(u.work))...)
	}
}

// scratch returns worker wk's buffers (growWork gave them).
func (u *bnConv) scratch(wk int) *bnScratch { return &u.work[wk] }

// ---- forward ----

// prepare packs the weights for the forward products; with running statistics it also sets
// the normalisation's scale and shift, which then need no pass over the batch.
func (u *bnConv) prepare(wt, gamma, beta []float32) {
	u.growWork()
	u.wT.Reset(u.ckk(), u.o)
	u.wT.Pack(true, wt, u.ckk())
	if u.mode == bnRunning {
		for o := range u.o {
			inv := float32(1 / math.Sqrt(float64(u.runVar[o])+bnEps))
			u.invStd[o] = inv
			u.sc[o] = gamma[o] * inv
			u.sh[o] = beta[o] - u.runMean[o]*u.sc[o]
		}
		return
	}
	if u.a == nil {
		u.a = make([]float32, u.n*u.outSize())
		u.sum, u.sq = make([]float64, u.n*u.o), make([]float64, u.n*u.o)
		u.mean, u.variance = make([]float64, u.o), make([]float64, u.o)
	}
}

// convSample convolves sample s (xs, C×H×W). With batch statistics it stores the result in
// u.a and its per-channel sums; with running statistics it writes the finished output
// (normalised, shortcut added from the block input bx, activated) into ys.
func (u *bnConv) convSample(wk, s int, xs, ys, bx []float32, short *shortcut) {
	ws := u.scratch(wk)
	img := padded(&ws.img, u.c*u.hp*u.wp)
	fillPadded(img, xs, u.c, u.h, u.w, u.hp, u.wp, u.pad)
	P := u.ho * u.wo
	act := scratch(&ws.act, P*u.o)
	gemm.MulPatches(img, u.pos, u.offs, &u.wT, 0, act, u.o)
	if u.mode == bnRunning {
		bnorm.Transpose(ys, act, P, u.o)
		u.emit(ys, ys, bx, short)
		return
	}
	as := u.a[s*u.outSize() : (s+1)*u.outSize()]
	bnorm.Transpose(as, act, P, u.o)
	for o := range u.o {
		u.sum[s*u.o+o], u.sq[s*u.o+o] = bnorm.Sums(as[o*P : (o+1)*P])
	}
}

// finishStats turns the per-sample sums into the batch mean and variance and the
// normalisation's scale and shift.
func (u *bnConv) finishStats(gamma, beta []float32) {
	m := float64(u.n * u.ho * u.wo)
	for o := range u.o {
		var s1, s2 float64
		for s := range u.n {
			s1 += u.sum[s*u.o+o]
			s2 += u.sq[s*u.o+o]
		}
		mean := s1 / m
		v := max(s2/m-mean*mean, 0)
		u.mean[o], u.variance[o] = mean, v
		inv := 1 / math.Sqrt(v+bnEps)
		u.invStd[o] = float32(inv)
		u.sc[o] = float32(float64(gamma[o]) * inv)
		u.sh[o] = float32(float64(beta[o]) - mean*float64(gamma[o])*inv)
	}
}

// normSample writes sample s's output from u.a (batch statistics).
func (u *bnConv) normSample(s int, ys, bx []float32, short *shortcut) {
	u.emit(ys, u.a[s*u.outSize():(s+1)*u.outSize()], bx, short)
}

// emit writes one sample's output y = act(src·sc + sh + shortcut(bx)) from the convolution's
// output src (NCHW; may be ys itself).
func (u *bnConv) emit(ys, src []float32, bx []float32, short *shortcut) {
	P := u.ho * u.wo
	for o := range u.o {
		y := ys[o*P : (o+1)*P]
		sx, idx := short.plane(bx, o)
		if idx == nil { // no shortcut, or the identity
			bnorm.Affine(y, src[o*P:(o+1)*P], sx, u.sc[o], u.sh[o], u.relu)
			continue
		}
		// Option A: the shortcut gathers every s-th pixel.
		bnorm.Affine(y, src[o*P:(o+1)*P], nil, u.sc[o], u.sh[o], false)
		for p, q := range idx {
			v := y[p] + sx[q]
			if u.relu && 0 > v {
				v = 0
			}
			y[p] = v
		}
	}
}

// plane returns the input plane the shortcut adds to output channel o, and the input pixel of
// each output pixel (nil at stride 1); nil when the shortcut adds nothing there (or sc is nil).
func (sc *shortcut) plane(bx []float32, o int) ([]float32, []int) {
	if sc == nil {
		return nil, nil
	}
	ci := o - sc.off
	if ci < 0 || ci >= sc.c {
		return nil, nil
	}
	hw := sc.h * sc.w
	if sc.s == 1 {
		return bx[ci*hw : (ci+1)*hw], nil
	}
	return bx[ci*hw : (ci+1)*hw], sc.idx
}

// commit moves the running estimates towards the last training batch's statistics
// (PyTorch's rule: unbiased variance, momentum bnMomentum).
func (u *bnConv) commit() {
	m := float64(u.n * u.ho * u.wo)
	unbias := m / max(m-1, 1)
	for o := range u.o {
		u.runMean[o] = float32((1-bnMomentum)*float64(u.runMean[o]) + bnMomentum*u.mean[o])
		u.runVar[o] = float32((1-bnMomentum)*float64(u.runVar[o]) + bnMomentum*u.variance[o]*unbias)
	}
}

// ---- backward ----

// prepareGrads sizes the gradient buffers and, at stride 1 when the input gradient is
// needed, packs the flipped kernel: flip[(o,u,v)][c] = w[o][c][k−1−u][k−1−v].
func (u *bnConv) prepareGrads(wt []float32, needDX bool) {
	u.growWork()
	if u.gs == nil {
		u.gs, u.gas = make([]float64, u.n*u.o), make([]float64, u.n*u.o)
		u.dGamma, u.dBeta = make([]float32, u.o), make([]float32, u.o)
	}
	for len(u.partW) < min(reduceChunks, u.n) {
		u.partW = append(u.partW, make([]float32, u.ckk()*u.o))
	}
	if !needDX || u.s != 1 {
		return
	}
	kk, okk := u.k*u.k, u.o*u.k*u.k
	flip := scratch(&u.flip, okk*u.c)
	for o := range u.o {
		for c := range u.c {
			for i, v := range wt[(o*u.c+c)*kk : (o*u.c+c+1)*kk] {
				flip[(o*kk+kk-1-i)*u.c+c] = v
			}
		}
	}
	u.wflip.Reset(okk, u.c)
	u.wflip.Pack(false, flip, u.c)
}

// gradSums takes sample s's per-channel sums of g and g·a, where g is the output gradient dy
// masked by the ReLU (y > 0).
func (u *bnConv) gradSums(s int, dys, ys []float32) {
	P := u.ho * u.wo
	as := u.a[s*u.outSize() : (s+1)*u.outSize()]
	for o := range u.o {
		pl := func(v []float32) []float32 { return v[o*P : (o+1)*P] }
		u.gs[s*u.o+o], u.gas[s*u.o+o] = bnorm.MaskedSums(pl(dys), pl(ys), pl(as), u.relu)
	}
}

// finishGradSums sums the per-sample sums in order: dβ = Σg, dγ = Σ g·â with â = (a−μ)/σ.
func (u *bnConv) finishGradSums() {
	for o := range u.o {
		var sg, sga float64
		for s := range u.n {
			sg += u.gs[s*u.o+o]
			sga += u.gas[s*u.o+o]
		}
		u.dBeta[o] = float32(sg)
		u.dGamma[o] = float32((sga - u.mean[o]*sg) * float64(u.invStd[o]))
	}
}

// preNormGrad writes sample s's gradient at the convolution's output (NCHW) into da:
// da = γ/σ · (g − Σg/M − â·Σ(g·â)/M), â = (a−μ)/σ, M the number of values per channel in the
// batch; per channel an affine function of g and a, k·g + c1·a + c0. With running statistics
// the normalisation is a fixed affine map per channel and da = γ/σ · g.
func (u *bnConv) preNormGrad(da []float32, s int, dys, ys []float32) {
	P := u.ho * u.wo
	if u.mode == bnRunning {
		for o := range u.o {
			pl := func(v []float32) []float32 { return v[o*P : (o+1)*P] }
			// c1 = 0: the pre-normalisation values (not kept at inference) do not enter, and
			// ys, finite, stands in for them.
			bnorm.AffineGrad(pl(da), pl(dys), pl(ys), pl(ys), u.relu, u.sc[o], 0, 0)
		}
		return
	}
	m := float64(u.n * P)
	as := u.a[s*u.outSize() : (s+1)*u.outSize()]
	for o := range u.o {
		k, inv := float64(u.sc[o]), float64(u.invStd[o])
		mb, mg := float64(u.dBeta[o])/m, float64(u.dGamma[o])/m
		c1 := -k * inv * mg
		c0 := k * (u.mean[o]*inv*mg - mb)
		pl := func(v []float32) []float32 { return v[o*P : (o+1)*P] }
		bnorm.AffineGrad(pl(da), pl(dys), pl(ys), pl(as), u.relu, float32(k), float32(c1), float32(c0))
	}
}

// convGrads adds sample s's weight gradient to the chunk's dWᵀ pw (beta 0: overwrite, for
// the chunk's first sample; pw nil: no weight gradient) and, when dxs is not nil, writes its
// input gradient, from the gradient da at the convolution's output (NCHW).
func (u *bnConv) convGrads(wk int, da []float32, xs []float32, wt []float32, pw []float32, beta float32, dxs []float32) {
	ws := u.scratch(wk)
	P := u.ho * u.wo
	if pw != nil {
		ws.gT.ResetWhole(P, u.o)
		ws.gT.Pack(true, da, P)
		rows := u.phaseImage(ws, xs)
		gemm.MulRowsA(rows, u.rowOffs, gemm.Segments{Count: u.ho, Len: u.wo, Stride: u.wq}, &ws.gT, beta, pw, u.o)
	}
	if dxs == nil {
		return
	}
	hw := u.h * u.w
	if u.s == 1 {
		// The padded gradient convolved with the flipped kernel, as an implicit im2row product
		// (window corners u.pos: at stride 1 the output and input grids coincide).
		gpad := padded(&ws.gpad, u.o*u.hp*u.wp)
		fillPadded(gpad, da, u.o, u.h, u.w, u.hp, u.wp, u.pad)
		dxT := scratch(&ws.dxT, hw*u.c)
		gemm.MulPatches(gpad, u.pos, u.gOffs, &u.wflip, 0, dxT, u.c)
		bnorm.Transpose(dxs, dxT, hw, u.c)
		return
	}
	// Stride s > 1: patch gradients pg = daᵀ·w (P × Ck²), scattered onto the padded input.
	ckk := u.ckk()
	pg := scratch(&ws.pg, P*ckk)
	gemm.Sgemm(true, false, P, ckk, u.o, 1, da, P, wt, ckk, 0, pg, ckk)
	dimg := scratch(&ws.dimg, u.c*u.hp*u.wp)
	clear(dimg)
	for p, corner := range u.pos {
		for r, off := range u.offs {
			dimg[corner+off] += pg[p*ckk+r]
		}
	}
	for c := range u.c {
		for i := range u.h {
			copy(dxs[(c*u.h+i)*u.w:(c*u.h+i+1)*u.w], dimg[c*u.hp*u.wp+(i+u.pad)*u.wp+u.pad:])
		}
	}
}

// phaseImage returns the image whose runs are the im2col rows of the weight gradient, built
// from sample xs (rebuilt rather than kept from the forward pass: cheaper than storing it):
// the padded input itself at stride 1, its s² phase images otherwise, phase (a,b) of channel
// c holding the padded pixels (s·i+a, s·j+b).
func (u *bnConv) phaseImage(ws *bnScratch, xs []float32) []float32 {
	if u.s == 1 {
		img := padded(&ws.img, u.c*u.hp*u.wp)
		fillPadded(img, xs, u.c, u.h, u.w, u.hp, u.wp, u.pad)
		return img
	}
	s := u.s
	ph := scratch(&ws.phase, u.c*s*s*u.hq*u.wq)
	for c := range u.c {
		for a := range s {
			for b := range s {
				dst := ph[((c*s+a)*s+b)*u.hq*u.wq:]
				for i := range u.hq {
					y := s*i + a - u.pad
					row := dst[i*u.wq : (i+1)*u.wq]
					if y < 0 || y >= u.h {
						clear(row)
						continue
					}
					src := xs[(c*u.h+y)*u.w : (c*u.h+y+1)*u.w]
					for j := range row {
						x := s*j + b - u.pad
						if x >= 0 && x < u.w {
							row[j] = src[x]
						} else {
							row[j] = 0
						}
					}
				}
			}
		}
	}
	return ph
}

// reduceW writes dW (O,C,k,k) as the sum, over chunks in order, of the chunks' dWᵀ.
func (u *bnConv) reduceW(dW []float32, chunks int) {
	ckk := u.ckk()
	for o := range u.o {
		for r := range ckk {
			at := r*u.o + o
			v := u.partW[0][at]
			for ch := 1; ch < chunks; ch++ {
				v += u.partW[ch][at]
			}
			dW[o*ckk+r] = v
		}
	}
}

// padded returns buf sized n, allocating it zeroed when its size changes; callers write only
// inside the zero borders, which therefore stay zero.
func padded(buf *[]float32, n int) []float32 {
	if len(*buf) != n {
		*buf = make([]float32, n)
	}
	return *buf
}

// fillPadded copies a C×H×W image into the inside of a zero-bordered C×Hp×Wp image.
func fillPadded(img, x []float32, c, h, w, hp, wp, pad int) {
	for ci := range c {
		dst := img[ci*hp*wp+pad*wp+pad:]
		src := x[ci*h*w : (ci+1)*h*w]
		for i := range h {
			copy(dst[i*wp:i*wp+w], src[i*w:(i+1)*w])
		}
	}
}

// ---- the ConvBN op ----

// convBNOp is a ConvBN layer: one bnConv with ReLU, inputs x (N,C,H,W), w (O,C,k,k), γ and
// β (O), output (N,O,Ho,Wo). Training graphs differentiate it (convBNBwdOp); inference graphs
// do not.
type convBNOp struct {
	u      *bnConv
	needDX bool
	out    *tensor.Dense
	grads  []float32 // packed gradients (convBNBwdOp)
}

func newConvBNOp(x tensor.Shape, o, k, s int, mode bnMode, needDX bool, runMean, runVar []float32) *convBNOp {
	return &convBNOp{u: newBNConv(x[0], x[1], x[2], x[3], o, k, s, true, mode, runMean, runVar), needDX: needDX}
}

func (op *convBNOp) Arity() int { return 4 }
func (op *convBNOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(1), tensorT(1), tensorT(4))
}
func (op *convBNOp) ReturnsPtr() bool     { return true }
func (op *convBNOp) CallsExtern() bool    { return false }
func (op *convBNOp) OverwritesInput() int { return -1 }
func (op *convBNOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *convBNOp) Hashcode() uint32     { return hashOf(op) }
func (op *convBNOp) DiffWRT(int) []bool {
	w := op.u.mode == bnTrain
	return []bool{op.needDX, w, w, w}
}
func (op *convBNOp) String() string { return fmt.Sprintf("convBN%v(dx %v)", op.u, op.needDX) }

func (op *convBNOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	u := op.u
	want := []tensor.Shape{{u.n, u.c, u.h, u.w}, {u.o, u.c, u.k, u.k}, {u.o}, {u.o}}
	if err := checkShapes(op, in, want); err != nil {
		return nil, err
	}
	return tensor.Shape(u.outShape()), nil
}

// checkShapes reports the first input whose shape is not the one wanted.
func checkShapes(op fmt.Stringer, in []G.DimSizer, want []tensor.Shape) error {
	for i, d := range in {
		if s, ok := d.(tensor.Shape); !ok || !s.Eq(want[i]) {
			return fmt.Errorf("models: %v: input %d has shape %v, want %v", op, i, d, want[i])
		}
	}
	return nil
}

func (op *convBNOp) Do(vals ...G.Value) (G.Value, error) {
	u := op.u
	if op.out == nil {
		op.out = newF32(u.outShape()...)
	}
	x, wt, gamma, beta, y := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(vals[3]), f32(op.out)
	in, out := u.inSize(), u.outSize()
	u.prepare(wt, gamma, beta)
	parallel(u.n, func(wk, s int) { u.convSample(wk, s, x[s*in:(s+1)*in], y[s*out:(s+1)*out], nil, nil) })
	if u.mode != bnRunning {
		u.finishStats(gamma, beta)
		parallel(u.n, func(_, s int) { u.normSample(s, y[s*out:(s+1)*out], nil, nil) })
	}
	return op.out, nil
}

// SymDiff differentiates a training graph with respect to the weights (and the input when
// needDX), and an inference graph with running statistics with respect to its input only
// (what inversion by optimisation needs); batch statistics at inference are not differentiated.
func (op *convBNOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if op.u.mode == bnBatch || op.u.mode == bnRunning && !op.needDX {
		return nil, fmt.Errorf("models: %v: only training graphs, and the input of inference graphs with running statistics, are differentiated", op)
	}
	bwd, err := G.ApplyOp(&convBNBwdOp{op}, in[0], in[1], out, grad)
	if err != nil {
		return nil, err
	}
	return unpackParts(bwd, in, op.DiffWRT(0), []string{"dX", "dW", "dγ", "dβ"}, 1)
}

// unpackParts hands out a packed gradient as one node per input, shaped like it: the inputs'
// gradients lie in the packed buffer in input order starting from input first, followed by
// those of inputs 0..first−1 (so the weights' gradients come first and the input's last, as in
// unpackGrads). need[i] false gives a nil node, and input i then has no values in the buffer.
func unpackParts(bwd *G.Node, in G.Nodes, need []bool, names []string, first int) (G.Nodes, error) {
	grads := make(G.Nodes, len(in))
	off := 0
	order := make([]int, 0, len(in))
	for i := first; i < len(in); i++ {
		order = append(order, i)
	}
	for i := range first {
		order = append(order, i)
	}
	for _, i := range order {
		if !need[i] {
			continue
		}
		var err error
		if grads[i], err = part(bwd, names[i], off, in[i].Shape()); err != nil {
			return nil, err
		}
		off += in[i].Shape().TotalSize()
	}
	return grads, nil
}

// convBNBwdOp computes a convBNOp's gradients from (x, w, y, dy) into one packed vector
// dW | dγ | dβ | dX (dX only when needed), in three phases over the samples: the batch-norm
// sums, then per chunk of samples the gradient at the convolution's output and the
// convolution's gradients. With running statistics it computes dX alone, in one phase.
type convBNBwdOp struct{ f *convBNOp }

func (op *convBNBwdOp) Arity() int { return 4 }
func (op *convBNBwdOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4), tensorT(4), tensorT(1))
}
func (op *convBNBwdOp) ReturnsPtr() bool     { return true }
func (op *convBNBwdOp) CallsExtern() bool    { return false }
func (op *convBNBwdOp) OverwritesInput() int { return -1 }
func (op *convBNBwdOp) WriteHash(h hash)     { fmt.Fprint(h, op.String()) }
func (op *convBNBwdOp) Hashcode() uint32     { return hashOf(op) }
func (op *convBNBwdOp) String() string       { return "grad:" + op.f.String() }

func (op *convBNBwdOp) size() int {
	u := op.f.u
	n := 0
	if u.mode == bnTrain {
		n = u.o*u.ckk() + 2*u.o
	}
	if op.f.needDX {
		n += u.n * u.inSize()
	}
	return n
}

func (op *convBNBwdOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}

func (op *convBNBwdOp) Do(vals ...G.Value) (G.Value, error) {
	u, needDX := op.f.u, op.f.needDX
	x, wt, y, dy := f32(vals[0]), f32(vals[1]), f32(vals[2]), f32(vals[3])
	grads := op.f.gradBuf(op.size())
	in, out := u.inSize(), u.outSize()
	u.prepareGrads(wt, needDX)
	if u.mode == bnRunning { // dX alone (SymDiff asks for nothing else)
		parallel(u.n, func(wk, s int) {
			da := scratch(&u.scratch(wk).act, u.ho*u.wo*u.o)
			u.preNormGrad(da, s, dy[s*out:(s+1)*out], y[s*out:(s+1)*out])
			u.convGrads(wk, da, x[s*in:(s+1)*in], wt, nil, 0, grads[s*in:(s+1)*in])
		})
		return tensor.New(tensor.WithShape(len(grads)), tensor.WithBacking(grads)), nil
	}
	nw := u.o * u.ckk()
	dW, dGamma, dBeta, dX := grads[:nw], grads[nw:nw+u.o], grads[nw+u.o:nw+2*u.o], grads[nw+2*u.o:]
	parallel(u.n, func(_, s int) { u.gradSums(s, dy[s*out:(s+1)*out], y[s*out:(s+1)*out]) })
	u.finishGradSums()
	copy(dGamma, u.dGamma)
	copy(dBeta, u.dBeta)
	chunks := min(reduceChunks, u.n)
	parallel(chunks, func(wk, ch int) {
		ws := u.scratch(wk)
		lo, hi := chunkRange(u.n, chunks, ch)
		for s := lo; s < hi; s++ {
			da := scratch(&ws.act, u.ho*u.wo*u.o)
			u.preNormGrad(da, s, dy[s*out:(s+1)*out], y[s*out:(s+1)*out])
			var dxs []float32
			if needDX {
				dxs = dX[s*in : (s+1)*in]
			}
			beta := float32(1)
			if s == lo {
				beta = 0
			}
			u.convGrads(wk, da, x[s*in:(s+1)*in], wt, u.partW[ch], beta, dxs)
		}
	})
	u.reduceW(dW, chunks)
	return tensor.New(tensor.WithShape(len(grads)), tensor.WithBacking(grads)), nil
}

// gradBuf returns the op's packed gradient buffer of n values, reused from step to step.
func (op *convBNOp) gradBuf(n int) []float32 {
	if op.grads == nil {
		op.grads = make([]float32, n)
	}
	return op.grads
}
