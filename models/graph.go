package models

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// buildMu serialises graph construction: gorgonia shares package-level constant nodes between
// graphs, and building two graphs at once races on them (measured with gorgonia v0.9.18).
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

// build is what the construction of one graph needs besides its nodes: whether it is a
// training graph and, if not, which statistics its batch norms normalise with; a training
// graph's batch norms are collected in bns, so that the Trainer can update their running
// statistics after each step.
type build struct {
	train bool
	stats BNStats
	bns   []*bnConv
}

// bnMode is the mode of the batch norms of the graph under construction.
func (b *build) bnMode() bnMode {
	switch {
	case b.train:
		return bnTrain
	case b.stats == BatchStats:
		return bnBatch
	}
	return bnRunning
}

// forward applies the layers of blocks [from,to) to x, a (batch, in...) node; to =
// len(Blocks)+1 includes the tail. Shapes are adjusted between 4-D and flat activations.
// A convolution and the max-pool that follows it in the same block become one fused op
// (ops_conv.go); dense layers are denseOps (ops_dense.go); batch-normalised convolutions and
// residual blocks are convBNOps and resBlockOps (ops_bn.go, ops_res.go). xGrad says whether x
// depends on the weights, i.e. whether the first layer must pass a gradient back to its input.
func (n *Net) forward(x *G.Node, ws []*G.Node, from, to int, xGrad bool, b *build) (*G.Node, error) {
	var err error
	batch := x.Shape()[0]
	for i := 0; i < len(n.plan); i++ {
		p := n.plan[i]
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
			pool := i+1 < len(n.plan) && n.plan[i+1].Kind == Pool && n.plan[i+1].block == p.block
			if x, err = G.ApplyOp(newConvOp(x.Shape(), p.Out, p.Kernel, pool, xGrad), x, ws[p.w], ws[p.b]); err != nil {
				return nil, fmt.Errorf("models: conv: %w", err)
			}
			if pool {
				i++
			}
		case Pool: // a pool that does not follow a convolution: gorgonia's own
			if x, err = G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}); err != nil {
				return nil, fmt.Errorf("models: pool: %w", err)
			}
		case Dense:
			if x, err = G.ApplyOp(newDenseOp(batch, prod(p.in), p.Out, p.block >= 0, xGrad), x, ws[p.w], ws[p.b]); err != nil {
				return nil, fmt.Errorf("models: dense: %w", err)
			}
		case ConvBN:
			op := newConvBNOp(x.Shape(), p.Out, p.Kernel, p.stride(), b.bnMode(), xGrad, n.statsData(p.rs[0]), n.statsData(p.rs[1]))
			if x, err = G.ApplyOp(op, x, ws[p.ps[0]], ws[p.ps[1]], ws[p.ps[2]]); err != nil {
				return nil, fmt.Errorf("models: conv-bn: %w", err)
			}
			b.bns = append(b.bns, op.u)
		case Residual:
			var st [4][]float32
			for j := range st {
				st[j] = n.statsData(p.rs[j])
			}
			op := newResBlockOp(x.Shape(), p.Out, p.Kernel, p.stride(), b.bnMode(), xGrad, st)
			in := append(G.Nodes{x}, nodesAt(ws, p.ps)...)
			if x, err = G.ApplyOp(op, in...); err != nil {
				return nil, fmt.Errorf("models: residual block: %w", err)
			}
			b.bns = append(b.bns, op.u1, op.u2)
		case GAP:
			op := &gapOp{n: batch, c: p.in[0], hw: p.in[1] * p.in[2], needDX: xGrad}
			if x, err = G.ApplyOp(op, x); err != nil {
				return nil, fmt.Errorf("models: global average pool: %w", err)
			}
		}
		xGrad = xGrad || p.weighted()
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

// nodesAt returns the nodes at the given indices.
func nodesAt(ws []*G.Node, idx []int) G.Nodes {
	out := make(G.Nodes, len(idx))
	for i, j := range idx {
		out[i] = ws[j]
	}
	return out
}

// statsData is the backing of running-statistics tensor i.
func (n *Net) statsData(i int) []float32 { return n.stats[i].Data().([]float32) }
