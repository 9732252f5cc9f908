package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// layerPlan is one layer of a built network with its input and output shapes per sample.
type layerPlan struct {
	Layer
	block      int   // index of the block, or -1 for the edge tail
	classifier bool  // the last layer: a Dense with one unit per class
	in         []int // (C,H,W) for 4-D activations, (D) for flat ones
	out        []int
	w, b       int // Conv, Dense: indices of the weight and bias in Net.params, -1 if none
	// The other layers with weights: indices in Net.params of their tensors, and in Net.stats
	// of their batch norms' running means and variances. ConvBN: w, γ, β; Residual: w1, γ1, β1,
	// w2, γ2, β2 (and w3, γ3, β3 of a projection shortcut); BatchNorm: γ, β; ConvAny: w (and
	// its bias).
	ps, rs []int
}

// weighted says whether the layer has trainable weights.
func (p layerPlan) weighted() bool { return p.w >= 0 || len(p.ps) > 0 }

// Net is a CNN of a known architecture with its weights, cut at a split point into an edge head
// (blocks [0,Split)), a cloud body (blocks [Split,len(Blocks))) and an edge tail (the classifier).
// The weights live in float32 tensors that the graphs built from the Net share; a Net must not
// be used by two graphs that run at the same time (gorgonia issue 549).
type Net struct {
	Arch    Arch
	Classes int
	Split   int

	plan   []layerPlan
	params []*tensor.Dense
	names  []string
	// stats are the batch norms' running means and variances (statsNames name them): state
	// that training updates and inference reads, saved in checkpoints, not trained.
	stats      []*tensor.Dense
	statsNames []string
	bnStats    BNStats // which statistics inference graphs normalise with (WithBNStats)
	dropSeed   uint64  // seeds the dropout masks of training graphs (nets with dropout only)
}

// New builds a network of architecture arch with one output per class, cut at split, and
// initialises its weights from rng: He-normal (He et al. 2015, std √(2/fan_in)) for every
// convolution and hidden dense layer, LeCun-normal (std √(1/fan_in)) for the classifier, zero
// biases; batch norms start as the identity (γ = 1, β = 0, running mean 0 and variance 1, as
// in PyTorch). A net with dropout then draws the seed of its masks from rng. gorgonia's own
// initialisers seed from the clock, so they are not used.
func New(arch Arch, classes, split int, rng *rand.Rand) (*Net, error) {
	n, err := alloc(arch, classes, split)
	if err != nil {
		return nil, err
	}
	dropout := false
	for _, p := range n.plan {
		dropout = dropout || p.Kind == Dropout
		if len(p.ps) > 0 && p.Kind != ConvAny {
			n.initBN(p, rng)
			continue
		}
		w := p.w
		if p.Kind == ConvAny {
			w = p.ps[0]
		}
		if w < 0 {
			continue
		}
		fanIn := prod(p.in)
		if p.Kind == Conv || p.Kind == ConvAny {
			fanIn = p.in[0] * p.Kernel * p.Kernel
		}
		std := math.Sqrt(2 / float64(fanIn))
		if p.classifier {
			std = math.Sqrt(1 / float64(fanIn))
		}
		for j, w := 0, n.params[w].Data().([]float32); j < len(w); j++ {
			w[j] = float32(rng.NormFloat64() * std)
		}
	}
	if dropout {
		n.dropSeed = rng.Uint64()
	}
	return n, nil
}

// alloc builds the layer plan and zero weights of a network.
func alloc(arch Arch, classes, split int) (*Net, error) {
	if classes < 2 {
		return nil, fmt.Errorf("models: %d classes, need ≥ 2", classes)
	}
	if split < 0 || split > arch.MaxSplit() {
		return nil, fmt.Errorf("models: split %d beyond %s, which allows 0..%d", split, arch.Name, arch.MaxSplit())
	}
	if cl := arch.Tail[len(arch.Tail)-1]; cl.Out != 0 && cl.Out != classes {
		return nil, fmt.Errorf("models: %s's classifier has %d units, but the data has %d classes", arch.Name, cl.Out, classes)
	}
	n := &Net{Arch: arch, Classes: classes, Split: split}
	n.plan = planLayers(arch, classes)
	if cl := n.plan[len(n.plan)-1]; int64(prod(cl.in))*int64(classes) > maxParams {
		return nil, fmt.Errorf("models: %s's classifier would have %d×%d weights, more than %d", arch.Name, prod(cl.in), classes, maxParams)
	}
	add := func(name string, shape ...int) int {
		n.params = append(n.params, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, prod(shape)))))
		n.names = append(n.names, name)
		return len(n.params) - 1
	}
	for i := range n.plan {
		p := &n.plan[i]
		p.w, p.b = -1, -1
		switch p.Kind {
		case Conv:
			p.w = add(fmt.Sprintf("l%d.w", i), p.Out, p.in[0], p.Kernel, p.Kernel)
			p.b = add(fmt.Sprintf("l%d.b", i), 1, p.Out, 1, 1)
		case Dense:
			p.w = add(fmt.Sprintf("l%d.w", i), prod(p.in), p.Out)
			p.b = add(fmt.Sprintf("l%d.b", i), 1, p.Out)
		case ConvAny:
			p.ps = append(p.ps, add(fmt.Sprintf("l%d.w", i), p.Out, p.in[0], p.Kernel, p.Kernel))
			if p.Bias {
				p.ps = append(p.ps, add(fmt.Sprintf("l%d.b", i), p.Out))
			}
		case ConvBN, Residual, BatchNorm:
			n.allocBN(i)
		}
	}
	return n, nil
}

// planLayers walks the architecture and records every layer's shapes.
func planLayers(a Arch, classes int) []layerPlan {
	var plan []layerPlan
	shape := []int{a.C, a.H, a.W}
	add := func(l Layer, block int) {
		in := shape
		if l.Flat {
			in = []int{prod(shape)}
		}
		var out []int
		switch l.Kind {
		case Conv:
			out = []int{l.Out, in[1], in[2]}
		case MaxPool, AvgPool, ConvAny:
			s := l.stride()
			out = []int{in[0], (in[1]+2*l.Pad-l.Kernel)/s + 1, (in[2]+2*l.Pad-l.Kernel)/s + 1}
			if l.Kind == ConvAny {
				out[0] = l.Out
			}
		case Dense:
			out = []int{l.Out}
		case ConvBN, Residual:
			s := l.stride()
			out = []int{l.Out, (in[1]-1)/s + 1, (in[2]-1)/s + 1}
		case GAP:
			out = []int{in[0]}
		case BatchNorm, ReLU, Dropout:
			out = in
		}
		plan = append(plan, layerPlan{Layer: l, block: block, in: in, out: out})
		shape = out
	}
	for b, blk := range a.Blocks {
		for _, l := range blk {
			add(l, b)
		}
	}
	for i, l := range a.Tail {
		if i == len(a.Tail)-1 {
			l.Out = classes
		}
		add(l, -1)
	}
	plan[len(plan)-1].classifier = true
	return plan
}

// blockIn returns the per-sample input shape of block b; b = len(Blocks) is the edge tail.
func (n *Net) blockIn(b int) []int {
	for _, p := range n.plan {
		if p.block == b || (b == len(n.Arch.Blocks) && p.block < 0) {
			return p.in
		}
	}
	panic(fmt.Sprintf("models: no block %d", b))
}

// InputDim is the number of values in one input sample (C·H·W).
func (n *Net) InputDim() int { return n.Arch.C * n.Arch.H * n.Arch.W }

// UploadDim is the number of values the edge uploads per sample: the head's output
// (the raw input at split 0).
func (n *Net) UploadDim() int { return prod(n.blockIn(n.Split)) }

// DownloadDim is the number of values the cloud returns per sample: the body's output.
func (n *Net) DownloadDim() int { return prod(n.blockIn(len(n.Arch.Blocks))) }

// UploadShape is the per-sample shape of an upload: (C,H,W) or (D).
func (n *Net) UploadShape() []int { return append([]int(nil), n.blockIn(n.Split)...) }

// NumParams is the number of trainable scalars (batch norms' running statistics are not
// trained and not counted).
func (n *Net) NumParams() int {
	s := 0
	for _, p := range n.params {
		s += p.Shape().TotalSize()
	}
	return s
}

// WithSplit returns a Net of the same architecture and classes that shares n's weights but is
// cut at another split point. Useful to evaluate one trained network at every split.
func (n *Net) WithSplit(split int) (*Net, error) {
	if split < 0 || split > n.Arch.MaxSplit() {
		return nil, fmt.Errorf("models: split %d beyond %s, which allows 0..%d", split, n.Arch.Name, n.Arch.MaxSplit())
	}
	m := *n
	m.Split = split
	return &m, nil
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}
