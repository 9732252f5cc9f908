package attacks

import (
	"math"
	"slices"

	"github.com/datamix/harness/metrics"
)

// The SSIM lines of the recovered columns: He, Zhang and Lee (ACSAC 2019) count a
// reconstruction with SSIM below 0.3 as unrecognisable; on MNIST an SSIM of 0.9 or more is the
// digit itself.
const (
	recognisableSSIM = 0.30
	exactSSIM        = 0.90
)

// Reconstructions is the estimate of an attack that reconstructs one image per upload:
// Images[p] is its image of the input behind upload position p (of the first victims, in
// upload order), in [0,1].
type Reconstructions struct {
	Images [][]float32
}

// Predictions is the estimate of an attack that predicts a class per upload: by attribute
// ("label", "ink", …), the class predicted for each upload position (of the first victims, in
// upload order).
type Predictions map[string][]int

// imageScores collects, for one column of reconstructions, the PSNR (capped at maxPSNR) and
// SSIM of each reconstruction scored, in the order scored.
type imageScores struct {
	psnr, ssim []float64
}

// add scores img against the true image x (c×h×w, range 1).
func (s *imageScores) add(x, img []float32, c, h, w int) {
	s.addScores(capPSNR(metrics.PSNR(x, img, 1)), metrics.SSIM(x, img, c, h, w, 1))
}

// addScores adds one reconstruction's PSNR (capped) and SSIM.
func (s *imageScores) addScores(psnr, ssim float64) {
	s.psnr = append(s.psnr, psnr)
	s.ssim = append(s.ssim, ssim)
}

// imageColumns lists the metrics a column of reconstructions writes, after infix ("" or
// "strong_"): the mean PSNR and SSIM, the median PSNR, and the fractions of reconstructions
// with SSIM ≥ 0.30 (recognisable) and ≥ 0.90 (the digit itself).
func imageColumns(infix string) []string {
	return []string{infix + "psnr", infix + "ssim", infix + "psnr_median", infix + "recovered30", infix + "recovered90"}
}

// recordImages writes the metrics of imageColumns(infix) for s. The mean PSNR is of capped
// values (a perfect reconstruction counts 100 dB), which a few exact reconstructions pull up;
// the median is not moved by them unless they are half or more.
func (a *attack) recordImages(infix string, s *imageScores) {
	n := float64(len(s.psnr))
	var psnr, ssim float64
	rec30, rec90 := 0, 0
	for i := range s.psnr {
		psnr += s.psnr[i]
		ssim += s.ssim[i]
		if s.ssim[i] >= recognisableSSIM {
			rec30++
		}
		if s.ssim[i] >= exactSSIM {
			rec90++
		}
	}
	a.metric(infix+"psnr", psnr/n)
	a.metric(infix+"ssim", ssim/n)
	a.metric(infix+"psnr_median", median(s.psnr))
	a.metric(infix+"recovered30", float64(rec30)/n)
	a.metric(infix+"recovered90", float64(rec90)/n)
}

// median returns the median of v (the mean of the middle two for an even count); NaN for none.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	switch {
	case n == 0:
		return math.NaN()
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// recordMSE writes <infix>mse, the mean over s's reconstructions of their mean squared error
// per pixel (range 1), 10^(−PSNR/10): the measure SDAR and UnSplit report. A PSNR capped at
// maxPSNR counts as an error of 10⁻¹⁰, exact up to float32 storage.
func (a *attack) recordMSE(infix string, s *imageScores) {
	var sum float64
	for _, p := range s.psnr {
		sum += math.Pow(10, -p/10)
	}
	a.metric(infix+"mse", sum/float64(len(s.psnr)))
}
