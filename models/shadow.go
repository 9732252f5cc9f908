package models

import (
	"fmt"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/datamix/harness/defence"
)

// Shadow returns the start of a shadow model of n: a network of the same architecture,
// classes and split whose body holds a copy of n's body weights and whose head and tail are
// freshly initialised from rng as New initialises them. It is the model of the query-free
// attack of He, Zhang and Lee ("Model inversion attacks against collaborative inference",
// ACSAC 2019): a cloud that runs the body and knows the architecture, but not the edge's
// head, trains a head and tail of its own through the frozen body (NewShadowTrainer)
// and then inverts the real uploads through its head, which the frozen body forces to speak
// the real head's language. The copy shares no tensor with n, so the two may be used at once.
func (n *Net) Shadow(rng *rand.Rand) (*Net, error) {
	s, err := New(n.Arch, n.Classes, n.Split, rng)
	if err != nil {
		return nil, err
	}
	for _, p := range n.plan {
		if !n.inBody(p) {
			continue
		}
		ps := p.ps
		if p.w >= 0 {
			ps = []int{p.w, p.b}
		}
		for _, i := range ps {
			copy(s.params[i].Data().([]float32), n.params[i].Data().([]float32))
		}
		for _, i := range p.rs { // batch norms' running statistics
			copy(s.stats[i].Data().([]float32), n.stats[i].Data().([]float32))
		}
	}
	return s, nil
}

// inBody reports whether layer p belongs to the cloud's body.
func (n *Net) inBody(p layerPlan) bool { return p.block >= n.Split }

// NewShadowTrainer is NewTrainer for a shadow model: it updates the head and the tail only,
// and the body keeps its weights (the cloud's own), passing gradients through to the head.
// The edge-side defences sit in its graph as in NewTrainer's, so that the shadow learns
// through what the edge's uploads go through.
func NewShadowTrainer(n *Net, batch int, mixed bool, lr float64, defs ...defence.Defence) (*Trainer, error) {
	if n.Split == 0 {
		return nil, fmt.Errorf("models: a shadow model needs a head to train; split is 0")
	}
	return newTrainer(n, batch, mixed, lr, n.inBody, nil, defs...)
}

// Alignment is the feature-alignment term of a substitute head's training (FORA: Xu et al.,
// "A stealthy wrongdoer: feature-oriented reconstruction attack against split learning", CVPR
// 2024): Weight·MMD² between the uploads the training graph simulates from a batch — head,
// defences, mixing — and a batch of Batch uploads the cloud really received, set before every
// step (Trainer.SetAligned), under Gaussian kernels of squared bandwidths Sigma2 (mmdOp).
type Alignment struct {
	Weight float64
	Sigma2 []float64
	Batch  int
}

// alignTerm is an Alignment in a training graph: the real uploads' input and the term's node.
type alignTerm struct {
	Alignment
	real  *G.Node
	realT *tensor.Dense
	op    *mmdOp
	node  *G.Node
}

// NewSubstituteTrainer is NewShadowTrainer with an alignment term in the loss: the head and
// tail learn through the frozen body from labelled auxiliary images, and the head's simulated
// uploads are pulled towards the distribution of the uploads the cloud received, so that the
// substitute head speaks the edge head's language on the cloud's own data.
func NewSubstituteTrainer(n *Net, batch int, mixed bool, lr float64, al Alignment, defs ...defence.Defence) (*Trainer, error) {
	if n.Split == 0 {
		return nil, fmt.Errorf("models: a substitute head needs a head to train; split is 0")
	}
	if !(al.Weight > 0) || al.Batch < 1 {
		return nil, fmt.Errorf("models: alignment weight %v over %d uploads, need > 0 and ≥ 1", al.Weight, al.Batch)
	}
	return newTrainer(n, batch, mixed, lr, n.inBody, &al, defs...)
}

// alignInput makes the input node of the real uploads of an alignment term.
func (t *Trainer) alignInput(al Alignment) *alignTerm {
	real, realT := input(t.g, "aligned", al.Batch, []int{t.net.UploadDim()})
	return &alignTerm{Alignment: al, real: real, realT: realT}
}

// SetAligned sets the real uploads (Batch × UploadDim) the next steps' alignment term compares
// the simulated ones with. It panics for a trainer without an alignment term.
func (t *Trainer) SetAligned(uploads []float32) {
	if t.align == nil {
		panic("models: SetAligned on a trainer without an alignment term")
	}
	dst := t.align.realT.Data().([]float32)
	if len(uploads) != len(dst) {
		panic(fmt.Sprintf("models: %d aligned values, want %d", len(uploads), len(dst)))
	}
	copy(dst, uploads)
}

// Alignment is the last step's MMD² between the simulated and the real uploads (unweighted),
// or 0 for a trainer without an alignment term.
func (t *Trainer) Alignment() float64 {
	if t.align == nil || t.align.op == nil {
		return 0
	}
	return t.align.op.st.value
}
