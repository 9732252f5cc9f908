package models

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/datamix/harness/defence"
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
	bns     []committer // the batch norms, whose running statistics each step updates

	x, y, mix, demix *tensor.Dense
	cost, logits     *G.Node

	draws   []*tensor.Dense // the random inputs of the edge defences that take them
	xent    *G.Node         // the cross-entropy part of cost (cost itself when no penalty)
	penalty *dcorOp         // the NoPeek penalty, nil without
	align   *alignTerm      // the alignment term of a substitute head, nil without
}

// NewTrainer builds the training graph for n at the given batch size with an Adam optimiser
// (Kingma & Ba 2015; β1 0.9, β2 0.999, ε 1e-8, gorgonia's defaults, computed as gorgonia's
// AdamSolver does: adam.go) at learning rate lr. The loss is the mean softmax cross-entropy.
//
// defs are edge-side defences (package defence) trained through: each transform sits in the
// graph at its stage — on the head's output before mixing, or on the mixtures after it — as
// an op over the same kernel inference applies, and a NoPeek defence adds w·dCor(X, H) of the
// batch's inputs and head outputs to the loss. Defences whose transform is random take their
// draws as inputs of every Step, in the order of defs.
func NewTrainer(n *Net, batch int, mixed bool, lr float64, defs ...defence.Defence) (*Trainer, error) {
	return newTrainer(n, batch, mixed, lr, nil, nil, defs...)
}

// newTrainer builds a trainer that updates the weights of the layers frozen does not name
// (every layer when frozen is nil); the others keep their values but pass gradients through.
// With al, the loss adds al's alignment term of the uploads the graph simulates to a batch of
// real uploads (NewSubstituteTrainer).
func newTrainer(n *Net, batch int, mixed bool, lr float64, frozen func(layerPlan) bool, al *Alignment, defs ...defence.Defence) (*Trainer, error) {
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
	bld := &build{train: true}
	switch {
	case mixed || len(defs) > 0 || al != nil:
		var mix, demix *G.Node
		if mixed {
			var mixT, demixT *tensor.Dense
			mix, mixT = input(t.g, "C", batch, []int{batch})
			demix, demixT = input(t.g, "Cinv", batch, []int{batch})
			t.mix, t.demix = mixT, demixT
		}
		edge := t.edgeInputs(defs)
		if al != nil {
			edge.align = t.alignInput(*al)
		}
		logits, err = n.mixedForward(x, ws, mix, demix, edge, bld)
		t.penalty, t.align = edge.penalty, edge.align
	default:
		logits, err = n.forward(x, ws, 0, nb+1, false, bld)
	}
	if err != nil {
		return nil, err
	}
	cost, err := G.ApplyOp(xentOp{n: batch, k: n.Classes}, logits, y)
	if err != nil {
		return nil, err
	}
	t.xent = cost
	if t.penalty != nil {
		if cost, err = G.Add(cost, t.penalty.node); err != nil {
			return nil, err
		}
	}
	if t.align != nil {
		if cost, err = G.Add(cost, t.align.node); err != nil {
			return nil, err
		}
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
	t.cost, t.logits, t.grads, t.bns = cost, logits, grads, bld.bns
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

// edgeGraph is what the edge defences of a training graph need while it is built: the
// defences, the input node of each random one's draws, and the NoPeek op once built.
type edgeGraph struct {
	defs    []defence.Defence
	draws   []*G.Node // per defence: its draws' input node, nil when it takes none
	penalty *dcorOp
	align   *alignTerm // the alignment term to build on the uploads, nil for none
}

// edgeInputs makes the input nodes of the draws of the random defences of defs.
func (t *Trainer) edgeInputs(defs []defence.Defence) *edgeGraph {
	e := &edgeGraph{defs: defs, draws: make([]*G.Node, len(defs))}
	for i, d := range defs {
		if d.Form().Random() {
			node, buf := input(t.g, fmt.Sprintf("draws%d", i), t.batch, []int{t.net.UploadDim()})
			e.draws[i] = node
			t.draws = append(t.draws, buf)
		}
	}
	return e
}

// apply adds the transforms of the defences of stage st to the (batch, D) node v, in order;
// needDX says whether v depends on the weights.
func (e *edgeGraph) apply(st defence.Stage, v *G.Node, needDX bool) (*G.Node, error) {
	for i, d := range e.defs {
		if d.Stage() != st {
			continue
		}
		s := v.Shape()
		op := &edgeOp{form: d.Form(), n: s[0], d: s[1], needDX: needDX}
		in := []*G.Node{v}
		if e.draws[i] != nil {
			in = append(in, e.draws[i])
		}
		var err error
		if v, err = G.ApplyOp(op, in...); err != nil {
			return nil, fmt.Errorf("models: defence %s: %w", d.Label(), err)
		}
	}
	return v, nil
}

// mixedForward builds tail(Cinv · body(after(C · before(head(x))))) where C and Cinv are
// (batch,batch) nodes and before and after the edge defences of those stages (edge may hold
// none); a nil C and Cinv leave out mixing and de-mixing. A NoPeek defence adds its penalty
// node on x and head(x) to edge.
func (n *Net) mixedForward(x *G.Node, ws []*G.Node, mix, demix *G.Node, edge *edgeGraph, b *build) (*G.Node, error) {
	nb := len(n.Arch.Blocks)
	h, err := n.forward(x, ws, 0, n.Split, false, b)
	if err != nil {
		return nil, err
	}
	if h, err = flat(h); err != nil {
		return nil, err
	}
	// The head's output needs a gradient unless the head is empty (split 0).
	headGrad := n.Split > 0
	if w := defence.Stack(edge.defs).NoPeekWeight(); w > 0 {
		if !headGrad {
			return nil, fmt.Errorf("models: a NoPeek penalty at split 0: the head is empty, H = X")
		}
		xf, err := flat(x)
		if err != nil {
			return nil, err
		}
		s := h.Shape()
		edge.penalty = newDCorOp(s[0], xf.Shape()[1], s[1], w)
		if edge.penalty.node, err = G.ApplyOp(edge.penalty, xf, h); err != nil {
			return nil, err
		}
	}
	if h, err = edge.apply(defence.BeforeMix, h, headGrad); err != nil {
		return nil, err
	}
	// The mixing matrices are data: no gradient for them.
	m := h
	if mix != nil {
		if m, err = matMul(mix, h, false, false, false, headGrad); err != nil {
			return nil, err
		}
	}
	if m, err = edge.apply(defence.AfterMix, m, headGrad); err != nil {
		return nil, err
	}
	if al := edge.align; al != nil {
		s := m.Shape()
		al.op = newMMDOp(s[0], al.Batch, s[1], al.Sigma2, al.Weight)
		if al.node, err = G.ApplyOp(al.op, m, al.real); err != nil {
			return nil, err
		}
	}
	z, err := n.forward(m, ws, n.Split, nb, headGrad, b)
	if err != nil {
		return nil, err
	}
	if z, err = flat(z); err != nil {
		return nil, err
	}
	if demix != nil {
		if z, err = matMul(demix, z, false, false, false, true); err != nil {
			return nil, err
		}
	}
	return n.forward(z, ws, nb, nb+1, true, b)
}

// Batch is the trainer's batch size.
func (t *Trainer) Batch() int { return t.batch }

// Step runs one optimisation step on x (batch × InputDim values) with integer labels. For a
// mixed trainer, mix and demix are the batch × batch block-diagonal C and C⁻¹ (row-major);
// for an unmixed one they must be nil. draws are the random inputs of the trainer's random
// defences (batch × UploadDim each, in the order NewTrainer got them; see defence.Defence.Draw).
// It returns the batch's mean cross-entropy (without a NoPeek penalty, which Penalty reports)
// and the number of correctly classified samples. Batch norms normalise with the batch's
// statistics (the mixed batch's in the body of a mixed trainer) and, after the step, move
// their running statistics towards them. A non-finite loss is an error and leaves the weights
// and running statistics as they were before the step.
func (t *Trainer) Step(x []float32, labels []int, mix, demix []float32, draws ...[]float32) (loss float64, correct int, err error) {
	if len(x) != t.batch*t.net.InputDim() || len(labels) != t.batch {
		panic(fmt.Sprintf("models: step with %d values and %d labels, want %d and %d", len(x), len(labels), t.batch*t.net.InputDim(), t.batch))
	}
	if t.mixed != (mix != nil) || t.mixed != (demix != nil) {
		panic("models: mixing matrices given to an unmixed trainer or missing for a mixed one")
	}
	if len(draws) != len(t.draws) {
		panic(fmt.Sprintf("models: step with %d sets of defence draws, want %d", len(draws), len(t.draws)))
	}
	copy(t.x.Data().([]float32), x)
	if err := oneHot(t.y.Data().([]float32), labels, t.net.Classes); err != nil {
		return 0, 0, err
	}
	if t.mixed {
		copy(t.mix.Data().([]float32), mix)
		copy(t.demix.Data().([]float32), demix)
	}
	for i, d := range draws {
		dst := t.draws[i].Data().([]float32)
		if len(d) != len(dst) {
			panic(fmt.Sprintf("models: defence draws %d hold %d values, want %d", i, len(d), len(dst)))
		}
		copy(dst, d)
	}
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, 0, fmt.Errorf("models: training step: %w", err)
	}
	total := float64(t.cost.Value().Data().(float32))
	loss = float64(t.xent.Value().Data().(float32))
	if math.IsNaN(total) || math.IsInf(total, 0) {
		return total, 0, fmt.Errorf("models: training loss is %v (diverged); lower train.lr or check the mixing condition bound", total)
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

// Penalty is the distance correlation dCor(X, H) of the last step's batch (unweighted), or 0
// for a trainer without a NoPeek defence.
func (t *Trainer) Penalty() float64 {
	if t.penalty == nil {
		return 0
	}
	return t.penalty.st.value
}

// SetLR sets the learning rate used by the following steps (for a schedule such as cosine
// decay). Adam's moment estimates are kept.
func (t *Trainer) SetLR(lr float64) { t.opt.lr = lr }
