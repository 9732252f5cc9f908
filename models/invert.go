package models

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Inverter reconstructs images from what a Net's head made of them by optimisation: the
// regularised maximum-likelihood estimation (rMLE) of He, Zhang and Lee ("Model inversion
// attacks against collaborative inference", ACSAC 2019: their white-box attack), for an
// attacker that knows the head's weights. For a batch of targets t_n (head outputs) it minimises over
// images x_n ∈ [0,1]^(C×H×W)
//
//	L = Σ_n ‖head(x_n) − t_n‖² / D + λ · TV(x_n) / P
//
// (D values per head output, P pixels per image, TV the smoothed total variation of tvOp)
// with Adam, the images projected back onto [0,1] after every step. The gradient with respect
// to the images is the head's input gradient: the same fused ops as training, run backwards to
// their input. Each image's terms involve only that image, so a batch is n independent
// problems solved at once.
//
// An Inverter shares the Net's weights and is not safe for concurrent use.
type Inverter struct {
	net   *Net
	batch int

	g      *G.ExprGraph
	vm     G.VM
	x, t   *tensor.Dense
	cost   *G.Node
	grad   *G.Node
	lambda float64
}

// TVEps is the smoothing of the total variation prior, √(a² + b² + ε²) per pixel: a
// difference of 0.01 between neighbouring pixels in [0,1] is below what 8-bit images resolve
// (1/255 ≈ 0.004 per step, a few steps), so the prior is the plain total variation wherever
// an edge is visible.
const TVEps = 0.01

// NewInverter builds the rMLE graph of n's head at the given batch size with total-variation
// weight lambda ≥ 0. A head with batch normalisation (the residual networks at split > 0)
// normalises with its running statistics, as at inference, where each batch norm is a fixed
// affine map per channel; a net set to evaluate with batch statistics (WithBNStats) is an
// error there, since its uploads then depend on the whole batch.
func NewInverter(n *Net, batch int, lambda float64) (*Inverter, error) {
	if batch < 1 || lambda < 0 || math.IsNaN(lambda) {
		panic(fmt.Sprintf("models: inverter batch %d, lambda %v", batch, lambda))
	}
	for _, p := range n.plan {
		if p.block >= 0 && p.block < n.Split && (p.Kind == ConvBN || p.Kind == Residual || p.Kind == BatchNorm) && n.bnStats == BatchStats {
			return nil, fmt.Errorf("models: rMLE through a head that normalises with batch statistics (%s at split %d) is not implemented; use running statistics", n.Arch.Name, n.Split)
		}
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	v := &Inverter{net: n, batch: batch, g: G.NewGraph(), lambda: lambda}
	g, err := n.inversionGraph(v.g, batch, lambda, &build{stats: n.bnStats})
	if err != nil {
		return nil, err
	}
	x, xT, tT, cost := g.x, g.xT, g.tT, g.cost
	grads, err := G.Grad(cost, x)
	if err != nil {
		return nil, fmt.Errorf("models: inverter gradient: %w", err)
	}
	v.x, v.t, v.cost, v.grad = xT, tT, cost, grads[0]
	v.vm = G.NewTapeMachine(v.g)
	return v, nil
}

// Batch is the inverter's batch size.
func (v *Inverter) Batch() int { return v.batch }

// Invert runs iters Adam steps (Kingma and Ba's defaults, adam.go) from the images in x
// (batch × C·H·W, overwritten with the result) towards the head outputs target
// (batch × UploadDim). The learning rate starts at lr and decays to 0 along half a cosine, so
// that the last steps settle instead of oscillating by lr. It returns the mean over the batch
// of the final objective (feature distance plus prior). A non-finite objective is an error.
func (v *Inverter) Invert(x, target []float32, iters int, lr float64) (float64, error) {
	in, tt := v.x.Data().([]float32), v.t.Data().([]float32)
	if len(x) != len(in) || len(target) != len(tt) {
		panic(fmt.Sprintf("models: invert %d values towards %d, want %d and %d", len(x), len(target), len(in), len(tt)))
	}
	copy(in, x)
	copy(tt, target)
	loss, err := descend(v.vm, v.cost, v.grad, in, v.batch, iters, lr, "inversion", nil)
	if err != nil {
		return loss, err
	}
	copy(x, in)
	return loss, nil
}

// JointInverter is UnSplit's model inversion (Erdoğan, Küpçü and Çiçek, "UnSplit:
// data-oblivious model inversion, model stealing, and label inference attacks against split
// learning", WPES 2022): an attacker that knows the head's architecture but not its weights
// optimises the images and the weights of a surrogate head together, minimising
//
//	L = Σ_n ‖head_θ(x_n) − t_n‖² / D + λ · TV(x_n) / P
//
// over the images x_n ∈ [0,1]^(C×H×W) and the head's weights θ, with Adam on both (the images
// projected back onto [0,1] after every step). The surrogate's weights carry over from one
// call to the next, so that batch after batch of targets trains one surrogate, as UnSplit's
// clone model learns from every batch it inverts. A batch-normalised head normalises each
// batch with its own statistics (the weight gradients of batch norm exist in training mode
// only). The surrogate is a Net of the edge's architecture (a shadow model's, Net.Shadow); its
// head's weights are updated in place.
//
// A JointInverter is not safe for concurrent use.
type JointInverter struct {
	net   *Net
	batch int

	g       *G.ExprGraph
	vm      G.VM
	x, t    *tensor.Dense
	cost    *G.Node
	gradX   *G.Node
	gradW   []*G.Node
	weights [][]float32 // the head's weights, updated in place
	optW    adam
}

// NewJointInverter builds UnSplit's graph of the surrogate n's head at the given batch size
// with total-variation weight lambda ≥ 0.
func NewJointInverter(n *Net, batch int, lambda float64) (*JointInverter, error) {
	if batch < 1 || lambda < 0 || math.IsNaN(lambda) {
		panic(fmt.Sprintf("models: joint inverter batch %d, lambda %v", batch, lambda))
	}
	if n.Split == 0 {
		return nil, fmt.Errorf("models: UnSplit needs a head to learn; split is 0")
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	v := &JointInverter{net: n, batch: batch, g: G.NewGraph()}
	g, err := n.inversionGraph(v.g, batch, lambda, &build{train: true})
	if err != nil {
		return nil, err
	}
	x, xT, tT, cost, ws := g.x, g.xT, g.tT, g.cost, g.ws
	head := n.trainable(func(l layerPlan) bool { return l.block < 0 || l.block >= n.Split })
	wrt := G.Nodes{x}
	for _, j := range head {
		wrt = append(wrt, ws[j])
		v.weights = append(v.weights, n.params[j].Data().([]float32))
	}
	grads, err := G.Grad(cost, wrt...)
	if err != nil {
		return nil, fmt.Errorf("models: joint inverter gradient: %w", err)
	}
	v.x, v.t, v.cost, v.gradX, v.gradW = xT, tT, cost, grads[0], grads[1:]
	v.vm = G.NewTapeMachine(v.g)
	return v, nil
}

// Batch is the joint inverter's batch size.
func (v *JointInverter) Batch() int { return v.batch }

// Invert runs iters joint Adam steps from the images in x (batch × C·H·W, overwritten with
// the result) towards the head outputs target (batch × UploadDim): the images' steps start at
// lrX and decay to 0 along half a cosine, the surrogate's at lrW, constant, with Adam's moments
// kept across calls. It returns the mean over the batch of the final objective. A non-finite
// objective is an error and leaves the images as they were.
func (v *JointInverter) Invert(x, target []float32, iters int, lrX, lrW float64) (float64, error) {
	in, tt := v.x.Data().([]float32), v.t.Data().([]float32)
	if len(x) != len(in) || len(target) != len(tt) {
		panic(fmt.Sprintf("models: invert %d values towards %d, want %d and %d", len(x), len(target), len(in), len(tt)))
	}
	copy(in, x)
	copy(tt, target)
	v.optW.lr = lrW
	loss, err := descend(v.vm, v.cost, v.gradX, in, v.batch, iters, lrX, "joint inversion", func() {
		gs := make([][]float32, len(v.gradW))
		for i, g := range v.gradW {
			gs[i] = f32(g.Value())
		}
		v.optW.step(v.weights, gs)
	})
	if err != nil {
		return loss, err
	}
	copy(x, in)
	return loss, nil
}

// inversionGraph is the objective of an inversion in graph g at the given batch size:
// Σ_n ‖head(x_n) − t_n‖² / D + λ · TV(x_n) / P over the images x and the targets t, the head
// built as b says (running or batch statistics in its batch norms).
type inversionGraph struct {
	x      *G.Node
	xT, tT *tensor.Dense
	cost   *G.Node
	ws     []*G.Node // the net's weights in g
}

func (n *Net) inversionGraph(g *G.ExprGraph, batch int, lambda float64, b *build) (*inversionGraph, error) {
	ws := n.graphParams(g)
	a := n.Arch
	x, xT := input(g, "x", batch, []int{a.C, a.H, a.W})
	t, tT := input(g, "target", batch, []int{n.UploadDim()})
	h, err := n.forward(x, ws, 0, n.Split, true, b)
	if err != nil {
		return nil, err
	}
	if h, err = flat(h); err != nil {
		return nil, err
	}
	d, p := n.UploadDim(), a.C*a.H*a.W
	cost, err := G.ApplyOp(sqErrOp{shape: tensor.Shape{batch, d}, scale: 1 / float64(d)}, h, t)
	if err != nil {
		return nil, err
	}
	if lambda > 0 {
		tv, err := G.ApplyOp(tvOp{n: batch, c: a.C, h: a.H, w: a.W, scale: lambda / float64(p), eps: TVEps}, x)
		if err != nil {
			return nil, err
		}
		if cost, err = G.Add(cost, tv); err != nil {
			return nil, err
		}
	}
	return &inversionGraph{x: x, xT: xT, tT: tT, cost: cost, ws: ws}, nil
}

// descend runs iters projected Adam steps (Kingma and Ba's defaults, adam.go) on the images in
// (the graph's input, batch of them) against the graph's objective cost: each step runs the
// graph, steps the images by their gradient grad at a learning rate that starts at lr and
// decays to 0 along half a cosine (so that the last steps settle instead of oscillating by
// lr), calls more (nil: nothing) to step anything else by its gradient, and clips the images
// to [0,1]. It returns the mean over the batch of the objective of the result, after a last
// run without a step. A failing run or a non-finite objective is an error naming what.
func descend(vm G.VM, cost, grad *G.Node, in []float32, batch, iters int, lr float64, what string, more func()) (float64, error) {
	opt := adam{lr: lr}
	var loss float64
	for it := 0; it <= iters; it++ {
		if err := vm.RunAll(); err != nil {
			vm.Reset()
			return 0, fmt.Errorf("models: %s: %w", what, err)
		}
		loss = float64(cost.Value().Data().(float32)) / float64(batch)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			vm.Reset()
			return loss, fmt.Errorf("models: %s objective is %v at step %d", what, loss, it)
		}
		if it == iters { // the objective of the result, no step after it
			vm.Reset()
			break
		}
		opt.lr = lr * 0.5 * (1 + math.Cos(math.Pi*float64(it)/float64(iters)))
		opt.step([][]float32{in}, [][]float32{f32(grad.Value())})
		if more != nil {
			more()
		}
		for i, p := range in {
			in[i] = min(max(p, 0), 1)
		}
		vm.Reset()
	}
	return loss, nil
}
