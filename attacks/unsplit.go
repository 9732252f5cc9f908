package attacks

// KindUnSplit is UnSplit's head-withheld inversion: the input and a surrogate head optimised
// together.
const KindUnSplit = "unsplit"

// Settings of UnSplit.
const (
	// DefaultUnSplitIterations is UnSplit's joint Adam steps per batch and pass.
	DefaultUnSplitIterations = 200
	unsplitRounds            = 3    // passes over the victims
	unsplitBatch             = 100  // victims optimised at once
	unsplitLRW               = 1e-3 // the surrogate's Adam step, as the edge trains
)

// unsplit is UnSplit's model inversion (Erdoğan, Küpçü and Çiçek, "UnSplit: data-oblivious
// model inversion, model stealing, and label inference attacks against split learning", WPES
// 2022): a server that knows only the architecture of the client's layers optimises the
// inputs and the weights of a surrogate of those layers together, so that the surrogate maps
// the inputs to the smashed data it received, under a total-variation prior — no auxiliary
// data, no knowledge of its own body needed (Learner.JointInvert: one surrogate head, freshly
// initialised, carried over all the victims; unsplitRounds passes, Iterations joint Adam steps
// per batch and pass). The targets are those rmle inverts: the uploads at k = 1 (given the
// sign and scale of a blind prior when the assumed coefficients are signed: the median norm of
// the uploads themselves, since UnSplit has no auxiliary data), and at k ≥ 2 each member
// feature separated from a group as rmle separates them. Defences are not cleaned (there is
// nothing to learn a cleaner on). It runs only at split > 0 and never reads the head's
// weights. Columns imageColumns("") and <name>_mse, scored as rmle's.
type unsplit struct{}

func (unsplit) Name() string   { return KindUnSplit }
func (unsplit) Prefix() string { return "unsplit" }
func (unsplit) Needs() []Need  { return []Need{needHeadLayer} }
func (unsplit) Options() []Option {
	return []Option{OptionIterations, OptionGrouping, OptionAffinity}
}
func (unsplit) Columns(Spec, int) []string { return append(imageColumns(""), "mse") }

// run finds the targets (separating the groups at k ≥ 2) and inverts them jointly with the
// surrogate: the estimate. Only then does it score.
func (unsplit) run(a *attack) error {
	l, err := a.learner()
	if err != nil {
		return err
	}
	s, desc, err := a.assumed()
	if err != nil {
		return err
	}
	nv := a.victims()
	d := len(a.obs.Uploads) / a.obs.N
	uploads := a.obs.Uploads[:nv*d]
	var targets []float32
	var m *members
	if a.k == 1 {
		targets = uploads
		a.note("targets: the uploads (k = 1)")
		if canonical(s) {
			targets = blindRows(targets, d, false, medianNorm(uploads, nv))
			a.note("each target given the sign and scale of a blind prior (signed coefficients): positive skew, the uploads' median norm")
		}
	} else {
		m = a.separateMembers(nv, s, uploads, nv)
		targets = m.feats
		a.note("coefficients %s", desc)
	}
	n := len(targets) / d
	c, h, w := a.env.Net.InputShape()
	init := make([]float32, n*c*h*w)
	for i := range init {
		init[i] = 0.5
	}
	o := JointOptions{Rounds: unsplitRounds, Batch: unsplitBatch, Iterations: orDefault(a.Iterations, DefaultUnSplitIterations),
		LRX: rmleLR, LRW: unsplitLRW, TV: rmleTV}
	imgs, err := l.JointInvert(targets, n, init, o, a.env.RNG)
	if err != nil {
		return err
	}
	a.recordMSE("", a.revealInversions(imgs, n, m))
	a.note("head weights unknown: a surrogate head of the architecture, freshly initialised, optimised jointly with the images (%d passes of %d Adam steps per batch of %d; images from lr %g, surrogate at lr %g; total variation weight %g); no auxiliary data", o.Rounds, o.Iterations, o.Batch, o.LRX, o.LRW, o.TV)
	if len(s.Defences) > 0 {
		a.note("defences known but not cleaned: a data-oblivious attack has nothing to learn a cleaner on")
	}
	a.done()
	return nil
}
