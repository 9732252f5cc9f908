package attacks

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/metrics"
)

// This file holds what the gradient-trained attacks (decoder.go, rmle.go) share: the
// interfaces through which they reach networks (the Learner, which package attacks/nets
// implements on package models), the white-box head they invert (the edge's own or a shadow
// of it), the separation of mixed uploads into member features, and their scoring.

// Learner trains and runs the attacker's own networks. The attack kinds use no gorgonia
// type: package attacks/nets implements a Learner on package models (decoders, shadow models,
// inversion by optimisation), which the runner passes in Env, and the tests implement it in
// plain Go.
type Learner interface {
	// TrainDecoder trains an inverse network from n inputs x (n × prod(shape), shape the
	// per-sample shape: an upload's (C,H,W) or (D)) to the n images y (n × C·H·W, in [0,1],
	// of the network's input shape). Its draws come from rng.
	TrainDecoder(x []float32, shape []int, y []float32, n int, o DecoderOptions, rng *rand.Rand) (Decoder, error)
	// Head is the edge's head as a white box: only an attack whose spec knows the head's
	// weights may call it (at split 0 the head is the identity, known to everyone).
	Head() (WhiteBox, error)
	// Shadow trains a shadow model through the frozen body: a head and tail of the network's
	// architecture, freshly initialised, fitted to n labelled images x (n × C·H·W) with the
	// cloud's body in between and its weights held fixed, and returns its head. It is what a
	// cloud that does not know the head can build from the body it runs (He, Zhang and Lee,
	// ACSAC 2019: the query-free attack).
	Shadow(x []float32, labels []int, n int, o ShadowOptions, rng *rand.Rand) (WhiteBox, error)
	// Substitute trains FORA's substitute head (Xu et al., CVPR 2024): a shadow model as Shadow
	// trains one, whose loss also pulls the uploads it simulates towards the distribution of
	// nu uploads the cloud received (uploads, nu × UploadDim) by a multi-kernel MMD (o.Align
	// its weight), and returns its head and the last training step's MMD².
	Substitute(x []float32, labels []int, n int, uploads []float32, nu int, o SubstituteOptions, rng *rand.Rand) (WhiteBox, float64, error)
	// JointInvert is UnSplit's inversion (Erdoğan, Küpçü and Çiçek, WPES 2022): it optimises n
	// images from init (n × C·H·W) and the weights of one surrogate head of the network's
	// architecture (freshly initialised from rng) together, so that the surrogate maps the
	// images to the n targets (n × UploadDim), and returns the images in [0,1].
	JointInvert(targets []float32, n int, init []float32, o JointOptions, rng *rand.Rand) ([]float32, error)
}

// SubstituteOptions says how a Learner trains FORA's substitute head: as a shadow model
// (ShadowOptions), with Align · MMD² between each batch's simulated uploads and AlignBatch of
// the real ones in the loss.
type SubstituteOptions struct {
	ShadowOptions
	Align      float64
	AlignBatch int
}

// JointOptions says how a Learner runs UnSplit: Rounds passes over the targets in batches of
// Batch, Iterations joint Adam steps per batch and pass, the images' steps from LRX (cosine
// decay within a pass) and the surrogate's at LRW, with total-variation weight TV (as
// InvertOptions).
type JointOptions struct {
	Rounds, Batch, Iterations int
	LRX, LRW, TV              float64
}

// Decoder maps inputs of the shape it was trained on to images.
type Decoder interface {
	// Decode maps n inputs (n × the input size) to n images (n × C·H·W) in [0,1].
	Decode(x []float32, n int) ([]float32, error)
}

// WhiteBox is a head whose weights the attacker holds.
type WhiteBox interface {
	// Head maps n images (n × C·H·W) to their head outputs (n × UploadDim).
	Head(x []float32, n int) ([]float32, error)
	// Invert returns n images in [0,1] whose head outputs approach the n targets
	// (n × UploadDim), by optimisation from init (n × C·H·W): rMLE, InvertOptions.
	Invert(targets []float32, n int, init []float32, o InvertOptions) ([]float32, error)
}

// DecoderOptions says how a Learner trains a decoder: Epochs passes over the data in batches
// of Batch with Adam at learning rate LR (decayed to 0 by a cosine), Width channels at the
// image's resolution.
type DecoderOptions struct {
	Epochs, Batch, Width int
	LR                   float64
}

// InvertOptions says how a WhiteBox inverts: Iterations Adam steps at initial learning rate
// LR (decayed to 0 by a cosine), minimising Σ‖head(x) − t‖²/D + TV · total variation(x)/P
// (D values per head output, P pixels per image) over images x in [0,1].
type InvertOptions struct {
	Iterations int
	LR, TV     float64
}

// ShadowOptions says how a Learner trains a shadow model: Epochs passes in batches of Batch
// with Adam at learning rate LR; under a Scheme with groups of more than one, mixing-aware as
// the edge trains (each group of K consecutive images of a batch mixed with a C drawn as the
// scheme draws it, de-mixed after the body), since the real body was trained on mixtures.
// Scheme is the scheme the attacker assumes (its coefficient distribution, not the edge's
// secret draws).
type ShadowOptions struct {
	Epochs, Batch int
	LR            float64
	Scheme        datamix.Scheme
}

// Defaults of the gradient-trained attacks, chosen so that one DataMix cell's attacks take a
// few minutes on two cores (attacks/README.md has the measurements behind them).
const (
	// DefaultEpochs is the decoder's training epochs over the auxiliary images.
	DefaultEpochs = 20
	// DefaultIterations is rMLE's Adam steps per image.
	DefaultIterations = 300
	// DefaultShadowEpochs is the shadow model's training epochs over the auxiliary images.
	DefaultShadowEpochs = 20
)

// Settings of the learners that are not configurable.
const (
	decoderWidth = 16   // channels at the image's resolution
	decoderBatch = 32   // samples per step
	decoderLR    = 2e-3 // Adam's initial learning rate
	rmleLR       = 0.05 // Adam's initial step on pixels in [0,1]
	// rmleTV weighs the total variation per pixel against the squared feature distance per
	// value.
	rmleTV      = 0.01
	shadowBatch = 64   // as the edge trains (train.batch_size's default)
	shadowLR    = 1e-3 // as the edge trains
)

// Starting points of rmle.
const (
	InitGrey    = "grey"    // every pixel 0.5
	InitDecoder = "decoder" // the image a decoder trained on the white box's features gives
)

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// learnerSetting is what a gradient-trained attack starts from, drawn in this order: the
// Learner, the scheme the attacker assumes and its description (assumed), and the auxiliary
// images.
func (a *attack) learnerSetting() (Learner, datamix.Scheme, string, *datasets.Images, error) {
	l, err := a.learner()
	if err != nil {
		return nil, datamix.Scheme{}, "", nil, err
	}
	s, desc, err := a.assumed()
	if err != nil {
		return nil, datamix.Scheme{}, "", nil, err
	}
	aux, err := a.auxImages()
	if err != nil {
		return nil, datamix.Scheme{}, "", nil, err
	}
	return l, s, desc, aux, nil
}

// learner returns the environment's Learner, or an error naming the kind that needs it.
func (a *attack) learner() (Learner, error) {
	if a.env.Learner == nil {
		return nil, fmt.Errorf("%s needs a Learner in its Env to train networks", a.Kind)
	}
	return a.env.Learner, nil
}

// whiteBox returns the head the attack inverts through and notes which: the edge's own when
// the spec knows its weights or at split 0, where it is the identity; otherwise a shadow head
// trained through the frozen body on the labelled auxiliary images, mixing-aware with the
// assumed coefficients (s, desc), with the per-channel factors that bring the real uploads
// into its units (shadowBox; inUnitsOf applies them before decoding).
func (a *attack) whiteBox(l Learner, aux *datasets.Images, s datamix.Scheme, desc string) (WhiteBox, error) {
	if a.env.Net.Split() == 0 || a.HeadWeights {
		a.headNote()
		return l.Head()
	}
	o := ShadowOptions{Epochs: orDefault(a.ShadowEpochs, DefaultShadowEpochs), Batch: shadowBatch, LR: shadowLR, Scheme: s}
	o.Batch = max(o.Batch-o.Batch%a.k, a.k)
	n := aux.N - aux.N%o.Batch
	if n == 0 {
		return nil, fmt.Errorf("%d auxiliary images, fewer than one batch of %d to train a shadow model on", aux.N, o.Batch)
	}
	wb, err := l.Shadow(aux.X[:n*aux.Dim()], aux.Y[:n], n, o, a.env.RNG)
	if err != nil {
		return nil, err
	}
	mix := "unmixed (k = 1)"
	if a.k > 1 {
		mix = "mixing-aware with coefficients " + desc
	}
	a.note("head weights unknown: shadow head and tail trained through the frozen body on %d labelled auxiliary images (%d epochs, %s)", n, o.Epochs, mix)
	feat, err := wb.Head(aux.X, aux.N)
	if err != nil {
		return nil, err
	}
	obs := a.obs
	a.note("the real uploads rescaled channel by channel to the shadow features' root mean square on the auxiliary images")
	return &shadowBox{WhiteBox: wb, scale: channelScale(feat, aux.N, obs.Uploads, obs.N, a.env.Net.UploadShape())}, nil
}

// shadowBox is a shadow head with the per-value factors (channelScale) that bring the real
// uploads into its units: the frozen body fixes what each channel of the head's output means
// but, through its first layer's weights and the ReLUs, only loosely how large it is. The
// rescaling is ours, not He et al.'s: it uses nothing but the uploads the cloud receives, and
// on mnist-cnn it lifts the shadow attacks at split 1 from SSIM ≈ 0.5 to ≈ 0.7
// (attacks/README.md).
type shadowBox struct {
	WhiteBox
	scale []float32 // per value of one upload
}

// Invert inverts real targets: rescaled into the shadow's units first.
func (b *shadowBox) Invert(t []float32, n int, init []float32, o InvertOptions) ([]float32, error) {
	return b.WhiteBox.Invert(b.align(t), n, init, o)
}

// align returns a copy of real uploads or features (n × UploadDim) in the shadow's units.
func (b *shadowBox) align(t []float32) []float32 {
	out := make([]float32, len(t))
	d := len(b.scale)
	for i, v := range t {
		out[i] = v * b.scale[i%d]
	}
	return out
}

// inUnitsOf returns real uploads or features in the units of the white box's head: as they
// are for the edge's own head, rescaled for a shadow (shadowBox).
func inUnitsOf(wb WhiteBox, t []float32) []float32 {
	if b, ok := wb.(*shadowBox); ok {
		return b.align(t)
	}
	return t
}

// channelScale returns, for every value of an upload of the given shape, the factor
// rms(shadow channel) / rms(real channel) of its channel, the root mean squares taken over the
// ns shadow features and the nr real uploads; 1 where either is zero. A flat upload is one
// channel.
func channelScale(shadow []float32, ns int, real []float32, nr int, shape []int) []float32 {
	d := len(shadow) / ns
	ch := 1
	if len(shape) == 3 {
		ch = shape[0]
	}
	per := d / ch
	meanSquares := func(v []float32, n int) []float64 {
		out := make([]float64, ch)
		for i := range n {
			for c := range ch {
				for _, x := range v[i*d+c*per : i*d+(c+1)*per] {
					out[c] += float64(x) * float64(x)
				}
			}
		}
		for c := range out {
			out[c] /= float64(n * per)
		}
		return out
	}
	ms, mr := meanSquares(shadow, ns), meanSquares(real, nr)
	sc := make([]float32, d)
	for c := range ch {
		f := float32(1)
		if ms[c] > 0 && mr[c] > 0 {
			f = float32(math.Sqrt(ms[c] / mr[c]))
		}
		for j := c * per; j < (c+1)*per; j++ {
			sc[j] = f
		}
	}
	return sc
}

// decoderOptions are the options of the attack's decoders.
func (a *attack) decoderOptions() DecoderOptions {
	return DecoderOptions{Epochs: orDefault(a.Epochs, DefaultEpochs), Batch: decoderBatch, Width: decoderWidth, LR: decoderLR}
}

// learnedFeatureDecoder trains a decoder of the white box's unmixed features of the auxiliary
// images, for member features separated from mixed uploads and for rmle's decoder start; it
// returns the features too.
func (a *attack) learnedFeatureDecoder(l Learner, wb WhiteBox, aux *datasets.Images) (Decoder, []float32, error) {
	feat, err := wb.Head(aux.X, aux.N)
	if err != nil {
		return nil, nil, err
	}
	dec, err := l.TrainDecoder(feat, a.env.Net.UploadShape(), aux.X, aux.N, a.decoderOptions(), a.env.RNG)
	return dec, feat, err
}

// members are the member features separated from the mixed uploads of every group among the
// first nv uploads: the Separation (the groups and both variants' sources), which variant the
// kind inverts, and that variant's sources in feature units, flat (group after group, k rows
// of d each), ready to decode or invert.
type members struct {
	Separation
	strong bool
	feats  []float32
}

// separateMembers finds the groups (icaGroups: the upload order, or group matching under
// shuffling) and separates each: with the strong variant when the assumed coefficient rows
// are convex (its sources are in feature units), else with FastICA, each source rescaled
// blindly into feature units (blindPlain, norm the median norm of the white box's auxiliary
// features) for feats; Separation.Plain keeps FastICA's sources as they came, as ica's does.
// It notes how.
func (a *attack) separateMembers(nv int, s datamix.Scheme, auxFeat []float32, nAux int) *members {
	groups, how := a.icaGroups(nv)
	strong := convexRows(s.Sampler, a.k, a.env.RNG)
	sep, _ := a.separate(groups, strong)
	a.note("%s", how)
	m := &members{Separation: sep, strong: strong}
	if strong {
		a.note("member features separated by the strong ICA variant (convex coefficient rows)")
		for _, src := range sep.Strong {
			for _, v := range src {
				m.feats = append(m.feats, float32(v))
			}
		}
		return m
	}
	d := len(auxFeat) / nAux
	pixels := a.env.Net.Split() == 0
	norm := medianNorm(auxFeat, nAux)
	for _, src := range sep.Plain {
		m.feats = append(m.feats, blindRows(src, d, pixels, norm)...)
	}
	a.note("member features separated by FastICA (the assumed coefficients are not convex rows), rescaled blindly")
	return m
}

// sources returns, per group, the sources of the variant the kind inverts (k × d).
func (m *members) sources() [][]float64 {
	if m.strong {
		return m.Strong
	}
	return m.Plain
}

// setImages records the images recovered from feats (one per source, group after group, each
// of dim values), clipped to [0,1], as the images of the variant the kind inverts.
func (m *members) setImages(imgs []float32, k int) {
	dim := len(imgs) / (len(m.Groups) * k)
	out := make([][][]float32, len(m.Groups))
	for gi := range out {
		out[gi] = make([][]float32, k)
		for i := range k {
			r := gi*k + i
			out[gi][i] = clip32(imgs[r*dim : (r+1)*dim])
		}
	}
	if m.strong {
		m.StrongImages = out
	} else {
		m.PlainImages = out
	}
}

// images returns, per group and source, the images recovered from the variant the kind
// inverts (setImages).
func (m *members) images() [][][]float32 {
	if m.strong {
		return m.StrongImages
	}
	return m.PlainImages
}

// scoreMembers scores the images recovered from separated member features (m.images) against
// the victims each source is matched to: the Hungarian matching on |correlation| between
// sources and the candidate victims' unmixed uploads that ica uses (groupCandidates,
// matchSources), an oracle alignment for scoring only (which recovered image is which victim
// does not change what the attacker holds). It records imageColumns(infix) and the grid
// column title, the first image matched to each victim.
func (a *attack) scoreMembers(truth *Truth, m *members, infix, title string) *imageScores {
	k := a.k
	c, h, w := a.env.Net.InputShape()
	at := truth.inputAt()
	src, imgs := m.sources(), m.images()
	var sc imageScores
	recon := map[int][]float32{}
	for gi, g := range m.Groups {
		cands := groupCandidates(at, g, k)
		match, _, _ := a.matchSources(truth, src[gi], cands)
		for i, j := range match {
			v := cands[j]
			img := imgs[gi][i]
			sc.add(truth.Images.Row(v), img, c, h, w)
			if _, ok := recon[v]; !ok {
				recon[v] = img
			}
		}
	}
	a.recordImages(infix, &sc)
	a.res.Recon = append(a.res.Recon, ReconColumn{Title: title, Images: recon})
	return &sc
}

// scoreUploads scores the images reconstructed from the first uploads (est: one per upload
// position) against each upload's dominant member (imageColumns(infix)) and, when best,
// against the member of its group each metric likes best (imageColumns(infix + "best_"), an
// oracle choice), and records the grid column title.
func (a *attack) scoreUploads(truth *Truth, est Reconstructions, best bool, infix, title string) *imageScores {
	k := a.k
	at := truth.inputAt()
	c, h, w := a.env.Net.InputShape()
	recon := map[int][]float32{}
	var dominant, bestSc imageScores
	for p, img := range est.Images {
		i := at[p]
		recon[i] = img
		dominant.add(truth.Images.Row(truth.dominant(i, k)), img, c, h, w)
		if !best {
			continue
		}
		g := i / k
		bp, bs := math.Inf(-1), math.Inf(-1)
		for j := g * k; j < (g+1)*k; j++ {
			m := truth.Images.Row(j)
			bp = max(bp, capPSNR(metrics.PSNR(m, img, 1)))
			bs = max(bs, metrics.SSIM(m, img, c, h, w, 1))
		}
		bestSc.addScores(bp, bs)
	}
	a.recordImages(infix, &dominant)
	if best {
		a.recordImages(infix+"best_", &bestSc)
	}
	a.res.Recon = append(a.res.Recon, ReconColumn{Title: title, Images: recon})
	return &dominant
}

// reconstructions splits n images (n × C·H·W, as a Decoder or WhiteBox returns them) into the
// estimate of one image per upload position, clipped to [0,1].
func reconstructions(imgs []float32, n int) Reconstructions {
	dim := len(imgs) / n
	est := Reconstructions{Images: make([][]float32, n)}
	for p := range n {
		est.Images[p] = clip32(imgs[p*dim : (p+1)*dim])
	}
	return est
}

// clip32 returns a copy of v clipped to [0,1].
func clip32(v []float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = min(max(x, 0), 1)
	}
	return out
}

// medianNorm is the median Euclidean norm of the n rows of v: the scale the attacker's blind
// normalisation gives a source or target of unknown scale (blindPlain).
func medianNorm(v []float32, n int) float64 {
	d := len(v) / n
	norms := make([]float64, n)
	for i := range n {
		var ss float64
		for _, x := range v[i*d : (i+1)*d] {
			ss += float64(x) * float64(x)
		}
		norms[i] = math.Sqrt(ss)
	}
	slices.Sort(norms)
	return norms[n/2]
}

// blindRows returns the rows of v (d values each, float64 or float32) normalised blindly,
// each by its own blindPlain: a sign and scale chosen from the attacker's prior alone.
func blindRows[T float32 | float64](v []T, d int, pixels bool, norm float64) []float32 {
	out := make([]float32, len(v))
	row := make([]float64, d)
	for lo := 0; lo < len(v); lo += d {
		for j, x := range v[lo : lo+d] {
			row[j] = float64(x)
		}
		sa, sb := blindPlain(row, pixels, norm)
		for j, x := range row {
			out[lo+j] = float32(sa*x + sb)
		}
	}
	return out
}

// revealInversions hands over the images an inversion found for its n targets (imgs, n ×
// C·H·W) as its estimate — Reconstructions of the uploads when m is nil (k = 1), else the
// separation m with the image of each of its sources — and scores them: against each upload's
// victim, or against the victim each separated feature is matched to. It returns the scores.
func (a *attack) revealInversions(imgs []float32, n int, m *members) *imageScores {
	if m == nil {
		est := reconstructions(imgs, n)
		return a.scoreUploads(a.reveal(est), est, false, "", a.prefix)
	}
	m.setImages(imgs, a.k)
	sc := a.scoreMembers(a.reveal(m.Separation), m, "", a.prefix)
	a.note("scored against the victim each feature is matched to (oracle alignment, as ica)")
	return sc
}
