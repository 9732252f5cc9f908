package attacks

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/metrics"
)

// KindInversion is the learned-inversion attack: a decoder from an upload to an input image.
const KindInversion = "inversion"

// inversion is the learned-inversion attack: a ridge decoder from an upload to the image of its
// dominant member, trained on auxiliary images turned into uploads the way the edge does (head,
// then mixing with coefficients from the assumed distribution). Columns: <name>_psnr and
// <name>_ssim against the dominant member (largest coefficient), and <name>_best_psnr and
// <name>_best_ssim against the member each metric likes best.
type inversion struct{}

func (inversion) Name() string      { return KindInversion }
func (inversion) Prefix() string    { return "inversion" }
func (inversion) Needs() []Need     { return []Need{needAuxUploads} }
func (inversion) Options() []Option { return nil }

func (inversion) Columns(Spec, int) []string {
	return []string{"psnr", "ssim", "best_psnr", "best_ssim"}
}

func (inversion) run(a *attack) error {
	net := a.env.Net
	aux, up, dom, desc, err := a.auxUploads()
	if err != nil {
		return err
	}
	n := len(dom)
	d := len(up) / n
	dim := aux.Dim()
	target := mat.NewDense(n, dim, nil)
	for i, j := range dom {
		for t, v := range aux.Row(j) {
			target.Set(i, t, float64(v))
		}
	}
	dec, err := FitRidge(dense32(up, n, d), target, a.env.RNG, nil)
	if err != nil {
		return err
	}
	cap := a.env.Capture
	nv := a.victims()
	pred := dec.Predict(dense32(cap.Uploads[:nv*d], nv, d))
	c, h, w := net.InputShape()
	at := cap.inputAt()
	recon := map[int][]float32{}
	var psnr, ssim, bestPSNR, bestSSIM float64
	for p := range nv {
		img := clipImage(pred.RawRowView(p))
		i := at[p]
		recon[i] = img
		x := cap.Images.Row(cap.dominant(i))
		psnr += capPSNR(metrics.PSNR(x, img, 1))
		ssim += metrics.SSIM(x, img, c, h, w, 1)
		g := i / cap.K
		bp, bs := math.Inf(-1), math.Inf(-1)
		for j := g * cap.K; j < (g+1)*cap.K; j++ {
			m := cap.Images.Row(j)
			bp = max(bp, capPSNR(metrics.PSNR(m, img, 1)))
			bs = max(bs, metrics.SSIM(m, img, c, h, w, 1))
		}
		bestPSNR += bp
		bestSSIM += bs
	}
	f := float64(nv)
	a.metric("psnr", psnr/f)
	a.metric("ssim", ssim/f)
	a.metric("best_psnr", bestPSNR/f)
	a.metric("best_ssim", bestSSIM/f)
	a.res.Recon = append(a.res.Recon, ReconColumn{Title: a.prefix, Images: recon})
	a.headNote()
	a.note("coefficients %s", desc)
	a.note("grouping not needed (decodes each upload alone)")
	a.note("ridge decoder on %d auxiliary training images (alpha %g), %d test victims", aux.N, dec.Alpha, nv)
	a.done()
	return nil
}
