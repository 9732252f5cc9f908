package attacks

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/floats"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
)

// Spec configures one attack; the experiment config's attacks: entries map onto it.
type Spec struct {
	Kind string
	// Name prefixes the attack's metric columns; "" means DefaultName(Kind).
	Name string
	// Victims is the number of test images attacked; Aux the number of auxiliary images the
	// attacker draws from the training split to train its decoder or classifier.
	Victims, Aux int
	// HeadWeights says whether the attacker knows the edge head's weights, which it needs to
	// turn auxiliary images into uploads at split > 0 (the strongest setting of the threat model).
	HeadWeights bool
	// Coefficients is the coefficient distribution the attacker assumes: CoefficientsKnown
	// (the edge's distribution; under fixed coefficients, whose one matrix is the secret,
	// Dirichlet(1) rows), CoefficientsOracle (the edge's own sampler: under fixed coefficients
	// the secret C itself, an upper bound) or a sampler name (mixing.SamplerNames; dirichlet
	// with alpha 1). "" means CoefficientsKnown.
	Coefficients string
	// Grouping is GroupingAuto or GroupingOracle (ica only).
	Grouping string
	// Affinity is the group-matching affinity (group_matching, and ica under auto grouping).
	Affinity string
	// Attributes lists the attributes to infer (attribute only).
	Attributes []string
	// Epochs is the number of training epochs of the attacker's decoder (decoder, and rmle
	// with Init "decoder"); 0 means DefaultEpochs.
	Epochs int
	// Iterations is the number of optimisation steps of rmle; 0 means DefaultIterations.
	Iterations int
	// Init is where rmle starts: InitGrey (the default, "" too) or InitDecoder.
	Init string
	// ShadowEpochs is the number of epochs the shadow head and tail are trained through the
	// frozen body when the head's weights are withheld at split > 0 (decoder, rmle); 0 means
	// DefaultShadowEpochs.
	ShadowEpochs int
}

// The coefficient settings of a Spec besides a sampler name.
const (
	// CoefficientsKnown is the edge's coefficient distribution, public like the protocol.
	CoefficientsKnown = "known"
	// CoefficientsOracle is the edge's own sampler, which under fixed coefficients is the
	// secret matrix C: an oracle setting.
	CoefficientsOracle = "oracle"
)

// The parts of the truth an oracle setting hands the attacker (Spec.Oracles).
const (
	OracleGrouping     = "grouping"     // the true groups: Truth.Pos (Grouping oracle)
	OracleCoefficients = "coefficients" // the edge's own sampler: under fixed coefficients, C
)

// Oracles lists the parts of the truth spec s hands the attacker: OracleGrouping under
// Grouping oracle, OracleCoefficients under Coefficients oracle. An attack sees no other secret
// while it estimates.
func (s Spec) Oracles() []string {
	var o []string
	if s.Grouping == GroupingOracle {
		o = append(o, OracleGrouping)
	}
	if s.Coefficients == CoefficientsOracle {
		o = append(o, OracleCoefficients)
	}
	return o
}

// ColumnPrefix is the prefix of the spec's metric columns.
func (s Spec) ColumnPrefix() string {
	if s.Name != "" {
		return s.Name
	}
	return DefaultName(s.Kind)
}

// Network is the split network as the attacker can run it. Body is the cloud's own part;
// Head is available only when the attacker knows the head's weights (at split 0 the head is
// the identity and always known).
type Network interface {
	// Split is the number of blocks on the edge.
	Split() int
	// InputShape is the per-image shape (channels, height, width).
	InputShape() (c, h, w int)
	// UploadShape is the per-sample upload shape: (C,H,W) or (D).
	UploadShape() []int
	// ReturnDim is the number of values the cloud returns per upload.
	ReturnDim() int
	// Head maps n images (n × C·H·W) to their unmixed uploads (n × UploadDim).
	Head(x []float32, n int) ([]float32, error)
	// Body maps n uploads to the values the cloud returns (n × ReturnDim).
	Body(m []float32, n int) ([]float32, error)
}

// UploadDim is the number of values in one upload.
func UploadDim(n Network) int {
	d := 1
	for _, v := range n.UploadShape() {
		d *= v
	}
	return d
}

// Capture is the pipeline's record of serving the victims (datamix.Record): what the cloud
// observed, and the edge's secrets (the truth) that only the scorers read.
type Capture struct {
	datamix.Observed
	Truth
}

// Truth is the edge's side of a capture, which the cloud never sees: the victims, and the
// secrets of serving them (datamix.Secrets: their unmixed head outputs, the upload position of
// each victim's mixture, each group's C). The scorers compare an attack's estimate with it,
// and an attack is given a part of it only through an oracle setting that names that part
// (Spec.Grouping oracle: Pos). Victim i is the i-th test image; groups are consecutive
// victims [g·K, (g+1)·K).
type Truth struct {
	Images *datasets.Images // the N victims, with labels
	datamix.Secrets
}

// inputAt returns, for every upload position, the victim whose mixture row it carries.
func (t *Truth) inputAt() []int {
	inv := make([]int, len(t.Pos))
	for i, p := range t.Pos {
		inv[p] = i
	}
	return inv
}

// dominant returns the victim with the largest coefficient in the mixture of victim row i
// (groups of k).
func (t *Truth) dominant(i, k int) int {
	g, r := i/k, i%k
	return g*k + floats.MaxIdx(t.C[g].RawRowView(r))
}

// Env is everything one attack run is given.
type Env struct {
	Net     Network
	Capture *Capture
	// Pool is where the attacker draws its auxiliary images from: the training split, which
	// never holds the victims.
	Pool *datasets.Images
	// Classes is the number of labels.
	Classes int
	// Attrs names the attributes the images carry in datasets.Images.Attrs (celeba's 40
	// binary ones; a speech corpus's gender and speaker); nil when they have none. The
	// attribute attack may predict any of them.
	Attrs []string
	// AttrClasses holds the number of values of each of Attrs (datasets.Dataset.AttrClasses);
	// nil means every one is binary.
	AttrClasses []int
	// Scheme is the edge's scheme, public like the rest of the protocol: the group size,
	// shuffling, the coefficient distribution and guard, and the defences with their
	// strengths. The attacker knows the mechanisms, never their random draws: its simulated
	// uploads get the same defences, at the same stages, with draws of its own. It draws from
	// the edge's sampler only as Spec.Coefficients allows: under fixed coefficients the
	// sampler is the secret C, which only CoefficientsOracle hands over.
	Scheme datamix.Scheme
	// RNG draws the attacker's auxiliary images, coefficients and initialisations.
	RNG *rand.Rand
	// Learner trains the attacker's own networks (decoders, shadow models) and inverts heads
	// by optimisation; the decoder and rmle kinds need it and are skipped without one.
	Learner Learner
}

// Result is what an attack reports. Estimate is what the attack concluded from what the cloud
// observed, before anything was compared with the truth: its reconstructions, predictions or
// groups, of a type of the kind's own (Reconstructions, Predictions, Grouping, Separation,
// DecoderEstimate);
// nil for a skipped attack. Metrics and Notes go into the cell's results row; Recon holds
// reconstructions for the image grid: per grid column (an attack's output), per victim, an
// image of the input's shape in [0,1].
type Result struct {
	Estimate any
	Metrics  map[string]float64
	Notes    map[string]string
	Recon    []ReconColumn
}

// ReconColumn is one grid column of reconstructions.
type ReconColumn struct {
	Title  string
	Images map[int][]float32
}

// Run runs one attack in two phases. The attack first estimates from what the cloud observed
// (Capture.Observed, the auxiliary pool, the network as the spec allows, and the parts of the
// truth an oracle setting names), then hands its estimate over and only then reads the truth to
// score it: an attack cannot see a secret it is not given while it estimates. An attack that
// cannot apply to the cell (its kind's Needs: ICA at k = 1, group matching without shuffling, an
// attack that needs the head's weights when the spec withholds them) is skipped: its Notes entry
// says why and it reports no metrics. Errors are failures of the data or the numerics, never of
// applicability.
func Run(s Spec, env *Env) (*Result, error) {
	kind, ok := Lookup(s.Kind)
	if !ok {
		return nil, fmt.Errorf("attacks: unknown kind %q, want one of %s", s.Kind, strings.Join(Kinds(), ", "))
	}
	res := &Result{Metrics: map[string]float64{}, Notes: map[string]string{}}
	a := newAttack(s, env, res)
	if ok, why := s.Applies(env.cell()); !ok {
		return res, a.skip("%s", why)
	}
	if err := kind.run(a); err != nil {
		return nil, fmt.Errorf("attacks: %s: %w", a.prefix, err)
	}
	return res, nil
}

// cell is the cell env's capture comes from.
func (env *Env) cell() Cell {
	return Cell{Split: env.Net.Split(), K: env.Scheme.K, Shuffled: env.Scheme.Shuffle}
}
