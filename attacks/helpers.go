package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/defence"
	"github.com/datamix/harness/mixing"
)

// attack is one attack run in progress: the spec, what it is given, and the result it writes.
// Its methods are the helpers every kind shares: auxiliary images and uploads, the victims
// scored, and the bookkeeping of metrics and notes.
//
// A kind estimates from obs (what the cloud observed) and env (the network, the auxiliary
// pool, the attacker's generator; env.Capture is nil), then hands its estimate to reveal, which
// returns the truth to score it with. The truth is reachable no other way.
type attack struct {
	Spec
	env     *Env
	obs     *datamix.Observed
	k       int // the group size
	res     *Result
	prefix  string   // the column prefix, Spec.ColumnPrefix
	setting []string // the items of the setting note, in order

	truth    *Truth // the capture's secrets: handed out once, by reveal
	revealed bool
	edge     mixing.Sampler // the edge's sampler, which under fixed coefficients is the secret C
	// oraclePos is the upload position of each victim's mixture when the spec's grouping is
	// the oracle (the true groups); nil otherwise.
	oraclePos []int
}

// newAttack prepares the run of spec s on env, writing into res: the attack sees env without
// its capture, the capture's observations, and the truth only as its oracle settings name it.
func newAttack(s Spec, env *Env, res *Result) *attack {
	view := *env
	view.Capture = nil
	view.Scheme.Sampler = nil // reached through assumed, which applies Spec.Coefficients
	a := &attack{Spec: s, env: &view, obs: &env.Capture.Observed, k: env.Scheme.K, res: res, prefix: s.ColumnPrefix(),
		truth: &env.Capture.Truth, edge: env.Scheme.Sampler}
	if slices.Contains(s.Oracles(), OracleGrouping) {
		a.oraclePos = env.Capture.Pos
	}
	return a
}

// reveal records est as the attack's estimate (Result.Estimate) and returns the truth to score
// it with. A kind calls it once, after it has estimated everything it reports.
func (a *attack) reveal(est any) *Truth {
	if a.revealed {
		panic("attacks: " + a.prefix + ": the truth is revealed once")
	}
	a.revealed = true
	a.res.Estimate = est
	return a.truth
}

// defenceNote is the item of the setting note of an attack that simulated uploads under the
// edge's defences.
func defenceNote(defs defence.Stack) string {
	return "edge defences known and simulated on the auxiliary uploads: " + defs.Label()
}

// metric records metric name (without the prefix) as column <prefix>_<name>.
func (a *attack) metric(name string, v float64) { a.res.Metrics[a.prefix+"_"+name] = v }

// skip records why the attack does not apply, as the note "skipped: <why>". Run skips for an
// unmet Need; a kind skips itself only for what depends on the data.
func (a *attack) skip(format string, args ...any) error {
	a.res.Notes[a.prefix] = "skipped: " + fmt.Sprintf(format, args...)
	return nil
}

// note adds one item of the attack's setting; done writes them into Notes.
func (a *attack) note(format string, args ...any) {
	a.setting = append(a.setting, fmt.Sprintf(format, args...))
}

// done writes the setting note, "setting: " and the noted items joined by "; ".
func (a *attack) done() {
	a.res.Notes[a.prefix] = "setting: " + strings.Join(a.setting, "; ")
}

// assumed returns the scheme the attacker believes the edge serves with — the edge's own,
// public scheme (group size, guard, shuffling, defences) with the coefficient distribution the
// attacker assumes — and a description of that distribution. "known" (or "") is the edge's
// distribution, public like the rest of the protocol; under fixed coefficients the
// distribution is one secret matrix, so the attacker knows only that C is fixed and assumes
// Dirichlet(1) rows. "oracle" is the edge's own sampler even then: the secret C itself. A
// sampler name is an assumed distribution (dirichlet with alpha 1).
func (a *attack) assumed() (datamix.Scheme, string, error) {
	s, desc, err := a.assumedSampler()
	if err != nil {
		return datamix.Scheme{}, "", err
	}
	scheme := a.env.Scheme
	scheme.Scheme = scheme.WithSampler(s)
	return scheme, desc, nil
}

// assumedSampler is the coefficient sampler of assumed, and its description.
func (a *attack) assumedSampler() (mixing.Sampler, string, error) {
	switch {
	case a.Coefficients == CoefficientsOracle:
		if a.edge.Name() == "fixed" {
			return a.edge, "fixed (oracle: the edge's secret matrix)", nil
		}
		return a.edge, a.edge.Name() + " (oracle: the edge's own sampler)", nil
	case (a.Coefficients == "" || a.Coefficients == CoefficientsKnown) && a.edge.Name() != "fixed":
		return a.edge, a.edge.Name() + " (known)", nil
	case a.Coefficients == "" || a.Coefficients == CoefficientsKnown:
		s, err := mixing.NewSampler("dirichlet", 1, nil)
		return s, "dirichlet alpha 1 (assumed: the edge's fixed matrix is its secret)", err
	}
	s, err := mixing.NewSampler(a.Coefficients, 1, nil)
	if err != nil {
		return nil, "", err
	}
	desc := a.Coefficients + " (assumed"
	if a.Coefficients == "dirichlet" {
		desc = "dirichlet alpha 1 (assumed"
	}
	return s, desc + "; the edge uses " + a.edge.Name() + ")", nil
}

// headNote notes what the attack knows of the head.
func (a *attack) headNote() {
	switch {
	case a.env.Net.Split() == 0:
		a.note("head weights not needed (split 0: uploads are mixed pixels)")
	case a.HeadWeights:
		a.note("head weights known")
	default:
		a.note("head weights unknown")
	}
}

// victims returns the number of victims the attack scores: Spec.Victims rounded down to
// whole pools, at least one pool, at most the capture.
func (a *attack) victims() int {
	c := a.obs
	n := min(a.Victims, c.N)
	n -= n % c.Pool
	return max(n, min(c.Pool, c.N))
}

// auxImages draws the attacker's auxiliary images from the pool.
func (a *attack) auxImages() (*datasets.Images, error) {
	p := a.env.Pool
	n := a.Aux
	if n > p.N {
		return nil, fmt.Errorf("%d auxiliary images requested, the training split holds %d", n, p.N)
	}
	idx := a.env.RNG.Perm(p.N)[:n]
	slices.Sort(idx)
	return p.Subset(idx), nil
}

// auxUploads draws the attack's auxiliary images and turns them into uploads as the edge
// would (simulate), with coefficients from the distribution the attacker assumes, which desc
// names.
func (a *attack) auxUploads() (aux *datasets.Images, up []float32, dom []int, desc string, err error) {
	s, desc, err := a.assumed()
	if err != nil {
		return nil, nil, nil, "", err
	}
	if aux, err = a.auxImages(); err != nil {
		return nil, nil, nil, "", err
	}
	up, dom, _, err = a.simulate(aux, s)
	return aux, up, dom, desc, err
}

// simulate turns auxiliary images into what the attacker believes uploads look like under
// the scheme s it assumes (assumed): head features, the scheme's before-mix defences, mixed in
// groups of k with coefficients drawn as s draws them, the scheme's after-mix defences. It
// returns the uploads (n × UploadDim, group order, n rounded down to whole groups), the index
// of each upload's dominant member (largest coefficient) and the features (before any
// defence).
func (a *attack) simulate(aux *datasets.Images, s datamix.Scheme) (up []float32, dom []int, feat []float32, err error) {
	return a.simulateWith(a.env.Net.Head, aux, s)
}

// simulateWith is simulate through the given head: the edge's, or a shadow of it.
func (a *attack) simulateWith(head func(x []float32, n int) ([]float32, error), aux *datasets.Images, s datamix.Scheme) (up []float32, dom []int, feat []float32, err error) {
	k := a.k
	n := aux.N - aux.N%k
	if n == 0 {
		return nil, nil, nil, fmt.Errorf("%d auxiliary images, fewer than one group of %d", aux.N, k)
	}
	feat, err = head(aux.X[:n*aux.Dim()], n)
	if err != nil {
		return nil, nil, nil, err
	}
	d := len(feat) / n
	cs, _, err := s.Draw(a.env.RNG, n)
	if err != nil {
		return nil, nil, nil, err
	}
	up = make([]float32, n*d)
	defs := s.Defences
	if len(defs) > 0 && !slices.Contains(a.setting, defenceNote(defs)) {
		a.note("%s", defenceNote(defs))
	}
	var draws []float32
	src := feat
	if defs.Has(defence.BeforeMix) {
		src = slices.Clone(feat)
		defs.Apply(defence.BeforeMix, src, d, a.env.RNG, &draws)
	}
	mixing.MixBatch(up, cs, src, d)
	defs.Apply(defence.AfterMix, up, d, a.env.RNG, &draws)
	dom = make([]int, n)
	for g, c := range cs {
		for r := range k {
			dom[g*k+r] = g*k + floats.MaxIdx(c.RawRowView(r))
		}
	}
	return up, dom, feat, nil
}

// maxPSNR caps the PSNR of a perfect reconstruction so that means stay finite: 100 dB is a
// mean squared error of 1e-10 at range 1, below float32 round-off of [0,1] pixels (6e-8 per
// value, 3.6e-15 squared), so any capped value means "exact up to storage".
const maxPSNR = 100

func capPSNR(p float64) float64 { return math.Min(p, maxPSNR) }

// clipImage converts to float32 and clips to the pixel range [0,1].
func clipImage(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(min(max(x, 0), 1))
	}
	return out
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// convexRows reports whether sampler s draws non-negative rows summing to 1 at group size k,
// judged on 20 draws: the prior algo.StrongUnmix needs.
func convexRows(s mixing.Sampler, k int, rng *rand.Rand) bool {
	for range 20 {
		c := s.Sample(rng, k)
		for i := range k {
			var sum float64
			for _, v := range c.RawRowView(i) {
				if v < 0 {
					return false
				}
				sum += v
			}
			if math.Abs(sum-1) > 1e-9 {
				return false
			}
		}
	}
	return true
}

// dense32 converts n rows of d float32 values into a matrix.
func dense32(v []float32, n, d int) *mat.Dense {
	if len(v) != n*d {
		panic(fmt.Sprintf("attacks: %d values as %d×%d", len(v), n, d))
	}
	data := make([]float64, n*d)
	for i, x := range v {
		data[i] = float64(x)
	}
	return mat.NewDense(n, d, data)
}
