package models

import (
	"fmt"
	"math/rand/v2"
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
func NewShadowTrainer(n *Net, batch int, mixed bool, lr float64) (*Trainer, error) {
	if n.Split == 0 {
		return nil, fmt.Errorf("models: a shadow model needs a head to train; split is 0")
	}
	return newTrainer(n, batch, mixed, lr, n.inBody)
}
