package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// stage is a forward-only graph over a range of blocks.
type stage struct {
	g   *G.ExprGraph
	vm  G.VM
	in  *tensor.Dense
	out *G.Node
}

func (n *Net) newStage(batch, from, to int) (*stage, error) {
	s := &stage{g: G.NewGraph()}
	ws := n.graphParams(s.g)
	x, xT := input(s.g, "in", batch, n.blockIn(from))
	out, err := n.forward(x, ws, from, to, false, &build{stats: n.bnStats})
	if err != nil {
		return nil, err
	}
	if out, err = flat(out); err != nil {
		return nil, err
	}
	s.in, s.out = xT, out
	s.vm = G.NewTapeMachine(s.g)
	return s, nil
}

func (s *stage) run(dst, src []float32) error {
	in := s.in.Data().([]float32)
	if len(src) != len(in) {
		panic(fmt.Sprintf("models: stage input has %d values, want %d", len(src), len(in)))
	}
	copy(in, src)
	defer s.vm.Reset()
	if err := s.vm.RunAll(); err != nil {
		return fmt.Errorf("models: forward: %w", err)
	}
	out := s.out.Value().Data().([]float32)
	if len(dst) != len(out) {
		panic(fmt.Sprintf("models: stage output has %d values, want %d", len(dst), len(out)))
	}
	copy(dst, out)
	return nil
}

// Inferer runs the three parts of a Net separately, as edge and cloud would, at a fixed batch
// size: Head on the edge, Body on the cloud, Tail on the edge. Mixing and de-mixing happen
// between the calls (package mixing), in float64. It shares the Net's weights and is not safe
// for concurrent use.
type Inferer struct {
	net              *Net
	batch            int
	head, body, tail *stage
	identity         bool // the head was asked for at split 0, where it is the identity
}

// NewInferer builds the forward graphs of n's head, body and tail at the given batch size.
func NewInferer(n *Net, batch int) (*Inferer, error) { return NewPartInferer(n, batch, Parts...) }

// NewPartInferer builds the forward graphs of the given parts of n only, at the given batch
// size: the edge's head and tail, or the cloud's body (of a network loaded from its body file
// alone, LoadPart). Calling a part that was not built panics.
func NewPartInferer(n *Net, batch int, parts ...Part) (*Inferer, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	f := &Inferer{net: n, batch: batch}
	nb := len(n.Arch.Blocks)
	var err error
	for _, p := range parts {
		switch {
		case p == Head && n.Split > 0:
			f.head, err = n.newStage(batch, 0, n.Split)
		case p == Head:
			f.identity = true
		case p == Body:
			f.body, err = n.newStage(batch, n.Split, nb)
		case p == Tail:
			f.tail, err = n.newStage(batch, nb, nb+1)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Batch is the inferer's batch size.
func (f *Inferer) Batch() int { return f.batch }

// Head computes the uploads' unmixed features: dst (batch × UploadDim) = head(x), where x is
// batch × InputDim. At split 0 the head is the identity.
func (f *Inferer) Head(dst, x []float32) error {
	if f.head == nil {
		if !f.identity {
			panic("models: inferer built without the head")
		}
		if len(dst) != len(x) {
			panic("models: head output size")
		}
		copy(dst, x)
		return nil
	}
	return f.head.run(dst, x)
}

// Body is the cloud's part: dst (batch × DownloadDim) = body(m), m is batch × UploadDim.
func (f *Inferer) Body(dst, m []float32) error {
	if f.body == nil {
		panic("models: inferer built without the body")
	}
	return f.body.run(dst, m)
}

// Tail is the classifier on the edge: dst (batch × Classes) = logits of z (batch × DownloadDim).
func (f *Inferer) Tail(dst, z []float32) error {
	if f.tail == nil {
		panic("models: inferer built without the tail")
	}
	return f.tail.run(dst, z)
}
