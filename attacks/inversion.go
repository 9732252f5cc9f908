package attacks

import (
	"math"
	"slices"

	"github.com/datamix/harness/attacks/algo"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/metrics"
)

// KindInversion is the learned-inversion attack: a decoder from an upload to an input image.
const KindInversion = "inversion"

// inversion is the learned-inversion attack: a ridge decoder from an upload to the image of its
// dominant member, trained on auxiliary images turned into uploads the way the edge does (head,
// then mixing with coefficients from the assumed distribution). Its estimate is one image per
// upload (Reconstructions). Columns: <name>_psnr, <name>_ssim, <name>_psnr_median,
// <name>_recovered30 and <name>_recovered90 against the dominant member (largest coefficient),
// and the same with <name>_best_ against the member each metric likes best (an oracle choice
// among the upload's group).
type inversion struct{}

func (inversion) Name() string      { return KindInversion }
func (inversion) Prefix() string    { return "inversion" }
func (inversion) Needs() []Need     { return []Need{needAuxUploads} }
func (inversion) Options() []Option { return nil }

func (inversion) Columns(Spec, int) []string {
	return slices.Concat(imageColumns(""), imageColumns("best_"))
}

func (inversion) run(a *attack) error {
	net := a.env.Net
	set, err := a.auxUploads()
	if err != nil {
		return err
	}
	aux, up, dom := set.images, set.up, set.dom
	n := len(dom)
	d := len(up) / n
	dim := aux.Dim()
	target := mat.NewDense(n, dim, nil)
	for i, j := range dom {
		for t, v := range aux.Row(j) {
			target.Set(i, t, float64(v))
		}
	}
	dec, err := algo.FitRidge(dense32(up, n, d), target, a.env.RNG, nil)
	if err != nil {
		return err
	}
	obs := a.obs
	nv := a.victims()
	pred := dec.Predict(dense32(a.canon(set.scheme, obs.Uploads[:nv*d]), nv, d))
	est := Reconstructions{Images: make([][]float32, nv)}
	for p := range nv {
		est.Images[p] = clipImage(pred.RawRowView(p))
	}

	truth := a.reveal(est)
	c, h, w := net.InputShape()
	at := truth.inputAt()
	recon := map[int][]float32{}
	var dominant, best imageScores
	for p, img := range est.Images {
		i := at[p]
		recon[i] = img
		dominant.add(truth.Images.Row(truth.dominant(i, a.k)), img, c, h, w)
		g := i / a.k
		bp, bs := math.Inf(-1), math.Inf(-1)
		for j := g * a.k; j < (g+1)*a.k; j++ {
			m := truth.Images.Row(j)
			bp = max(bp, capPSNR(metrics.PSNR(m, img, 1)))
			bs = max(bs, metrics.SSIM(m, img, c, h, w, 1))
		}
		best.addScores(bp, bs)
	}
	a.recordImages("", &dominant)
	a.recordImages("best_", &best)
	a.res.Recon = append(a.res.Recon, ReconColumn{Title: a.prefix, Images: recon})
	a.headNote()
	a.note("coefficients %s", set.desc)
	a.note("grouping not needed (decodes each upload alone)")
	a.note("ridge decoder on %d auxiliary training images (alpha %g), %d test victims", aux.N, dec.Alpha, nv)
	a.note("scored against each upload's dominant member; best_ columns against the member each metric likes best (an oracle choice)")
	a.done()
	return nil
}
