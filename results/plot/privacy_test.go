package plot

import (
	"math"
	"testing"

	"github.com/datamix/harness/results/plot/internal/plottest"
)

// TestPrivacyFigures: of the attack figures (drawn by ExampleDraw_privacy), a metric finite at
// one value of the x axis loses its panel with a note, and an attack whose only panel goes
// loses its figure.
func TestPrivacyFigures(t *testing.T) {
	lost := plottest.AttackSweep()
	for _, c := range []string{"s0-k4-1", "s0-k4-2", "s1-k4-1", "s1-k4-2"} {
		plottest.Named(lost, c).Metrics["ica_psnr"] = math.NaN()
	}
	for _, c := range []string{"s1-k2-1", "s1-k2-2"} {
		plottest.Named(lost, c).Metrics["inversion_ssim"] = math.Inf(1)
	}

	for _, tc := range []plotCase{
		{
			name: "skipped: a panel and a figure",
			rows: lost,
			plots: []string{"accuracy_vs_group_size", "edge_cost_vs_split", "privacy_ica_vs_group_size", "privacy_output_vs_group_size",
				"defence_matrix", "frontier"},
			notes: []string{
				"cell s0-k4-1 (datamix split 0 k=4, seed 1): ica_psnr is NaN, left out of privacy_ica_vs_group_size",
				"cell s0-k4-2 (datamix split 0 k=4, seed 2): ica_psnr is NaN, left out of privacy_ica_vs_group_size",
				"cell s1-k4-1 (datamix split 1 k=4, seed 1): ica_psnr is NaN, left out of privacy_ica_vs_group_size",
				"cell s1-k4-2 (datamix split 1 k=4, seed 2): ica_psnr is NaN, left out of privacy_ica_vs_group_size",
				"cell s1-k2-1 (datamix split 1 k=2, seed 1): inversion_ssim is +Inf, left out of privacy_inversion_vs_split, defence_matrix, frontier",
				"cell s1-k2-2 (datamix split 1 k=2, seed 2): inversion_ssim is +Inf, left out of privacy_inversion_vs_split, defence_matrix, frontier",
				"privacy_ica_vs_group_size: panel ica_psnr not drawn: the cells with a finite ica_psnr have one value of group_size",
				"privacy_inversion_vs_split: panel inversion_ssim not drawn: the cells with a finite inversion_ssim have one value of split",
			},
			skipped: []string{
				"privacy_inversion_vs_split: no metric of the attack has finite values at two values of split or more",
			},
		},
	} {
		tc.run(t)
	}
}

func TestAttackOf(t *testing.T) {
	topics := []string{"attacks", "ica", "ica_oracle", "inversion"}
	for m, want := range map[string]string{
		"ica_corr":          "ica",
		"ica_oracle_corr":   "ica_oracle",
		"inversion_ssim":    "inversion",
		"group_match_acc":   "group", // no notes on it: the first word
		"attr_label_chance": "attr",
	} {
		if got := attackOf(m, topics); got != want {
			t.Errorf("attackOf(%s) = %s, want %s", m, got, want)
		}
	}
}
