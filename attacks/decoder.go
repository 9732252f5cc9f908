package attacks

import "slices"

// KindDecoder is the learned non-linear inversion: an inverse network from uploads to images.
const KindDecoder = "decoder"

// decoder is the learned non-linear inversion attack (He, Zhang and Lee, ACSAC 2019,
// black-box setting: an inverse network, SSIM 0.99 after the first convolution and 0.80 after
// the second ReLU on MNIST without mixing). A convolutional decoder with nearest-neighbour upsampling and a
// sigmoid output (models.Decoder) is trained by the Learner on auxiliary images turned into
// uploads as the edge does — through the head when its weights are known, else through a
// shadow head trained on the frozen body, the real uploads then rescaled per channel into the
// shadow's units (shadowBox) — in two modes:
//
//   - from a single upload (what mixing hides): the decoder maps a mixed upload to its
//     dominant member, trained on auxiliary uploads mixed with the assumed coefficients;
//     columns imageColumns("") (<name>_psnr, <name>_ssim, <name>_psnr_median,
//     <name>_recovered30, <name>_recovered90) against the dominant member and the same with
//     <name>_best_ against the member each metric likes best, as the ridge inversion;
//   - from the member features that mixing fails to hide (k ≥ 2): the groups' uploads are
//     separated (group matching under shuffling, then the strong ICA variant, or FastICA when
//     the coefficient rows are not convex) and each recovered feature is decoded by a decoder
//     of unmixed features; the same columns with <name>_sep_, each source scored against the
//     victim it is matched to as ica does.
//
// Its estimate is a DecoderEstimate: the image decoded from each upload, and at k ≥ 2 the
// separation with the image decoded from each member feature.
type decoder struct{}

func (decoder) Name() string   { return KindDecoder }
func (decoder) Prefix() string { return "decoder" }
func (decoder) Needs() []Need  { return nil }
func (decoder) Options() []Option {
	return []Option{OptionEpochs, OptionShadow, OptionGrouping, OptionAffinity}
}

func (decoder) Columns(Spec, int) []string {
	return slices.Concat(imageColumns(""), imageColumns("best_"), imageColumns("sep_"))
}

// DecoderEstimate is the estimate of the decoder attack: Uploads holds the image decoded from
// each of the first victims' uploads (by upload position); at k ≥ 2 Members holds the groups
// it separated, their sources and, for the variant it decodes (the strong one when the assumed
// coefficient rows are convex, else FastICA's), the image decoded from each source. Members is
// nil at k = 1.
type DecoderEstimate struct {
	Uploads Reconstructions
	Members *Separation
}

// run draws the auxiliary images, builds the white box (training the shadow when the head is
// withheld), trains the upload decoder and decodes the victims' uploads, then at k ≥ 2
// separates the groups and decodes their member features with a second decoder: the
// estimate. Only then does it score. The attacker's generator is drawn in that order.
func (decoder) run(a *attack) error {
	l, s, desc, aux, err := a.learnerSetting()
	if err != nil {
		return err
	}
	wb, err := a.whiteBox(l, aux, s, desc)
	if err != nil {
		return err
	}
	sim, err := a.simulateWith(wb.Head, aux, s)
	if err != nil {
		return err
	}
	n, dim := len(sim.dom), aux.Dim()
	target := make([]float32, n*dim)
	for i, j := range sim.dom {
		copy(target[i*dim:], aux.Row(j))
	}
	o := a.decoderOptions()
	dec, err := l.TrainDecoder(a.canon(s, sim.up), a.env.Net.UploadShape(), target, n, o, a.env.RNG)
	if err != nil {
		return err
	}
	obs := a.obs
	nv := a.victims()
	d := len(obs.Uploads) / obs.N
	imgs, err := dec.Decode(a.canon(s, inUnitsOf(wb, obs.Uploads[:nv*d])), nv)
	if err != nil {
		return err
	}
	est := DecoderEstimate{Uploads: reconstructions(imgs, nv)}
	a.note("coefficients %s", desc)
	a.note("convolutional decoder (width %d, %d epochs) on %d auxiliary uploads, %d test victims", o.Width, o.Epochs, n, nv)
	a.note("scored against each upload's dominant member; best_ columns against the member each metric likes best (an oracle choice)")
	var m *members
	if a.k > 1 {
		fdec, feat, err := a.learnedFeatureDecoder(l, wb, aux)
		if err != nil {
			return err
		}
		if err := a.clean(wb.Head, aux, s, nv); err != nil {
			return err
		}
		m = a.separateMembers(nv, s, feat, aux.N)
		nf := len(m.feats) / d
		imgs, err := fdec.Decode(inUnitsOf(wb, m.feats), nf)
		if err != nil {
			return err
		}
		m.setImages(imgs, a.k)
		est.Members = &m.Separation
	}

	truth := a.reveal(est)
	a.scoreUploads(truth, est.Uploads, true, "", a.prefix)
	if m != nil {
		a.scoreMembers(truth, m, "sep_", a.prefix+" sep")
		a.note("sep: member features decoded by a decoder of unmixed features; scored against the victim each is matched to (oracle alignment, as ica)")
	}
	a.done()
	return nil
}
