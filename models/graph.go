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
	bns   []committer
	drops int // dropout layers built so far: each draws its masks from a stream of its own
}

// committer is a batch norm of a training graph: after each successful step, commit moves
// its running statistics towards the step's batch statistics.
type committer interface{ commit() }

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
// A convolution with ReLU and the 2×2 max-pool of stride 2 that follows it in the same block
// become one fused op (ops_conv.go); dense layers are denseOps (ops_dense.go); batch-normalised
// convolutions and residual blocks are convBNOps and resBlockOps (ops_bn.go, ops_res.go); the
// other layers are the general ops of ops_generic.go. xGrad says whether x depends on the
// weights, i.e. whether the first layer must pass a gradient back to its input.
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
		if x, err = n.layer(x, ws, i, xGrad, b); err != nil {
			return nil, fmt.Errorf("models: %v: %w", p.Kind, err)
		}
		if p.Kind == Conv && n.fusedPool(i) {
			i++
		}
		xGrad = xGrad || p.weighted()
	}
	return x, nil
}

// fusedPool says whether plan entry i, a Conv, takes the max-pool after it into its op: a
// 2×2 pool of stride 2 without padding after a convolution with ReLU, in the same block.
func (n *Net) fusedPool(i int) bool {
	p := n.plan[i]
	if !p.ReLU || i+1 >= len(n.plan) {
		return false
	}
	q := n.plan[i+1]
	return q.Kind == MaxPool && q.Kernel == 2 && q.stride() == 2 && q.Pad == 0 && q.block == p.block && !q.Flat
}

// layer applies plan entry i to x, shaped (batch, in...).
func (n *Net) layer(x *G.Node, ws []*G.Node, i int, xGrad bool, b *build) (*G.Node, error) {
	p := n.plan[i]
	batch := x.Shape()[0]
	switch p.Kind {
	case Conv:
		act := actReLU
		if !p.ReLU {
			act = actNone
		}
		return G.ApplyOp(newConvActOp(x.Shape(), p.Out, p.Kernel, n.fusedPool(i), act, xGrad), x, ws[p.w], ws[p.b])
	case Dense:
		return G.ApplyOp(newDenseOp(batch, prod(p.in), p.Out, p.ReLU, xGrad), x, ws[p.w], ws[p.b])
	case ConvBN:
		op := newConvBNOp(x.Shape(), p.Out, p.Kernel, p.stride(), p.ReLU, b.bnMode(), xGrad, n.statsData(p.rs[0]), n.statsData(p.rs[1]))
		b.bns = append(b.bns, op.u)
		return G.ApplyOp(op, x, ws[p.ps[0]], ws[p.ps[1]], ws[p.ps[2]])
	case Residual:
		if p.Shortcut == ShortcutProjection {
			return n.projectionBlock(x, ws, p, xGrad, b)
		}
		var st [4][]float32
		for j := range st {
			st[j] = n.statsData(p.rs[j])
		}
		op := newResBlockOp(x.Shape(), p.Out, p.Kernel, p.stride(), b.bnMode(), xGrad, st)
		b.bns = append(b.bns, op.u1, op.u2)
		return G.ApplyOp(op, append(G.Nodes{x}, nodesAt(ws, p.ps)...)...)
	case GAP:
		return G.ApplyOp(&gapOp{n: batch, c: p.in[0], hw: p.in[1] * p.in[2], needDX: xGrad}, x)
	case ConvAny:
		op := newGenConvOp(x.Shape(), p.Out, p.Kernel, p.stride(), p.Pad, p.Bias, p.ReLU, xGrad)
		return G.ApplyOp(op, append(G.Nodes{x}, nodesAt(ws, p.ps)...)...)
	case MaxPool, AvgPool:
		return G.ApplyOp(newPoolOp(x.Shape(), p.Kind == MaxPool, p.Kernel, p.stride(), p.Pad, xGrad), x)
	case BatchNorm:
		op := newBNOp(x.Shape(), p.ReLU, b.bnMode(), xGrad, n.statsData(p.rs[0]), n.statsData(p.rs[1]))
		b.bns = append(b.bns, op)
		return G.ApplyOp(op, x, ws[p.ps[0]], ws[p.ps[1]])
	case ReLU:
		return G.ApplyOp(newReLUOp(x.Shape(), xGrad), x)
	case Dropout:
		if !b.train {
			return x, nil // the identity in inference
		}
		b.drops++
		return G.ApplyOp(newDropoutOp(x.Shape(), p.Rate, n.dropSeed, uint64(b.drops), xGrad), x)
	}
	return nil, fmt.Errorf("no op for layer kind %v", p.Kind)
}

// projectionBlock builds a residual block with a projection shortcut (option B of He et al.
// 2016) from batch-normalised convolutions: ReLU(BN₂(conv₂(ReLU(BN₁(conv₁(x))))) + BN₃(conv₃(x)))
// with conv₃ a 1×1 convolution of the block's stride.
func (n *Net) projectionBlock(x *G.Node, ws []*G.Node, p layerPlan, xGrad bool, b *build) (*G.Node, error) {
	mode := b.bnMode()
	unit := func(in *G.Node, j, k, s int, relu, needDX bool) (*G.Node, error) {
		op := newConvBNOp(in.Shape(), p.Out, k, s, relu, mode, needDX, n.statsData(p.rs[2*j]), n.statsData(p.rs[2*j+1]))
		b.bns = append(b.bns, op.u)
		return G.ApplyOp(op, in, ws[p.ps[3*j]], ws[p.ps[3*j+1]], ws[p.ps[3*j+2]])
	}
	h, err := unit(x, 0, p.Kernel, p.stride(), true, xGrad)
	if err != nil {
		return nil, err
	}
	if h, err = unit(h, 1, p.Kernel, 1, false, true); err != nil {
		return nil, err
	}
	sc, err := unit(x, 2, 1, p.stride(), false, xGrad)
	if err != nil {
		return nil, err
	}
	return G.ApplyOp(newAddOp(h.Shape(), true), h, sc)
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
