package attacks

// KindRMLE is white-box inversion by optimisation: regularised maximum-likelihood estimation.
const KindRMLE = "rmle"

// rmle is the white-box optimisation inversion of He, Zhang and Lee (ACSAC 2019, white-box
// setting: regularised maximum-likelihood estimation; SSIM 0.997 after the first convolution
// and 0.60 after the second ReLU on MNIST without mixing). Given a head it can differentiate —
// the edge's own when its weights are known, else a shadow head trained through the frozen
// body (their query-free attack: 0.74 and 0.50; the targets are then rescaled per channel
// into the shadow's units, see shadowBox) — and a target head output t, it looks for the
// image x in [0,1] that minimises ‖head(x) − t‖²/D + λ·TV(x)/P by Adam from a grey start
// (or, with init: decoder, from the image a decoder of the head's features gives). The target
// is the upload itself at k = 1 and, at k ≥ 2, each member feature the strong ICA variant (or
// FastICA) separates from a group's uploads, as the decoder attack's second mode. Its
// estimate is the images it finds: Reconstructions (one per upload position) at k = 1, and at
// k ≥ 2 a Separation with the image of each source of the variant it inverts (StrongImages or
// PlainImages). Columns imageColumns("") (<name>_psnr, <name>_ssim, <name>_psnr_median,
// <name>_recovered30, <name>_recovered90): at k = 1 against the upload's victim; at k ≥ 2
// against the victim each feature is matched to, as ica scores.
type rmle struct{}

func (rmle) Name() string   { return KindRMLE }
func (rmle) Prefix() string { return "rmle" }
func (rmle) Needs() []Need  { return nil }
func (rmle) Options() []Option {
	return []Option{OptionIterations, OptionInit, OptionEpochs, OptionShadow, OptionGrouping, OptionAffinity}
}
func (rmle) Columns(Spec, int) []string { return imageColumns("") }

// run draws the auxiliary images, builds the white box (training the shadow when the head is
// withheld), finds the targets (separating the groups at k ≥ 2), trains the starting decoder
// when asked, and inverts: the estimate. Only then does it score. The attacker's generator is
// drawn in that order.
func (rmle) run(a *attack) error {
	l, s, desc, aux, err := a.learnerSetting()
	if err != nil {
		return err
	}
	wb, err := a.whiteBox(l, aux, s, desc)
	if err != nil {
		return err
	}
	obs := a.obs
	nv := a.victims()
	d := len(obs.Uploads) / obs.N
	if err := a.clean(wb.Head, aux, s, nv); err != nil {
		return err
	}
	var targets []float32
	var m *members
	if a.k == 1 {
		targets = a.src[:nv*d]
		a.note("targets: the uploads (k = 1)")
		if canonical(s) {
			feat, err := wb.Head(aux.X, aux.N)
			if err != nil {
				return err
			}
			targets = blindRows(targets, d, a.env.Net.Split() == 0, medianNorm(feat, aux.N))
			a.note("each target given the sign and scale of the attacker's prior, as a blind ICA source (signed coefficients: the upload's own are a secret draw's)")
		}
	} else {
		feat, err := wb.Head(aux.X, aux.N)
		if err != nil {
			return err
		}
		m = a.separateMembers(nv, s, feat, aux.N)
		targets = m.feats
		a.note("coefficients %s", desc)
	}
	n := len(targets) / d
	dim := aux.Dim()
	init := make([]float32, n*dim)
	switch a.Init {
	case InitDecoder:
		dec, _, err := a.learnedFeatureDecoder(l, wb, aux)
		if err != nil {
			return err
		}
		if init, err = dec.Decode(inUnitsOf(wb, targets), n); err != nil {
			return err
		}
		a.note("start: a decoder of the head's features (%d epochs on %d auxiliary images)", a.decoderOptions().Epochs, aux.N)
	default:
		for i := range init {
			init[i] = 0.5
		}
		a.note("start: grey (0.5)")
	}
	o := InvertOptions{Iterations: orDefault(a.Iterations, DefaultIterations), LR: rmleLR, TV: rmleTV}
	imgs, err := wb.Invert(targets, n, init, o)
	if err != nil {
		return err
	}
	a.revealInversions(imgs, n, m)
	a.note("Adam, %d steps from lr %g (cosine decay), total variation weight %g, %d images", o.Iterations, o.LR, o.TV, n)
	a.done()
	return nil
}
