package models

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// buildMu serialises graph construction: gorgonia shares package-level constant nodes between
// graphs, and building two graphs at once races on them (see shared/GORGONIA.md).
var buildMu sync.Mutex

// graphParams binds the net's weight tensors to nodes of graph g.
func (n *Net) graphParams(g *G.ExprGraph) []*G.Node {
	nodes := make([]*G.Node, len(n.params))
	for i, t := range n.params {
		nodes[i] = G.NewTensor(g, tensor.Float32, t.Dims(), G.WithShape(t.Shape()...), G.WithName(n.names[i]), G.WithValue(t))
	}
	return nodes
}

// input makes a float32 input node of shape (batch, shape...) backed by a fresh tensor.
func input(g *G.ExprGraph, name string, batch int, shape []int) (*G.Node, *tensor.Dense) {
	full := append([]int{batch}, shape...)
	t := tensor.New(tensor.WithShape(full...), tensor.Of(tensor.Float32))
	return G.NewTensor(g, tensor.Float32, len(full), G.WithShape(full...), G.WithName(name), G.WithValue(t)), t
}

// forward applies the layers of blocks [from,to) to x, a (batch, in...) node; to =
// len(Blocks)+1 includes the classifier. Shapes are adjusted between 4-D and flat activations.
func (n *Net) forward(x *G.Node, ws []*G.Node, from, to int) (*G.Node, error) {
	var err error
	batch := x.Shape()[0]
	for _, p := range n.plan {
		blk := p.block
		if blk < 0 {
			blk = len(n.Arch.Blocks)
		}
		if blk < from || blk >= to {
			continue
		}
		want := append([]int{batch}, p.in...)
		if p.Kind == Dense {
			want = []int{batch, prod(p.in)}
		}
		if !x.Shape().Eq(tensor.Shape(want)) {
			if x, err = G.Reshape(x, want); err != nil {
				return nil, err
			}
		}
		switch p.Kind {
		case Conv:
			pad := p.Kernel / 2
			if x, err = G.Conv2d(x, ws[p.w], tensor.Shape{p.Kernel, p.Kernel}, []int{pad, pad}, []int{1, 1}, []int{1, 1}); err != nil {
				return nil, fmt.Errorf("models: conv: %w", err)
			}
			if x, err = G.BroadcastAdd(x, ws[p.b], nil, []byte{0, 2, 3}); err != nil {
				return nil, err
			}
			if x, err = G.Rectify(x); err != nil {
				return nil, err
			}
		case Pool:
			if x, err = G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}); err != nil {
				return nil, fmt.Errorf("models: pool: %w", err)
			}
		case Dense:
			if x, err = G.Mul(x, ws[p.w]); err != nil {
				return nil, err
			}
			if x, err = G.BroadcastAdd(x, ws[p.b], nil, []byte{0}); err != nil {
				return nil, err
			}
			if p.block >= 0 {
				if x, err = G.Rectify(x); err != nil {
					return nil, err
				}
			}
		}
	}
	return x, nil
}

// flat reshapes a (batch, ...) node to (batch, D).
func flat(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) == 2 {
		return x, nil
	}
	return G.Reshape(x, tensor.Shape{s[0], s.TotalSize() / s[0]})
}

// logSoftmax is a numerically stable row-wise log-softmax of (batch, classes) logits:
// the per-row maximum is subtracted first. gorgonia's own SoftMax takes the maximum over the
// whole tensor and overflows in float32 (see shared/GORGONIA.md).
func logSoftmax(logits *G.Node) (*G.Node, error) {
	m, err := G.Max(logits, 1)
	if err != nil {
		return nil, err
	}
	shifted, err := G.BroadcastSub(logits, m, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, err
	}
	s, err := G.Sum(e, 1)
	if err != nil {
		return nil, err
	}
	lse, err := G.Log(s)
	if err != nil {
		return nil, err
	}
	return G.BroadcastSub(shifted, lse, nil, []byte{1})
}
