package models

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Trainer runs training steps of a Net at a fixed batch size on one gorgonia graph. A mixed
// trainer computes tail(C⁻¹·body(C·head(X))) with the batch's block-diagonal mixing matrix C
// and its inverse given per step, so the network learns to work through mixing and de-mixing
// (DataMix, ECCV 2020); an unmixed trainer computes tail(body(head(X))), the plain network.
// A Trainer is not safe for concurrent use; build one per goroutine.
type Trainer struct {
	net   *Net
	batch int
	mixed bool

	g       *G.ExprGraph
	vm      G.VM
	opt     adam
	weights [][]float32 // the net's weights, updated in place
	grads   []*G.Node   // their gradient nodes, in the same order
	bns     []*bnConv   // the batch norms, whose running statistics each step updates

	x, y, mix, demix *tensor.Dense
	cost, logits     *G.Node
}

// NewTrainer builds the training graph for n at the given batch size with an Adam optimiser
// (Kingma & Ba 2015; β1 0.9, β2 0.999, ε 1e-8, gorgonia's defaults, computed as gorgonia's
// AdamSolver does: adam.go) at learning rate lr. The loss is the mean softmax cross-entropy.
func NewTrainer(n *Net, batch int, mixed bool, lr float64) (*Trainer, error) {
	return newTrainer(n, batch, mixed, lr, nil)
}

// newTrainer builds a trainer that updates the weights of the layers frozen does not name
// (every layer when frozen is nil); the others keep their values but pass gradients through.
func newTrainer(n *Net, batch int, mixed bool, lr float64, frozen func(layerPlan) bool) (*Trainer, error) {
	if batch < 1 {
		panic(fmt.Sprintf("models: batch %d", batch))
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	t := &Trainer{net: n, batch: batch, mixed: mixed, g: G.NewGraph()}
	ws := n.graphParams(t.g)
	x, xT := input(t.g, "x", batch, []int{n.Arch.C, n.Arch.H, n.Arch.W})
	y, yT := input(t.g, "y", batch, []int{n.Classes})
	t.x, t.y = xT, yT
	nb := len(n.Arch.Blocks)
	var logits *G.Node
	var err error
	b := &build{train: true}
	if mixed {
		mix, mixT := input(t.g, "C", batch, []int{batch})
		demix, demixT := input(t.g, "Cinv", batch, []int{batch})
		t.mix, t.demix = mixT, demixT
		logits, err = n.mixedForward(x, ws, mix, demix, b)
	} else {
		logits, err = n.forward(x, ws, 0, nb+1, false, b)
	}
	if err != nil {
		return nil, err
	}
	cost, err := G.ApplyOp(xentOp{n: batch, k: n.Classes}, logits, y)
	if err != nil {
		return nil, err
	}
	train := n.trainable(frozen) // indices of the weights to update
	wrt := make(G.Nodes, len(train))
	for i, j := range train {
		wrt[i] = ws[j]
		t.weights = append(t.weights, n.params[j].Data().([]float32))
	}
	grads, err := G.Grad(cost, wrt...)
	if err != nil {
		return nil, fmt.Errorf("models: gradient: %w", err)
	}
	t.cost, t.logits, t.grads, t.bns = cost, logits, grads, b.bns
	t.vm = G.NewTapeMachine(t.g)
	t.opt = adam{lr: lr}
	return t, nil
}

// trainable returns the indices in n.params of the weights of the layers frozen does not name,
// in parameter order: every weight when frozen is nil.
func (n *Net) trainable(frozen func(layerPlan) bool) []int {
	keep := make([]bool, len(n.params))
	for _, p := range n.plan {
		if frozen != nil && frozen(p) {
			continue
		}
		if p.w >= 0 {
			keep[p.w], keep[p.b] = true, true
		}
		for _, i := range p.ps {
			keep[i] = true
		}
	}
	var idx []int
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	return idx
}

// mixedForward builds tail(Cinv · body(C · head(x))) where C and Cinv are (batch,batch) nodes.
func (n *Net) mixedForward(x *G.Node, ws []*G.Node, mix, demix *G.Node, b *build) (*G.Node, error) {
	nb := len(n.Arch.Blocks)
	h, err := n.forward(x, ws, 0, n.Split, false, b)
	if err != nil {
		return nil, err
	}
	if h, err = flat(h); err != nil {
		return nil, err
	}
	// The mixing matrices are data: no gradient for them. The head's output needs one unless
	// the head is empty (split 0).
	m, err := matMul(mix, h, false, false, false, n.Split > 0)
	if err != nil {
		return nil, err
	}
	z, err := n.forward(m, ws, n.Split, nb, n.Split > 0, b)
	if err != nil {
		return nil, err
	}
	if z, err = flat(z); err != nil {
		return nil, err
	}
	if z, err = matMul(demix, z, false, false, false, true); err != nil {
		return nil, err
	}
	return n.forward(z, ws, nb, nb+1, true, b)
}

// Batch is the trainer's batch size.
func (t *Trainer) Batch() int { return t.batch }

// Step runs one optimisation step on x (batch × InputDim values) with integer labels. For a
// mixed trainer, mix and demix are the batch × batch block-diagonal C and C⁻¹ (row-major);
// for an unmixed one they must be nil. It returns the batch's mean loss and the number of
// correctly classified samples. Batch norms normalise with the batch's statistics (the mixed
// batch's in the body of a mixed trainer) and, after the step, move their running statistics
// towards them. A non-finite loss is an error and leaves the weights and running statistics as
// they were before the step.
func (t *Trainer) Step(x []float32, labels []int, mix, demix []float32) (loss float64, correct int, err error) {
	if len(x) != t.batch*t.net.InputDim() || len(labels) != t.batch {
		panic(fmt.Sprintf("models: step with %d values and %d labels, want %d and %d", len(x), len(labels), t.batch*t.net.InputDim(), t.batch))
	}
	if t.mixed != (mix != nil) || t.mixed != (demix != nil) {
		panic("models: mixing matrices given to an unmixed trainer or missing for a mixed one")
	}
	copy(t.x.Data().([]float32), x)
	if err := oneHot(t.y.Data().([]float32), labels, t.net.Classes); err != nil {
		return 0, 0, err
	}
	if t.mixed {
		copy(t.mix.Data().([]float32), mix)
		copy(t.demix.Data().([]float32), demix)
	}
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, 0, fmt.Errorf("models: training step: %w", err)
	}
	loss = float64(t.cost.Value().Data().(float32))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, 0, fmt.Errorf("models: training loss is %v (diverged); lower train.lr or check the mixing condition bound", loss)
	}
	correct = countCorrect(t.logits.Value().Data().([]float32), labels, t.net.Classes)
	gs := make([][]float32, len(t.grads))
	for i, g := range t.grads {
		gs[i] = f32(g.Value())
	}
	t.opt.step(t.weights, gs)
	for _, u := range t.bns {
		u.commit()
	}
	return loss, correct, nil
}

func oneHot(dst []float32, labels []int, classes int) error {
	clear(dst)
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("models: label %d out of range 0..%d", l, classes-1)
		}
		dst[i*classes+l] = 1
	}
	return nil
}

// countCorrect counts rows of logits whose arg-max equals the label.
func countCorrect(logits []float32, labels []int, classes int) int {
	c := 0
	for i, l := range labels {
		if Argmax(logits[i*classes:(i+1)*classes]) == l {
			c++
		}
	}
	return c
}

// Argmax returns the index of the largest value (the first one on ties).
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// SetLR sets the learning rate used by the following steps (for a schedule such as cosine
// decay). Adam's moment estimates are kept.
func (t *Trainer) SetLR(lr float64) { t.opt.lr = lr }
