package attacks

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/mixing"
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
	// Coefficients is the coefficient distribution the attacker assumes: "known" (the edge's
	// own) or a sampler name (mixing.SamplerNames; dirichlet with alpha 1).
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

// Capture is what the cloud observed while serving the victims, and the edge's secrets that
// only the scorers read. Victim i is the i-th test image; groups are consecutive victims
// [g·K, (g+1)·K), and upload j of group g (its j-th mixture, C_g row j) is sent at position
// Pos[g·K + j]. Without shuffling Pos is the identity. Shuffling mixes the uploads of one pool
// (Pool consecutive victims, an evaluation batch) only.
type Capture struct {
	K, N, Pool int
	Shuffled   bool
	// Uploads (N × UploadDim) and Returns (N × ReturnDim) in the order the cloud saw them.
	Uploads, Returns []float32
	// Secrets, for scoring only.
	Images   *datasets.Images // the N victims, with labels
	Features []float32        // N × UploadDim: each victim's unmixed upload h(x)
	Pos      []int            // upload position of victim i's mixture
	C        []*mat.Dense     // per group
}

// inputAt returns, for every upload position, the victim whose mixture row it carries.
func (c *Capture) inputAt() []int {
	inv := make([]int, c.N)
	for i, p := range c.Pos {
		inv[p] = i
	}
	return inv
}

// dominant returns the victim with the largest coefficient in the mixture of victim row i.
func (c *Capture) dominant(i int) int {
	g, r := i/c.K, i%c.K
	return g*c.K + argmax(c.C[g].RawRowView(r))
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
	// Attrs names the binary attributes the images carry in datasets.Images.Attrs (celeba's
	// 40); nil when they have none. The attribute attack may predict any of them.
	Attrs []string
	// Sampler and Guard are the edge's coefficient sampler and conditioning guard; the
	// attacker uses the sampler only when its spec says the distribution is known.
	Sampler mixing.Sampler
	Guard   mixing.Guard
	// RNG draws the attacker's auxiliary images, coefficients and initialisations.
	RNG *rand.Rand
	// Learner trains the attacker's own networks (decoders, shadow models) and inverts heads
	// by optimisation; the decoder and rmle kinds need it and are skipped without one.
	Learner Learner
}

// Result is what an attack reports. Metrics and Notes go into the cell's results row; Recon
// holds reconstructions for the image grid: per grid column (an attack's output), per victim,
// an image of the input's shape in [0,1].
type Result struct {
	Metrics map[string]float64
	Notes   map[string]string
	Recon   []ReconColumn
}

// ReconColumn is one grid column of reconstructions.
type ReconColumn struct {
	Title  string
	Images map[int][]float32
}

// Run runs one attack. An attack that cannot apply to the cell (its kind's Needs: ICA at
// k = 1, group matching without shuffling, an attack that needs the head's weights when the
// spec withholds them) is skipped: its Notes entry says why and it reports no metrics. Errors
// are failures of the data or the numerics, never of applicability.
func Run(s Spec, env *Env) (*Result, error) {
	kind, ok := Lookup(s.Kind)
	if !ok {
		return nil, fmt.Errorf("attacks: unknown kind %q, want one of %s", s.Kind, strings.Join(Kinds(), ", "))
	}
	res := &Result{Metrics: map[string]float64{}, Notes: map[string]string{}}
	a := &attack{Spec: s, env: env, res: res, prefix: s.ColumnPrefix()}
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
	return Cell{Split: env.Net.Split(), K: env.Capture.K, Shuffled: env.Capture.Shuffled}
}
