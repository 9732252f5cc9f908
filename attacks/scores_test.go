package attacks

import (
	"math"
	"testing"
)

// The recovery columns count reconstructions at or above 0.30 and 0.90 SSIM; the median PSNR
// is not pulled up by the one exact reconstruction (capped at 100 dB) that moves the mean.
func TestRecordImages(t *testing.T) {
	a := &attack{prefix: "x", res: &Result{Metrics: map[string]float64{}}}
	var s imageScores
	for _, v := range []struct{ psnr, ssim float64 }{{12, 0.1}, {15, 0.3}, {18, 0.5}, {100, 0.95}} {
		s.addScores(v.psnr, v.ssim)
	}
	a.recordImages("strong_", &s)
	for name, want := range map[string]float64{
		"x_strong_psnr":        (12 + 15 + 18 + 100) / 4.0,
		"x_strong_ssim":        (0.1 + 0.3 + 0.5 + 0.95) / 4,
		"x_strong_psnr_median": 16.5,
		"x_strong_recovered30": 0.75,
		"x_strong_recovered90": 0.25,
	} {
		if got := a.res.Metrics[name]; math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median of nothing = %v, want NaN", got)
	}
}
