package models

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Batch normalisation (Ioffe & Szegedy, "Batch Normalization", ICML 2015) in the layers
// ConvBN and Residual. Each batch norm has a trainable scale γ and shift β per channel (in
// Net.params) and running estimates of the mean and variance of its input per channel (in
// Net.stats: not trained, saved in checkpoints).
//
//   - Training (Trainer): every batch is normalised with its own statistics — the mean and
//     biased variance over the batch's samples and pixels — and, after each successful step, the
//     running estimates move towards them: r ← (1−m)·r + m·batch, with momentum m = 0.1 and
//     the unbiased variance, PyTorch's BatchNorm2d convention. A step whose loss is not finite
//     leaves them as they were, like the weights.
//   - Inference (Inferer, and so datamix.Pipeline): the running estimates (RunningStats, the
//     default; each input's output then depends on that input alone), or, for comparison,
//     each batch's own statistics (BatchStats, via Net.WithBNStats).
//
// Under DataMix the layers in the cloud body see mixed features: in training each batch norm
// of the body normalises with the statistics of the step's batch of mixtures (per-mixed-batch
// statistics) and its running estimates are those of mixtures; in inference it uses those
// running estimates on the uploads, which are mixtures drawn the same way. The layers of the
// head see the private inputs alone in both. docs/design.md has the measured consequence.

// BN hyper-parameters: PyTorch's BatchNorm2d defaults.
const (
	bnEps      = 1e-5 // added to the variance before the square root
	bnMomentum = 0.1  // weight of the batch's statistics in the running estimates
)

// BNStats says which statistics the batch norms of an inference graph normalise with.
type BNStats int

const (
	// RunningStats normalises with the running estimates collected in training (the usual
	// evaluation mode; each output depends on its own input only).
	RunningStats BNStats = iota
	// BatchStats normalises every batch with its own statistics, recomputed over the batch the
	// graph runs on (the body's: the batch of uploads), as in training; nothing is recorded.
	BatchStats
)

func (s BNStats) String() string {
	if s == BatchStats {
		return "batch"
	}
	return "running"
}

// HasBN says whether the net has batch norms.
func (n *Net) HasBN() bool { return len(n.stats) > 0 }

// BNStats is the statistics the net's inference graphs normalise with.
func (n *Net) BNStats() BNStats { return n.bnStats }

// WithBNStats returns a Net that shares n's weights and running statistics but whose
// inference graphs (NewInferer, and so datamix.Pipeline) normalise with s. Training is not
// affected: it always normalises with batch statistics.
func (n *Net) WithBNStats(s BNStats) *Net {
	m := *n
	m.bnStats = s
	return &m
}

// allocBN adds the weights and running statistics of plan entry i (ConvBN, Residual or
// BatchNorm): per convolution, its weight (O,C,k,k) without bias, then its batch norm's γ and β
// (O values each) and running mean and variance; a BatchNorm has the batch norm alone, over
// its input's channels (or features, when flat).
func (n *Net) allocBN(i int) {
	p := &n.plan[i]
	add := func(list *[]*tensor.Dense, listNames *[]string, name string, shape ...int) int {
		*list = append(*list, tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, prod(shape)))))
		*listNames = append(*listNames, fmt.Sprintf("l%d.%s", i, name))
		return len(*list) - 1
	}
	bn := func(suffix string, c int) {
		p.ps = append(p.ps,
			add(&n.params, &n.names, "bn"+suffix+".gamma", c),
			add(&n.params, &n.names, "bn"+suffix+".beta", c))
		p.rs = append(p.rs,
			add(&n.stats, &n.statsNames, "bn"+suffix+".mean", c),
			add(&n.stats, &n.statsNames, "bn"+suffix+".var", c))
	}
	if p.Kind == BatchNorm {
		bn("", p.in[0])
		return
	}
	k := p.Kernel
	if k == 0 {
		k = 3
	}
	type conv struct {
		in, out, k int
		name       string
	}
	convs := []conv{{p.in[0], p.Out, k, ""}}
	if p.Kind == Residual {
		convs = []conv{{p.in[0], p.Out, k, "1"}, {p.Out, p.Out, k, "2"}}
		if p.Shortcut == ShortcutProjection {
			convs = append(convs, conv{p.in[0], p.Out, 1, "3"})
		}
	}
	for _, c := range convs {
		p.ps = append(p.ps, add(&n.params, &n.names, "conv"+c.name+".w", c.out, c.in, c.k, c.k))
		bn(c.name, c.out)
	}
}

// initBN initialises a ConvBN, Residual or BatchNorm layer: He-normal convolution weights (std
// √(2/(C·k²)), as PyTorch's kaiming_normal_ in the reference ResNets), γ = 1, β = 0, running
// mean 0 and variance 1.
func (n *Net) initBN(p layerPlan, rng *rand.Rand) {
	if p.Kind == BatchNorm {
		for i, g := 0, n.params[p.ps[0]].Data().([]float32); i < len(g); i++ {
			g[i] = 1
		}
		for i, v := 0, n.stats[p.rs[1]].Data().([]float32); i < len(v); i++ {
			v[i] = 1
		}
		return
	}
	for j := 0; j < len(p.ps); j += 3 {
		w := n.params[p.ps[j]]
		s := w.Shape()
		std := math.Sqrt(2 / float64(s[1]*s[2]*s[3]))
		for i, d := 0, w.Data().([]float32); i < len(d); i++ {
			d[i] = float32(rng.NormFloat64() * std)
		}
		for i, g := 0, n.params[p.ps[j+1]].Data().([]float32); i < len(g); i++ {
			g[i] = 1
		}
	}
	for j := 1; j < len(p.rs); j += 2 {
		for i, v := 0, n.stats[p.rs[j]].Data().([]float32); i < len(v); i++ {
			v[i] = 1
		}
	}
}
