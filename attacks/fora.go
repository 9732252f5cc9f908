package attacks

import "slices"

// KindFORA is FORA's head-withheld reconstruction: a substitute head aligned to the uploads'
// feature distribution, then an inverse network.
const KindFORA = "fora"

// Settings of FORA's substitute head.
const (
	// foraAlign weighs the MMD² between simulated and real uploads against the shadow's
	// cross-entropy: with five kernels MMD² lies in [0, 10], from 0 for alike distributions to
	// several units for far-apart ones, the same order as a fresh network's cross-entropy.
	foraAlign = 1
	// foraAlignBatch is the number of real uploads each step compares with: a batch, as the
	// simulated uploads.
	foraAlignBatch = shadowBatch
)

// fora is the Feature-Oriented Reconstruction Attack (Xu, Yang, Yi, Li, Wang, Hu, Zhuang and
// Liu, "A stealthy wrongdoer: feature-oriented reconstruction attack against split learning",
// CVPR 2024), in DataMix's threat model with the head withheld. FORA's server knows neither
// the client's model nor its data: it builds a substitute client on public auxiliary data by
// feature-level transfer learning — a multi-kernel MMD between the substitute's smashed data
// and a snapshot of the victims', and a discriminator — then trains an inverse network from
// the substitute's features to the auxiliary images and applies it to the victims' smashed
// data. Here the substitute is the shadow model (the head and tail trained through the frozen
// body on labelled auxiliary images, which DataMix's threat model grants and FORA does
// without), with FORA's multi-kernel MMD between its simulated uploads and the victims' real
// ones added to its loss (Learner.Substitute: weight foraAlign, five Gaussian kernels around
// the median heuristic); FORA's discriminator is left out. The substitute simulates uploads
// under the scheme the attacker assumes (coefficients and defences) and an inverse network
// (the decoder attack's) learns from them the dominant member of each upload, then decodes
// the victims' uploads. It runs only at split > 0, where there is a head to substitute, and
// never reads the head's weights. Columns imageColumns("") and imageColumns("best_"), as the
// decoder's single-upload mode, and <name>_mse.
type fora struct{}

func (fora) Name() string      { return KindFORA }
func (fora) Prefix() string    { return "fora" }
func (fora) Needs() []Need     { return []Need{needHeadLayer} }
func (fora) Options() []Option { return []Option{OptionEpochs, OptionShadow} }
func (fora) Columns(Spec, int) []string {
	return slices.Concat(imageColumns(""), imageColumns("best_"), []string{"mse"})
}

// run trains the substitute head aligned to the victims' uploads, the inverse network on the
// uploads the substitute simulates, and decodes the victims' uploads: the estimate. Only then
// does it score. The attacker's generator is drawn in that order.
func (fora) run(a *attack) error {
	l, s, desc, aux, err := a.learnerSetting()
	if err != nil {
		return err
	}
	nv := a.victims()
	d := len(a.obs.Uploads) / a.obs.N
	o := SubstituteOptions{
		ShadowOptions: ShadowOptions{Epochs: orDefault(a.ShadowEpochs, DefaultShadowEpochs), Batch: shadowBatch, LR: shadowLR, Scheme: s},
		Align:         foraAlign, AlignBatch: min(foraAlignBatch, nv),
	}
	o.Batch = max(o.Batch-o.Batch%a.k, a.k)
	n := aux.N - aux.N%o.Batch
	if n == 0 {
		return a.skip("%d auxiliary images, fewer than one batch of %d to train a substitute on", aux.N, o.Batch)
	}
	wb, mmd, err := l.Substitute(aux.X[:n*aux.Dim()], aux.Y[:n], n, a.obs.Uploads[:nv*d], nv, o, a.env.RNG)
	if err != nil {
		return err
	}
	sim, err := a.simulateWith(wb.Head, aux, s)
	if err != nil {
		return err
	}
	dim := aux.Dim()
	target := make([]float32, len(sim.dom)*dim)
	for i, j := range sim.dom {
		copy(target[i*dim:], aux.Row(j))
	}
	dec, err := l.TrainDecoder(a.canon(s, sim.up), a.env.Net.UploadShape(), target, len(sim.dom), a.decoderOptions(), a.env.RNG)
	if err != nil {
		return err
	}
	imgs, err := dec.Decode(a.canon(s, a.obs.Uploads[:nv*d]), nv)
	if err != nil {
		return err
	}
	est := reconstructions(imgs, nv)

	truth := a.reveal(est)
	a.recordMSE("", a.scoreUploads(truth, est, true, "", a.prefix))
	a.note("head weights unknown: substitute head and tail trained through the frozen body on %d labelled auxiliary images (%d epochs), with FORA's multi-kernel MMD to %d real uploads (weight %g; last MMD² %.3g); FORA's discriminator left out", n, o.Epochs, nv, o.Align, mmd)
	a.note("coefficients %s", desc)
	a.note("inverse network (width %d, %d epochs) on the substitute's simulated uploads, %d test victims", decoderWidth, a.decoderOptions().Epochs, nv)
	a.note("scored against each upload's dominant member; best_ columns against the member each metric likes best (an oracle choice)")
	a.done()
	return nil
}
