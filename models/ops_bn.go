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
// Inside the unit everything is pixel-major (each pixel's channels adjacent, NHWC per
// sample), so that no pass over the data moves it between layouts that it does not have to
// make anyway. Each sample's input is a zero-bordered Hp×Wp×C image (written from NCHW planes
// by a transposing copy, or — the second unit of a residual block — directly by the first
// unit's normalisation), and the convolution is the product of its implicit im2row matrix
// (pixels × Ck², patch elements in (u,v,c) order, read in place by gemm.MulPatches; stride s
// by stepping the window corners s apart) with the weights packed as a Ck²×O matrix; it comes
// out pixel-major, P×O. The batch-norm statistics and the normalisation run down its columns
// (internal/bnorm's column loops); the NCHW output is one transpose of it.
//
// The backward pass works on the gradient at the convolution's output, pixel-major: the
// weight gradient is the product of the implicit patch matrix, transposed, with it — again
// gemm.MulPatches on the same padded image, kept from the forward pass, now with the patch
// elements as rows and the pixels as the summed dimension — and the input gradient is, at
// stride 1, the zero-padded gradient convolved with the flipped kernel (gemm.MulPatches), at
// stride s > 1 the product of the gradient with the weights followed by a scatter-add of the
// patches (col2im); both come out pixel-major. The ReLU mask of a unit whose output stays
// inside the block is recomputed from its pre-normalisation values (bnorm.ColMaskedSums).
//
// Reductions are in a fixed order whatever the core count: the batch statistics and the
// batch-norm gradient sums per sample (float64, each column in row order), then over samples
// in order; the weight gradient per chunk of samples (reduceChunks), then over chunks in order.
type bnConv struct {
	n, c, h, w   int // input
	o, k, s, pad int
	ho, wo       int // output
	relu         bool
	mode         bnMode
	keep         bool      // record the pre-normalisation values (training, or the input gradient of an inner unit)
	runMean      []float32 // running estimates (the Net's tensors): read in inference,
	runVar       []float32 // updated by commit after a training step

	// Geometry of the padded input image (Hp×Wp×C) and of the padded output gradient
	// (Hp×Wp×O, stride 1).
	hp, wp int
	pos    []int // output pixel (i,j) → (s·i·Wp+s·j)·C, its window's corner in the padded image
	offs   []int // patch element (u,v,c) → (u·Wp+v)·C+c, its offset from the corner
	gPos   []int // stride 1, input gradient: input pixel (i,j) → (i·Wp+j)·O in the padded gradient
	gOffs  []int // stride 1, input gradient: (u,v,o) → (u·Wp+v)·O+o
	// The same for a padded gradient of O channel planes (planarDX): (i,j) → i·Wp+j and
	// (o,u,v) → o·Hp·Wp+u·Wp+v.
	gPosP, gOffsP []int

	wr    []float32    // the weights as O filters of Ck² values in (u,v,c) order
	wT    gemm.PackedB // wrᵀ (Ck²×O) for the forward product
	wflip gemm.PackedB // stride 1: the flipped kernel (k²O×C) for the input gradient
	flip  []float32
	// With running statistics, stride 1: the flipped kernel with rows in (o,u,v) order, for
	// planarDX.
	wflipP gemm.PackedB
	flipP  []float32

	// What the last forward pass recorded (keep, and batch statistics).
	img      []float32 // training: every sample's padded input image, for the weight gradient
	a        []float32 // every sample's convolution output, pixel-major (before normalisation)
	sum, sq  []float64 // per sample and channel: Σa and Σa²
	mean     []float64 // batch mean and biased variance per channel
	variance []float64
	invStd   []float32 // 1/√(σ²+ε) per channel
	sc, sh   []float32 // the normalisation as y = a·sc + sh per channel

	// Backward state.
	g            []float32   // units with an NCHW output: every sample's gradient g (dy masked by the ReLU), pixel-major
	gs, gas      []float64   // per sample and channel: Σg and Σg·a
	dGamma       []float32   // Σ g·â per channel, â = (a−μ)/σ
	dBeta        []float32   // Σ g per channel
	kv, c1v, c0v []float32   // per channel: the gradient at a as kv·g + c1v·a + c0v
	partW        [][]float32 // per chunk: dWᵀ (Ck²×O, rows in (u,v,c) order)
	work         []bnScratch // per worker
}

// bnScratch is one worker's buffers for one sample: img a padded input image (when the unit
// does not keep them), act a pixel-major convolution output, gpl the masked output gradient in
// channel planes, da the pixel-major gradient at the convolution's output, gpad the padded
// gradient (stride 1), dxT a pixel-major input gradient, pg the patch gradients and dimg a
// padded input gradient (stride s > 1), gB da packed for the weight gradient.
type bnScratch struct {
	img, act, gpl, da, gpad, dxT, pg, dimg []float32
	gB                                     gemm.PackedB
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

// newBNConv makes a unit; keep says whether an input gradient with running statistics will
// need the pre-normalisation values (a unit whose output stays inside a residual block, for
// its ReLU mask); training keeps them anyway.
func newBNConv(n, c, h, w, o, k, s int, relu bool, mode bnMode, keep bool, runMean, runVar []float32) *bnConv {
	if k%2 == 0 || s < 1 {
		panic(fmt.Sprintf("models: batch-norm conv kernel %d stride %d: need an odd kernel and a positive stride", k, s))
	}
	u := &bnConv{n: n, c: c, h: h, w: w, o: o, k: k, s: s, pad: k / 2, relu: relu, mode: mode,
		keep: keep || mode == bnTrain, runMean: runMean, runVar: runVar}
	u.hp, u.wp = h+2*u.pad, w+2*u.pad
	u.ho, u.wo = (u.hp-k)/s+1, (u.wp-k)/s+1
	for i := range u.ho {
		for j := range u.wo {
			u.pos = append(u.pos, (s*i*u.wp+s*j)*c)
		}
	}
	for du := range k {
		for dv := range k {
			for ci := range c {
				u.offs = append(u.offs, (du*u.wp+dv)*c+ci)
			}
		}
	}
	if s == 1 {
		for i := range h {
			for j := range w {
				u.gPos = append(u.gPos, (i*u.wp+j)*o)
			}
		}
		for du := range k {
			for dv := range k {
				for oc := range o {
					u.gOffs = append(u.gOffs, (du*u.wp+dv)*o+oc)
				}
			}
		}
		if mode == bnRunning {
			for i := range h {
				for j := range w {
					u.gPosP = append(u.gPosP, i*u.wp+j)
				}
			}
			for oc := range o {
				for du := range k {
					for dv := range k {
						u.gOffsP = append(u.gOffsP, oc*u.hp*u.wp+du*u.wp+dv)
					}
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
func (u *bnConv) imgSize() int    { return u.hp * u.wp * u.c }
func (u *bnConv) outShape() []int { return []int{u.n, u.o, u.ho, u.wo} }
func (u *bnConv) String() string {
	return fmt.Sprintf("%v(%d,%dx%d/%d,relu %v,%v)", tensor.Shape{u.n, u.c, u.h, u.w}, u.o, u.k, u.k, u.s, u.relu, u.mode)
}

// scratch returns worker wk's buffers; prepare and prepareGrads size them for the workers of
// the passes that follow, so that the workers never grow the slice.
func (u *bnConv) scratch(wk int) *bnScratch {
	if n := workers(); len(u.work) < n {
		u.work = append(u.work, make([]bnScratch, n-len(u.work))...)
	}
	return &u.work[wk]
}

// image returns the padded input image of sample s: the kept one in training, else worker
// wk's. Its zero borders are never written.
func (u *bnConv) image(wk, s int) []float32 {
	n := u.imgSize()
	if u.mode == bnTrain {
		return u.img[s*n : (s+1)*n]
	}
	return padded(&u.scratch(wk).img, n)
}

// fillImage writes the C×H×W planes xs into the inside of the padded image img, pixel-major.
func (u *bnConv) fillImage(img, xs []float32) {
	hw := u.h * u.w
	for i := range u.h {
		dst := img[((i+u.pad)*u.wp+u.pad)*u.c:]
		if u.c == 1 {
			copy(dst[:u.w], xs[i*u.w:(i+1)*u.w])
			continue
		}
		bnorm.Transpose2D(dst, u.c, xs[i*u.w:], hw, u.c, u.w)
	}
}

// preA returns sample s's convolution output as recorded, or worker wk's buffer for it.
func (u *bnConv) preA(wk, s int) []float32 {
	if u.a != nil {
		return u.a[s*u.outSize() : (s+1)*u.outSize()]
	}
	return scratch(&u.scratch(wk).act, u.outSize())
}

// ---- forward ----

// prepare reorders and packs the weights for the forward products; with running statistics
// it also sets the normalisation's scale and shift, which then need no pass over the batch.
func (u *bnConv) prepare(wt, gamma, beta []float32) {
	ckk, kk := u.ckk(), u.k*u.k
	wr := scratch(&u.wr, u.o*ckk)
	for o := range u.o {
		for c := range u.c {
			for r, v := range wt[(o*u.c+c)*kk : (o*u.c+c+1)*kk] {
				wr[o*ckk+r*u.c+c] = v
			}
		}
	}
	u.wT.Reset(ckk, u.o)
	u.wT.Pack(true, wr, ckk)
	u.scratch(0) // sized here, not by the parallel workers
	if u.keep && u.a == nil {
		u.a = make([]float32, u.n*u.outSize())
	}
	if u.mode == bnTrain && u.img == nil {
		u.img = make([]float32, u.n*u.imgSize())
	}
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
		u.a = make([]float32, u.n*u.outSize()) // batch statistics: normalised after the batch
	}
	if u.sum == nil {
		u.sum, u.sq = make([]float64, u.n*u.o), make([]float64, u.n*u.o)
		u.mean, u.variance = make([]float64, u.o), make([]float64, u.o)
	}
}

// convSample convolves sample s from its padded image img into its pixel-major output
// (preA) and, with batch statistics, takes its per-channel sums; it returns the output.
func (u *bnConv) convSample(wk, s int, img []float32) []float32 {
	as := u.preA(wk, s)
	gemm.MulPatches(img, u.pos, u.offs, &u.wT, 0, as, u.o)
	if u.mode != bnRunning {
		bnorm.ColSums(as, u.o, u.sum[s*u.o:(s+1)*u.o], u.sq[s*u.o:(s+1)*u.o])
	}
	return as
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

// normInto writes the normalised (and activated) pixel-major output as into the inside of
// next, the zero-bordered Ho+2q × Wo+2q × O input image of the unit that follows (q its
// padding): no shortcut.
func (u *bnConv) normInto(next, as []float32, q int) {
	row := u.wo * u.o
	wq := u.wo + 2*q
	for i := range u.ho {
		bnorm.ColAffine(next[((i+q)*wq+q)*u.o:][:row], as[i*row:(i+1)*row], u.o, u.sc, u.sh, u.relu)
	}
}

// emit writes one sample's NCHW output y = act(a·sc + sh + shortcut(bx)) from its
// pixel-major convolution output as.
func (u *bnConv) emit(ys, as []float32, bx []float32, short *shortcut) {
	P := u.ho * u.wo
	bnorm.Transpose2D(ys, P, as, u.o, P, u.o)
	for o := range u.o {
		y := ys[o*P : (o+1)*P]
		sx, idx := short.plane(bx, o)
		if idx == nil { // no shortcut, or the identity
			bnorm.Affine(y, y, sx, u.sc[o], u.sh[o], u.relu)
			continue
		}
		// Option A: the shortcut gathers every s-th pixel.
		bnorm.Affine(y, y, nil, u.sc[o], u.sh[o], false)
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
// needed, packs the flipped kernel: flip[(u,v,o)][c] = w[o][c][k−1−u][k−1−v]. prepare must
// have run (the forward pass): the reordered weights serve the stride-s input gradient.
func (u *bnConv) prepareGrads(wt []float32, needDX bool) {
	if u.gs == nil {
		u.gs, u.gas = make([]float64, u.n*u.o), make([]float64, u.n*u.o)
		u.dGamma, u.dBeta = make([]float32, u.o), make([]float32, u.o)
		u.kv, u.c1v, u.c0v = make([]float32, u.o), make([]float32, u.o), make([]float32, u.o)
	}
	for len(u.partW) < min(reduceChunks, u.n) {
		u.partW = append(u.partW, make([]float32, u.ckk()*u.o))
	}
	if u.g == nil && u.mode == bnTrain {
		u.g = make([]float32, u.n*u.outSize())
	}
	u.scratch(0) // sized here, not by the parallel workers
	if !needDX || u.s != 1 {
		return
	}
	kk, okk := u.k*u.k, u.o*u.k*u.k
	flip := scratch(&u.flip, okk*u.c)
	for o := range u.o {
		for c := range u.c {
			for i, v := range wt[(o*u.c+c)*kk : (o*u.c+c+1)*kk] {
				flip[((kk-1-i)*u.o+o)*u.c+c] = v
			}
		}
	}
	u.wflip.Reset(okk, u.c)
	u.wflip.Pack(false, flip, u.c)
	if u.mode != bnRunning {
		return
	}
	flipP := scratch(&u.flipP, okk*u.c)
	for o := range u.o {
		for c := range u.c {
			for i, v := range wt[(o*u.c+c)*kk : (o*u.c+c+1)*kk] {
				flipP[(o*kk+kk-1-i)*u.c+c] = v
			}
		}
	}
	u.wflipP.Reset(okk, u.c)
	u.wflipP.Pack(false, flipP, u.c)
}

// planarGrad takes sample s's gradient g = dy masked by the ReLU (y > 0) of a unit with an
// NCHW output: pixel-major into u.g, and, with batch statistics, its per-channel sums of g
// and g·a. It returns g.
func (u *bnConv) planarGrad(wk, s int, dys, ys []float32) []float32 {
	P := u.ho * u.wo
	g := u.g[s*u.outSize() : (s+1)*u.outSize()]
	src := dys
	if u.relu {
		src = scratch(&u.scratch(wk).gpl, u.outSize())
		bnorm.Mask(src, dys, ys)
	}
	bnorm.Transpose2D(g, u.o, src, P, u.o, P)
	if u.mode == bnTrain {
		bnorm.ColMaskedSums(g, u.preA(wk, s), u.o, nil, nil, u.gs[s*u.o:(s+1)*u.o], u.gas[s*u.o:(s+1)*u.o])
	}
	return g
}

// innerSums takes sample s's per-channel sums of g and g·a, where g is the gradient dhs
// (pixel-major) at the output of a unit whose output stays inside the block, masked by its
// ReLU (recomputed from a).
func (u *bnConv) innerSums(s int, dhs []float32) {
	sc, sh := u.mask()
	bnorm.ColMaskedSums(dhs, u.a[s*u.outSize():(s+1)*u.outSize()], u.o, sc, sh, u.gs[s*u.o:(s+1)*u.o], u.gas[s*u.o:(s+1)*u.o])
}

// mask returns the scale and shift whose sign the ReLU mask recomputes from a; nil without
// ReLU.
func (u *bnConv) mask() (sc, sh []float32) {
	if !u.relu {
		return nil, nil
	}
	return u.sc, u.sh
}

// finishGradSums sums the per-sample sums in order — dβ = Σg, dγ = Σ g·â with â = (a−μ)/σ —
// and sets the gradient at the normalisation's input per channel: da = γ/σ · (g − Σg/M −
// â·Σ(g·â)/M), M the number of values per channel in the batch, an affine function of g and a,
// kv·g + c1v·a + c0v. With running statistics the normalisation is a fixed affine map per
// channel and da = γ/σ · g.
func (u *bnConv) finishGradSums() {
	if u.mode == bnRunning {
		copy(u.kv, u.sc)
		clear(u.c1v)
		clear(u.c0v)
		return
	}
	m := float64(u.n * u.ho * u.wo)
	for o := range u.o {
		var sg, sga float64
		for s := range u.n {
			sg += u.gs[s*u.o+o]
			sga += u.gas[s*u.o+o]
		}
		u.dBeta[o] = float32(sg)
		u.dGamma[o] = float32((sga - u.mean[o]*sg) * float64(u.invStd[o]))
		k, inv := float64(u.sc[o]), float64(u.invStd[o])
		mb, mg := float64(u.dBeta[o])/m, float64(u.dGamma[o])/m
		u.kv[o] = float32(k)
		u.c1v[o] = float32(-k * inv * mg)
		u.c0v[o] = float32(k * (u.mean[o]*inv*mg - mb))
	}
}

// preNormGrad writes sample s's pixel-major gradient at the convolution's output into da,
// from its gradient g at the normalised output, pixel-major: masked already when sc is nil,
// else masked by the ReLU recomputed from a with the scale and shift sc, sh.
func (u *bnConv) preNormGrad(da []float32, wk, s int, g []float32, sc, sh []float32) {
	bnorm.ColAffineGrad(da, g, u.preA(wk, s), u.o, sc, sh, u.kv, u.c1v, u.c0v)
}

// convGrads adds sample s's weight gradient to the chunk's dWᵀ pw (beta 0: overwrite, for
// the chunk's first sample; pw nil: no weight gradient) and, when dxT is not nil, writes its
// input gradient there, pixel-major (H×W×C), from the pixel-major gradient da at the
// convolution's output; img is the sample's padded input image (for the weight gradient).
func (u *bnConv) convGrads(wk int, da, img []float32, pw []float32, beta float32, dxT []float32) {
	ws := u.scratch(wk)
	P := u.ho * u.wo
	if pw != nil {
		if !ws.gB.Wrap(P, u.o, da) { // 16 channels: da is packed as it is
			ws.gB.Reset(P, u.o)
			ws.gB.Pack(false, da, u.o)
		}
		gemm.MulPatches(img, u.offs, u.pos, &ws.gB, beta, pw, u.o)
	}
	if dxT == nil {
		return
	}
	if u.s == 1 {
		// The padded gradient convolved with the flipped kernel (window corners gPos: at
		// stride 1 the output and input grids coincide).
		gpad := padded(&ws.gpad, u.hp*u.wp*u.o)
		row := u.w * u.o
		for i := range u.h {
			copy(gpad[((i+u.pad)*u.wp+u.pad)*u.o:][:row], da[i*row:(i+1)*row])
		}
		gemm.MulPatches(gpad, u.gPos, u.gOffs, &u.wflip, 0, dxT, u.c)
		return
	}
	// Stride s > 1: patch gradients pg = da·wr (P × Ck², (u,v,c) order), scattered onto the
	// padded input gradient.
	pg := scratch(&ws.pg, P*u.ckk())
	gemm.Sgemm(false, false, P, u.ckk(), u.o, 1, da, u.o, u.wr, u.ckk(), 0, pg, u.ckk())
	u.scatter(ws, pg, dxT)
}

// scatter adds the patch gradients pg (P × Ck², (u,v,c) order) onto a zero padded input
// gradient and writes its inside, pixel-major, into dxT.
func (u *bnConv) scatter(ws *bnScratch, pg, dxT []float32) {
	ckk, kc := u.ckk(), u.k*u.c
	dimg := scratch(&ws.dimg, u.imgSize())
	clear(dimg)
	for p, corner := range u.pos {
		for du := range u.k {
			dst := dimg[corner+du*u.wp*u.c:][:kc]
			for j, v := range pg[p*ckk+du*kc : p*ckk+(du+1)*kc] {
				dst[j] += v
			}
		}
	}
	row := u.w * u.c
	for i := range u.h {
		copy(dxT[i*row:(i+1)*row], dimg[((i+u.pad)*u.wp+u.pad)*u.c:])
	}
}

// planarDX writes sample s's input gradient, pixel-major (H×W×C), into dxT with running
// statistics, from the gradient dys at the unit's NCHW output ys: the gradient at the
// convolution's output is γ/σ times dy masked by the ReLU, per channel plane, as the
// normalisation is a fixed affine map there; it stays in planes (no transpose), and the input
// gradient is the product of its padded planes with the flipped kernel (stride 1) or a
// scatter of daᵀ·w (stride s > 1).
func (u *bnConv) planarDX(wk int, dys, ys, dxT []float32) {
	ws := u.scratch(wk)
	P := u.ho * u.wo
	da := scratch(&ws.gpl, u.outSize())
	for o := range u.o {
		pl := func(v []float32) []float32 { return v[o*P : (o+1)*P] }
		// c1 = 0: the pre-normalisation values do not enter, and ys, finite, stands in for them.
		bnorm.AffineGrad(pl(da), pl(dys), pl(ys), pl(ys), u.relu, u.sc[o], 0, 0)
	}
	if u.s != 1 {
		pg := scratch(&ws.pg, P*u.ckk())
		gemm.Sgemm(true, false, P, u.ckk(), u.o, 1, da, P, u.wr, u.ckk(), 0, pg, u.ckk())
		u.scatter(ws, pg, dxT)
		return
	}
	plane := u.hp * u.wp
	gpad := padded(&ws.gpad, u.o*plane)
	for o := range u.o {
		for i := range u.h {
			copy(gpad[o*plane+(i+u.pad)*u.wp+u.pad:][:u.w], da[o*P+i*u.w:])
		}
	}
	gemm.MulPatches(gpad, u.gPosP, u.gOffsP, &u.wflipP, 0, dxT, u.c)
}

// toPlanes writes a pixel-major H×W×C input gradient dxT as C×H×W planes into dxs.
func (u *bnConv) toPlanes(dxs, dxT []float32) {
	hw := u.h * u.w
	bnorm.Transpose2D(dxs, hw, dxT, u.c, hw, u.c)
}

// reduceW writes dW (O,C,k,k) as the sum, over chunks in order, of the chunks' dWᵀ (rows in
// (u,v,c) order).
func (u *bnConv) reduceW(dW []float32, chunks int) {
	ckk, kk := u.ckk(), u.k*u.k
	for o := range u.o {
		for c := range u.c {
			for r := range kk {
				at := (r*u.c+c)*u.o + o
				v := u.partW[0][at]
				for ch := 1; ch < chunks; ch++ {
					v += u.partW[ch][at]
				}
				dW[o*ckk+c*kk+r] = v
			}
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

// ---- the ConvBN op ----

// convBNOp is a ConvBN layer: one bnConv (with or without ReLU), inputs x (N,C,H,W), w (O,C,k,k), γ and
// β (O), output (N,O,Ho,Wo). Training graphs differentiate it (convBNBwdOp); inference graphs
// do not.
type convBNOp struct {
	u      *bnConv
	needDX bool
	out    *tensor.Dense
	grads  []float32 // packed gradients (convBNBwdOp)
}

func newConvBNOp(x tensor.Shape, o, k, s int, relu bool, mode bnMode, needDX bool, runMean, runVar []float32) *convBNOp {
	// With running statistics the input gradient needs no pre-normalisation values (planarDX).
	return &convBNOp{u: newBNConv(x[0], x[1], x[2], x[3], o, k, s, relu, mode, false, runMean, runVar), needDX: needDX}
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
	parallel(u.n, func(wk, s int) {
		img := u.image(wk, s)
		u.fillImage(img, x[s*in:(s+1)*in])
		as := u.convSample(wk, s, img)
		if u.mode == bnRunning {
			u.emit(y[s*out:(s+1)*out], as, nil, nil)
		}
	})
	if u.mode != bnRunning {
		u.finishStats(gamma, beta)
		parallel(u.n, func(wk, s int) { u.emit(y[s*out:(s+1)*out], u.preA(wk, s), nil, nil) })
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
	wt, y, dy := f32(vals[1]), f32(vals[2]), f32(vals[3]) // x: its padded images are kept
	grads := op.f.gradBuf(op.size())
	in, out := u.inSize(), u.outSize()
	u.prepareGrads(wt, needDX)
	dxT := func(wk int) []float32 { return scratch(&u.scratch(wk).dxT, u.h*u.w*u.c) }
	if u.mode == bnRunning { // dX alone (SymDiff asks for nothing else)
		parallel(u.n, func(wk, s int) {
			d := dxT(wk)
			u.planarDX(wk, dy[s*out:(s+1)*out], y[s*out:(s+1)*out], d)
			u.toPlanes(grads[s*in:(s+1)*in], d)
		})
		return tensor.New(tensor.WithShape(len(grads)), tensor.WithBacking(grads)), nil
	}
	nw := u.o * u.ckk()
	dW, dGamma, dBeta, dX := grads[:nw], grads[nw:nw+u.o], grads[nw+u.o:nw+2*u.o], grads[nw+2*u.o:]
	parallel(u.n, func(wk, s int) { u.planarGrad(wk, s, dy[s*out:(s+1)*out], y[s*out:(s+1)*out]) })
	u.finishGradSums()
	copy(dGamma, u.dGamma)
	copy(dBeta, u.dBeta)
	chunks := min(reduceChunks, u.n)
	parallel(chunks, func(wk, ch int) {
		ws := u.scratch(wk)
		lo, hi := chunkRange(u.n, chunks, ch)
		for s := lo; s < hi; s++ {
			da := scratch(&ws.da, out)
			u.preNormGrad(da, wk, s, u.g[s*out:(s+1)*out], nil, nil)
			var d []float32
			if needDX {
				d = dxT(wk)
			}
			u.convGrads(wk, da, u.image(wk, s), u.partW[ch], b2f(s != lo), d)
			if needDX {
				u.toPlanes(dX[s*in:(s+1)*in], d)
			}
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
