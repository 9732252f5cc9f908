package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/attacks/algo"
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
	k       int       // the group size
	src     []float32 // the uploads as the attack separates and inverts them: obs.Uploads, or cleaned (clean)
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
	a := &attack{Spec: s, env: &view, obs: &env.Capture.Observed, k: env.Scheme.K, src: env.Capture.Uploads, res: res,
		prefix: s.ColumnPrefix(), truth: &env.Capture.Truth, edge: env.Scheme.Sampler}
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

// auxSet is an attack's auxiliary images turned into uploads under the scheme it assumes.
type auxSet struct {
	images *datasets.Images
	up     []float32 // n × UploadDim, as the attacker reads them (canon)
	dom    []int     // per upload, the index in images of its dominant member
	scheme datamix.Scheme
	desc   string // the assumed coefficient distribution
}

// auxUploads draws the attack's auxiliary images and turns them into uploads as the edge
// would (simulate) under the scheme the attacker assumes (assumed). The uploads are as the
// attacker reads them (canon): brought to a canonical sign and scale when the assumed
// coefficients are signed.
func (a *attack) auxUploads() (*auxSet, error) {
	s, desc, err := a.assumed()
	if err != nil {
		return nil, err
	}
	aux, err := a.auxImages()
	if err != nil {
		return nil, err
	}
	sim, err := a.simulate(aux, s)
	if err != nil {
		return nil, err
	}
	return &auxSet{images: aux, up: a.canon(s, sim.up), dom: sim.dom, scheme: s, desc: desc}, nil
}

// simulation is what the attacker believes uploads look like under the scheme it assumes.
type simulation struct {
	up    []float32 // n × UploadDim: the uploads the cloud would receive, in group order
	clean []float32 // the same mixtures before the defences (up itself without defences)
	dom   []int     // per upload, its dominant member (largest coefficient)
	feat  []float32 // n × UploadDim: the members' head features, before any defence
}

// simulate turns auxiliary images into what the attacker believes uploads look like under
// the scheme s it assumes (assumed): head features, the scheme's before-mix defences, mixed in
// groups of k with coefficients drawn as s draws them, the scheme's after-mix defences; n, the
// number of images, is rounded down to whole groups.
func (a *attack) simulate(aux *datasets.Images, s datamix.Scheme) (simulation, error) {
	return a.simulateWith(a.env.Net.Head, aux, s)
}

// simulateWith is simulate through the given head: the edge's, or a shadow of it.
func (a *attack) simulateWith(head func(x []float32, n int) ([]float32, error), aux *datasets.Images, s datamix.Scheme) (simulation, error) {
	k := a.k
	n := aux.N - aux.N%k
	if n == 0 {
		return simulation{}, fmt.Errorf("%d auxiliary images, fewer than one group of %d", aux.N, k)
	}
	feat, err := head(aux.X[:n*aux.Dim()], n)
	if err != nil {
		return simulation{}, err
	}
	d := len(feat) / n
	cs, _, err := s.Draw(a.env.RNG, n)
	if err != nil {
		return simulation{}, err
	}
	sim := simulation{up: make([]float32, n*d), feat: feat, dom: make([]int, n)}
	defs := s.Defences
	if len(defs) > 0 && !slices.Contains(a.setting, defenceNote(defs)) {
		a.note("%s", defenceNote(defs))
	}
	if altersUploads(defs) {
		sim.clean = make([]float32, n*d)
		mixing.MixBatch(sim.clean, cs, feat, d)
	}
	var draws []float32
	src := feat
	if defs.Has(defence.BeforeMix) {
		src = slices.Clone(feat)
		defs.Apply(defence.BeforeMix, src, d, a.env.RNG, &draws)
	}
	mixing.MixBatch(sim.up, cs, src, d)
	defs.Apply(defence.AfterMix, sim.up, d, a.env.RNG, &draws)
	if sim.clean == nil {
		sim.clean = sim.up
	}
	for g, c := range cs {
		for r := range k {
			sim.dom[g*k+r] = g*k + floats.MaxIdx(c.RawRowView(r))
		}
	}
	return sim, nil
}

// altersUploads reports whether defences change what the cloud receives at inference (noise,
// offsets, masks, quantisation), as opposed to none or a training-only penalty (NoPeek).
func altersUploads(defs defence.Stack) bool {
	return defs.Has(defence.BeforeMix) || defs.Has(defence.AfterMix)
}

// maxCleanDim bounds the uploads clean learns a map of: a d × d ridge map in float64 takes 8·d²
// bytes, 80 MB at mnist-cnn's 3,136 values after the first block, 1.3 GB at mnist-resnet8's
// 12,544.
const maxCleanDim = 4096

// clean makes the attack separate and invert cleaned uploads (a.src) when the scheme s it
// assumes has defences that alter what the cloud receives (noise, offsets, masks,
// quantisation): a denoising step learnt on the attacker's own uploads, simulated through head
// under s, twice with the same coefficients — as the defences leave them and without the
// defences. A ridge regression (algo.FitRidge, its strength chosen on held-out rows) maps the
// first to the second: the minimum-mean-squared-error linear estimate of the undefended
// mixture, which undoes noise and quantisation towards the features' own subspace and fills
// masked values from their neighbours. Inversion by optimisation fits head outputs exactly
// and would otherwise fit the noise. The first nv uploads are cleaned, the ones the attack
// reads. Uploads of more than maxCleanDim values are left as they are, with a note.
func (a *attack) clean(head func(x []float32, n int) ([]float32, error), aux *datasets.Images, s datamix.Scheme, nv int) error {
	if !altersUploads(s.Defences) {
		return nil
	}
	d := len(a.obs.Uploads) / a.obs.N
	if d > maxCleanDim {
		a.note("defended uploads not cleaned: %d values per upload, above the %d a d×d map is learnt for", d, maxCleanDim)
		return nil
	}
	sim, err := a.simulateWith(head, aux, s)
	if err != nil {
		return err
	}
	n := len(sim.dom)
	r, err := algo.FitRidge(dense32(sim.up, n, d), dense32(sim.clean, n, d), a.env.RNG, nil)
	if err != nil {
		return err
	}
	pred := r.Predict(dense32(a.obs.Uploads[:nv*d], nv, d))
	a.src = slices.Clone(a.obs.Uploads)
	for i := range nv {
		for j, v := range pred.RawRowView(i) {
			a.src[i*d+j] = float32(v)
		}
	}
	a.note("defended uploads cleaned first: a ridge map (alpha %g) from %d simulated defended uploads to the same mixtures undefended", r.Alpha, n)
	return nil
}

// canonical reports whether the attacker brings uploads to a canonical sign and scale under
// the scheme s it assumes: when s draws signed coefficient rows (gaussian), each upload's sign
// and scale are those of its row, a secret draw that carries nothing of the inputs; with
// convex rows (dirichlet, uniform, the paper's example) the row sums fix the scale.
func canonical(s datamix.Scheme) bool { return s.Mixed() && !s.Sampler.Convex() }

// canon returns the rows of up (UploadDim values each) as the attacker reads them under the
// scheme s it assumes: up itself, or, when s is canonical, a copy with each row brought to a
// canonical sign and scale (canonicalRows), which it notes.
func (a *attack) canon(s datamix.Scheme, up []float32) []float32 {
	if !canonical(s) {
		return up
	}
	const note = "uploads brought to a canonical sign and scale (signed coefficients): each row times sign(Σ row) / max |row|"
	if !slices.Contains(a.setting, note) {
		a.note("%s", note)
	}
	out := slices.Clone(up)
	canonicalRows(out, UploadDim(a.env.Net))
	return out
}

// canonicalRows rescales each row of v (d values) in place to sign(Σ row)·row / max|row|: the
// same row whatever positive or negative factor multiplied it. The inputs and ReLU features the
// edge mixes are non-negative, so a row that is a signed multiple of one has the sign of its
// sum, and an image row comes back exactly when its brightest pixel is 1 (as in MNIST). A zero
// row stays zero.
func canonicalRows(v []float32, d int) {
	for lo := 0; lo < len(v); lo += d {
		row := v[lo : lo+d]
		var sum, peak float64
		for _, x := range row {
			sum += float64(x)
			peak = max(peak, math.Abs(float64(x)))
		}
		if peak == 0 {
			continue
		}
		f := 1 / peak
		if sum < 0 {
			f = -f
		}
		for i, x := range row {
			row[i] = float32(float64(x) * f)
		}
	}
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
