package plot

import (
	"math"
	"strings"
	"testing"

	"github.com/datamix/harness/results"
)

// attackRows are a hand-made sweep of k ∈ {1, 2, 4} at splits 0 and 1, two seeds, with a
// baseline per seed. The cells with k > 1 carry the metrics of an attack "ica" with four
// columns and a chance level far below them (a figure of two columns of panels, the chance
// given in the panel's title), and the metrics of an attack "output" whose chance level is
// near them (a chance line); those with k = 2 the metric of an attack "inversion" (a figure
// against the split).
func attackRows() []results.Row {
	rows := []results.Row{fixtureBaseline(1, 0.9931), fixtureBaseline(2, 0.9925)}
	for _, c := range []struct {
		split, k int
		acc      float64            // seed 1; seed 2 is 0.1 points lower
		m        map[string]float64 // seed 1; seed 2 is 2% lower but for the chance level
	}{
		{0, 1, 0.9928, nil},
		{0, 2, 0.9639, map[string]float64{"ica_corr": 0.940, "ica_ssim": 0.731, "ica_psnr": 18.2, "ica_label_acc": 0.760, "ica_label_chance": 0.140, "inversion_ssim": 0.758, "output_acc": 0.45, "output_chance": 0.36}},
		{0, 4, 0.9058, map[string]float64{"ica_corr": 0.848, "ica_ssim": 0.513, "ica_psnr": 14.9, "ica_label_acc": 0.634, "ica_label_chance": 0.120, "output_acc": 0.40, "output_chance": 0.36}},
		{1, 1, 0.9924, nil},
		{1, 2, 0.9869, map[string]float64{"ica_corr": 0.960, "ica_ssim": 0.820, "ica_psnr": 20.1, "ica_label_acc": 0.876, "ica_label_chance": 0.140, "inversion_ssim": 0.707, "output_acc": 0.47, "output_chance": 0.36}},
		{1, 4, 0.9772, map[string]float64{"ica_corr": 0.928, "ica_ssim": 0.794, "ica_psnr": 19.4, "ica_label_acc": 0.740, "ica_label_chance": 0.120, "output_acc": 0.42, "output_chance": 0.36}},
	} {
		for seed := uint64(1); seed <= 2; seed++ {
			var m map[string]float64
			if c.m != nil {
				m = map[string]float64{}
				for name, v := range c.m {
					if seed == 2 && !strings.HasSuffix(name, "_chance") {
						v *= 0.98
					}
					m[name] = v
				}
			}
			rows = append(rows, fixtureRow(c.split, c.k, seed, c.acc-0.001*float64(seed-1), m))
		}
	}
	return rows
}

// TestPrivacyFigures draws privacy_ica_vs_group_size (four panels in two columns, a chance
// level off the axis), privacy_output_vs_group_size (a chance line) and
// privacy_inversion_vs_split and compares them with their golden images, with a NaN cell
// left out; a metric finite at one value of the x axis loses its panel with a
// note, and an attack whose only panel goes loses its figure.
func TestPrivacyFigures(t *testing.T) {
	withNaN := attackRows()
	cellNamed(withNaN, "s0-k4-1").Metrics["ica_ssim"] = math.NaN()

	lost := attackRows()
	for _, c := range []string{"s0-k4-1", "s0-k4-2", "s1-k4-1", "s1-k4-2"} {
		cellNamed(lost, c).Metrics["ica_psnr"] = math.NaN()
	}
	for _, c := range []string{"s1-k2-1", "s1-k2-2"} {
		cellNamed(lost, c).Metrics["inversion_ssim"] = math.Inf(1)
	}

	for _, tc := range []plotCase{
		{
			name: "a NaN cell left out",
			rows: withNaN,
			plots: []string{"accuracy_vs_group_size", "edge_cost_vs_split", "privacy_ica_vs_group_size", "privacy_inversion_vs_split",
				"privacy_output_vs_group_size", "defence_matrix", "frontier"},
			notes: []string{
				"cell s0-k4-1 (datamix split 0 k=4, seed 1): ica_ssim is NaN, left out of privacy_ica_vs_group_size, defence_matrix, frontier",
			},
			golden: []string{"privacy_ica_vs_group_size", "privacy_inversion_vs_split", "privacy_output_vs_group_size"},
		},
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
