package plot

import (
	"testing"
)

// TestCellUnit names the measure of each kind of attack column as the heat map's headers do.
func TestCellUnit(t *testing.T) {
	for cell, want := range map[string]string{
		"ica_ssim":              "SSIM",
		"inversion_recovered30": "share ≥ 0.30",
		"shadow_recovered90":    "share ≥ 0.90",
		"attr_male_advantage":   "advantage",
		"group_match_acc":       "accuracy",
	} {
		if got := cellUnit(cell); got != want {
			t.Errorf("cellUnit(%s) = %q, want %q", cell, got, want)
		}
	}
}
