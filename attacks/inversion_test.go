package attacks

import (
	"strings"
	"testing"
)

// The inversion attack's sanity check: at split 0, k = 1, the upload is the image
// and the decoder learns the identity; SSIM must reach 0.9.
func TestInversionSplit0K1Reconstructs(t *testing.T) {
	env := pixelEnv(t, 200, 1, 200, false, 1)
	res := run(t, Spec{Kind: KindInversion, HeadWeights: true}, env)
	if s := res.Metrics["inversion_ssim"]; !(s >= 0.9) {
		t.Errorf("inversion_ssim = %g, want ≥ 0.9 (notes: %v)", s, res.Notes)
	}
	if !strings.HasPrefix(res.Notes["inversion"], "setting: ") {
		t.Errorf("notes %q, want the setting", res.Notes["inversion"])
	}
	if len(res.Recon) != 1 || len(res.Recon[0].Images) != 200 {
		t.Errorf("reconstructions for the grid missing")
	}
}
