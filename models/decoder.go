package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Decoder is an inverse network: it maps tensors that a network computed from images (the
// uploads of a split network, or head features) back to the images, with a sigmoid output in
// (0,1). It is the learned inversion of He, Zhang and Lee ("Model inversion attacks against
// collaborative inference", ACSAC 2019: their black-box attack's inverse network), trained on
// auxiliary images with a squared-error loss.
//
// Layers, for an input of shape (c, h, w) with h·2^u = H and w·2^u = W (the image is C×H×W),
// each convolution 3×3 with same padding:
//
//	conv(c → width·2^u) + ReLU
//	u times: upsample ×2 (nearest neighbour) + conv(halving the channels) + ReLU
//	conv(width → width) + ReLU                    only when u = 0 (mixed pixels)
//	conv(width → C) + sigmoid
//
// so the channels halve as the resolution doubles and every layer sees a 3×3 neighbourhood.
// A flat input (D values) first goes through a dense layer + ReLU to width·4 channels at a
// quarter of the image's side (u = 2) when the side is divisible by 4.
//
// Like a Net, a Decoder owns float32 weights initialised from a seeded generator, and the
// graphs built from it share them: use it from one goroutine at a time.
type Decoder struct {
	// In is the shape of one input sample; C, H, W the shape of one output image.
	In      []int
	C, H, W int
	// Width is the number of channels at the image's resolution.
	Width int
	// Scale multiplies every input value before the first layer: 1 / the root mean square of
	// the training inputs, set by the first Fit, so that uploads of any magnitude (features
	// deep in a network grow large) reach the layers at unit scale, where He initialisation
	// and the sigmoid are at their best.
	Scale float32

	layers []decLayer
	params []*tensor.Dense
	fitted bool // Scale has been set from training data
}

// scaled writes Scale·src into dst.
func (d *Decoder) scaled(dst, src []float32) {
	for i, v := range src {
		dst[i] = v * d.Scale
	}
}

// decLayer is one layer of a decoder.
type decLayer struct {
	kind    decKind
	in, out []int // per-sample shapes
	act     activation
	w, b    int // indices in params; -1 for upsampling
}

type decKind int

const (
	decConv  decKind = iota // 3×3 convolution, same padding
	decUp                   // nearest-neighbour upsampling ×2
	decDense                // dense layer from a flat input, reshaped to (C,H,W)
)

// decKernel is the decoder's convolution kernel size.
const decKernel = 3

// NewDecoder builds a decoder from inputs of shape in ((c,h,w) or (D)) to c×h×w images with
// width channels at the image's resolution, its weights initialised from rng: He-normal
// (He et al. 2015, std √(2/fan_in)) before ReLU, LeCun-normal (std √(1/fan_in)) before the
// sigmoid, zero biases. It fails when an image side is not the input's times a power of two.
func NewDecoder(in []int, c, h, w, width int, rng *rand.Rand) (*Decoder, error) {
	if width < 1 || c < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("models: decoder to %d×%d×%d images with width %d", c, h, w, width)
	}
	d := &Decoder{In: append([]int(nil), in...), C: c, H: h, W: w, Width: width, Scale: 1}
	var cur []int
	switch len(in) {
	case 1:
		u := 0
		for u < 2 && h%(2<<u) == 0 && w%(2<<u) == 0 {
			u++
		}
		cur = []int{width << u, h >> u, w >> u}
		d.add(decDense, in, cur, actReLU)
	case 3:
		if min(in[0], in[1], in[2]) < 1 {
			return nil, fmt.Errorf("models: decoder input shape %v", in)
		}
		u := 0
		for in[1]<<u < h {
			u++
		}
		if in[1]<<u != h || in[2]<<u != w {
			return nil, fmt.Errorf("models: decoder from %v to %d×%d images: the image side is not the input's times a power of two", in, h, w)
		}
		cur = []int{width << u, in[1], in[2]}
		d.add(decConv, in, cur, actReLU)
	default:
		return nil, fmt.Errorf("models: decoder input shape %v, want (c,h,w) or (d)", in)
	}
	if cur[1] == h {
		d.add(decConv, cur, cur, actReLU)
	}
	for cur[1] < h {
		up := []int{cur[0], 2 * cur[1], 2 * cur[2]}
		d.add(decUp, cur, up, actNone)
		cur = []int{max(up[0]/2, width), up[1], up[2]}
		d.add(decConv, up, cur, actReLU)
	}
	d.add(decConv, cur, []int{c, h, w}, actSigmoid)
	for _, l := range d.layers {
		if l.w < 0 {
			continue
		}
		fanIn := prod(l.in)
		if l.kind == decConv {
			fanIn = l.in[0] * decKernel * decKernel
		}
		std := math.Sqrt(2 / float64(fanIn))
		if l.act == actSigmoid {
			std = math.Sqrt(1 / float64(fanIn))
		}
		for j, v := 0, d.params[l.w].Data().([]float32); j < len(v); j++ {
			v[j] = float32(rng.NormFloat64() * std)
		}
	}
	return d, nil
}

// add appends a layer and allocates its (zero) weights.
func (d *Decoder) add(kind decKind, in, out []int, act activation) {
	l := decLayer{kind: kind, in: append([]int(nil), in...), out: append([]int(nil), out...), act: act, w: -1, b: -1}
	var ws, bs []int
	switch kind {
	case decConv:
		ws, bs = []int{out[0], in[0], decKernel, decKernel}, []int{1, out[0], 1, 1}
	case decDense:
		ws, bs = []int{prod(in), prod(out)}, []int{1, prod(out)}
	}
	if ws != nil {
		l.w, l.b = len(d.params), len(d.params)+1
		d.params = append(d.params, newF32(ws...), newF32(bs...))
	}
	d.layers = append(d.layers, l)
}

// NumParams is the number of trainable scalars.
func (d *Decoder) NumParams() int {
	s := 0
	for _, p := range d.params {
		s += p.Shape().TotalSize()
	}
	return s
}

// FLOPs is the analytic cost of decoding one sample (a multiply-add counts 2).
func (d *Decoder) FLOPs() int64 {
	var f int64
	for _, l := range d.layers {
		switch l.kind {
		case decConv:
			f += 2 * int64(prod(l.out)) * int64(l.in[0]*decKernel*decKernel)
		case decDense:
			f += 2 * int64(prod(l.in)) * int64(prod(l.out))
		}
	}
	return f
}

// InDim is the number of values of one input sample; OutDim of one image.
func (d *Decoder) InDim() int  { return prod(d.In) }
func (d *Decoder) OutDim() int { return d.C * d.H * d.W }

// forward builds the decoder's graph on x, a (batch, In...) node.
func (d *Decoder) forward(x *G.Node, ws []*G.Node) (*G.Node, error) {
	batch := x.Shape()[0]
	var err error
	for i, l := range d.layers {
		switch l.kind {
		case decDense:
			if x, err = G.ApplyOp(newDenseOp(batch, prod(l.in), prod(l.out), true, false), x, ws[l.w], ws[l.b]); err != nil {
				return nil, fmt.Errorf("models: decoder dense: %w", err)
			}
			if x, err = G.Reshape(x, append([]int{batch}, l.out...)); err != nil {
				return nil, err
			}
		case decUp:
			if x, err = G.ApplyOp(newUpsampleOp(x.Shape(), 2), x); err != nil {
				return nil, fmt.Errorf("models: decoder upsample: %w", err)
			}
		case decConv:
			// The first layer's input is data: no gradient for it.
			if x, err = G.ApplyOp(newConvActOp(x.Shape(), l.out[0], decKernel, false, l.act, i > 0), x, ws[l.w], ws[l.b]); err != nil {
				return nil, fmt.Errorf("models: decoder conv: %w", err)
			}
		}
	}
	return flat(x)
}

// graphParams binds the decoder's weights to nodes of graph g.
func (d *Decoder) graphParams(g *G.ExprGraph) []*G.Node {
	nodes := make([]*G.Node, len(d.params))
	for i, t := range d.params {
		nodes[i] = G.NewTensor(g, tensor.Float32, t.Dims(), G.WithShape(t.Shape()...), G.WithName(fmt.Sprintf("dec%d", i)), G.WithValue(t))
	}
	return nodes
}

// DecoderTrainer runs training steps of a Decoder at a fixed batch size with Adam (adam.go,
// Kingma and Ba's defaults) on the mean squared error between the decoded images and the
// targets. It is not safe for concurrent use.
type DecoderTrainer struct {
	dec   *Decoder
	batch int

	g       *G.ExprGraph
	vm      G.VM
	opt     adam
	weights [][]float32
	grads   []*G.Node
	x, y    *tensor.Dense
	cost    *G.Node
}

// NewDecoderTrainer builds the training graph of d at the given batch size, with Adam at
// learning rate lr.
func NewDecoderTrainer(d *Decoder, batch int, lr float64) (*DecoderTrainer, error) {
	if batch < 1 {
		panic(fmt.Sprintf("models: batch %d", batch))
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	t := &DecoderTrainer{dec: d, batch: batch, g: G.NewGraph()}
	ws := d.graphParams(t.g)
	x, xT := input(t.g, "x", batch, d.In)
	y, yT := input(t.g, "y", batch, []int{d.OutDim()})
	out, err := d.forward(x, ws)
	if err != nil {
		return nil, err
	}
	cost, err := G.ApplyOp(sqErrOp{shape: tensor.Shape{batch, d.OutDim()}, scale: 1 / float64(batch*d.OutDim())}, out, y)
	if err != nil {
		return nil, err
	}
	grads, err := G.Grad(cost, ws...)
	if err != nil {
		return nil, fmt.Errorf("models: decoder gradient: %w", err)
	}
	t.x, t.y, t.cost, t.grads = xT, yT, cost, grads
	for _, p := range d.params {
		t.weights = append(t.weights, p.Data().([]float32))
	}
	t.vm = G.NewTapeMachine(t.g)
	t.opt = adam{lr: lr}
	return t, nil
}

// Batch is the trainer's batch size.
func (t *DecoderTrainer) Batch() int { return t.batch }

// SetLR sets the learning rate of the following steps; Adam's moment estimates are kept.
func (t *DecoderTrainer) SetLR(lr float64) { t.opt.lr = lr }

// Step runs one optimisation step on inputs x (batch × InDim) and target images y
// (batch × OutDim) and returns the batch's mean squared error before the step. A non-finite
// loss is an error and leaves the weights as they were.
func (t *DecoderTrainer) Step(x, y []float32) (float64, error) {
	d := t.dec
	if len(x) != t.batch*d.InDim() || len(y) != t.batch*d.OutDim() {
		panic(fmt.Sprintf("models: decoder step with %d inputs and %d targets, want %d and %d", len(x), len(y), t.batch*d.InDim(), t.batch*d.OutDim()))
	}
	copy(t.x.Data().([]float32), x)
	copy(t.y.Data().([]float32), y)
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("models: decoder step: %w", err)
	}
	loss := float64(t.cost.Value().Data().(float32))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("models: decoder loss is %v (diverged)", loss)
	}
	gs := make([][]float32, len(t.grads))
	for i, g := range t.grads {
		gs[i] = f32(g.Value())
	}
	t.opt.step(t.weights, gs)
	return loss, nil
}

// DecoderFit says how Fit trains a decoder.
type DecoderFit struct {
	Epochs, Batch int
	// LR is Adam's initial learning rate; it decays to 0 along half a cosine over all steps
	// (Loshchilov and Hutter, SGDR, ICLR 2017), which settles the last epochs.
	LR float64
}

// Fit trains d on n pairs of inputs x (n × InDim) and images y (n × OutDim) for o.Epochs
// passes in an order drawn from rng each epoch; the n mod o.Batch samples left over by an
// epoch's order wait for the next. The first Fit sets Scale from x, and the output layer's
// bias to the logit of the targets' mean (clamped to [0.01, 0.99]): the decoder starts from
// the mean intensity. From a sigmoid at 0.5 over mostly dark images, the first Adam steps
// otherwise push every pre-activation down together until the sigmoid saturates at 0 and
// its gradient vanishes (measured: features after mnist-cnn's second block, learning rate
// 2e-3, a black image within one epoch). It returns the mean loss of the last epoch.
func (d *Decoder) Fit(x, y []float32, n int, o DecoderFit, rng *rand.Rand) (float64, error) {
	batch := min(o.Batch, n)
	if batch < 1 || o.Epochs < 1 {
		return 0, fmt.Errorf("models: decoder fit of %d samples, batch %d, %d epochs", n, o.Batch, o.Epochs)
	}
	di, do := d.InDim(), d.OutDim()
	if !d.fitted {
		var ss float64
		for _, v := range x[:n*di] {
			ss += float64(v) * float64(v)
		}
		if rms := math.Sqrt(ss / float64(n*di)); rms > 0 {
			d.Scale = float32(1 / rms)
		}
		var sy float64
		for _, v := range y[:n*do] {
			sy += float64(v)
		}
		m := min(max(sy/float64(n*do), 0.01), 0.99)
		last := d.layers[len(d.layers)-1]
		for j, b := 0, d.params[last.b].Data().([]float32); j < len(b); j++ {
			b[j] = float32(math.Log(m / (1 - m)))
		}
		d.fitted = true
	}
	tr, err := NewDecoderTrainer(d, batch, o.LR)
	if err != nil {
		return 0, err
	}
	bx, by := make([]float32, batch*di), make([]float32, batch*do)
	steps := n / batch
	var last float64
	for e := range o.Epochs {
		perm := rng.Perm(n)
		var sum float64
		for s := range steps {
			for i, j := range perm[s*batch : (s+1)*batch] {
				d.scaled(bx[i*di:(i+1)*di], x[j*di:(j+1)*di])
				copy(by[i*do:(i+1)*do], y[j*do:(j+1)*do])
			}
			frac := float64(e*steps+s) / float64(o.Epochs*steps)
			tr.SetLR(o.LR * 0.5 * (1 + math.Cos(math.Pi*frac)))
			loss, err := tr.Step(bx, by)
			if err != nil {
				return 0, fmt.Errorf("%w at epoch %d, step %d", err, e+1, s+1)
			}
			sum += loss
		}
		last = sum / float64(steps)
	}
	return last, nil
}

// decodeBatch is the batch size of Decode's forward graph.
const decodeBatch = 250

// Decode maps n inputs (n × InDim) to n images (n × OutDim) in (0,1).
func (d *Decoder) Decode(x []float32, n int) ([]float32, error) {
	if len(x) != n*d.InDim() {
		panic(fmt.Sprintf("models: decode of %d values, want %d × %d", len(x), n, d.InDim()))
	}
	batch := min(n, decodeBatch)
	buildMu.Lock()
	g := G.NewGraph()
	xn, xT := input(g, "x", batch, d.In)
	out, err := d.forward(xn, d.graphParams(g))
	if err != nil {
		buildMu.Unlock()
		return nil, err
	}
	vm := G.NewTapeMachine(g)
	buildMu.Unlock()
	defer vm.Close()
	di, do := d.InDim(), d.OutDim()
	res := make([]float32, n*do)
	in := xT.Data().([]float32)
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		clear(in)
		d.scaled(in, x[lo*di:hi*di])
		if err := vm.RunAll(); err != nil {
			return nil, fmt.Errorf("models: decode: %w", err)
		}
		copy(res[lo*do:hi*do], f32(out.Value()))
		vm.Reset()
	}
	return res, nil
}
