package plot

import (
	"math"
	"strings"
	"testing"

	"github.com/datamix/harness/results"
)

// defenceRows are a hand-made defence sweep at split 1, k = 2, shuffled, two seeds, with a
// baseline per seed: no defence, Gaussian noise at two strengths and 4-bit quantisation (which
// cuts the upload 8×), and no defence at split 0. Each cell carries a reconstruction attack
// with its recovered shares (inversion), one without (ica, with an oracle-aligned column the
// matrix leaves out), two inference attacks with chance levels (attr_label, output) and group
// matching (no chance level). Seed 2's attack metrics are 2% lower but for the chance levels.
func defenceRows() []results.Row {
	rows := []results.Row{fixtureBaseline(1, 0.9931), fixtureBaseline(2, 0.9925)}
	for _, c := range []struct {
		defence string
		split   int
		acc     [2]float64 // seeds 1 and 2
		edge    int64      // edge FLOPs per input
		upload  int64
		inv     [3]float64 // inversion SSIM, share ≥ 0.30, share ≥ 0.90
		ica     float64
		attr    float64
		output  float64
		match   float64
	}{
		{"", 0, [2]float64{0.9675, 0.9689}, 6_220, 3136, [3]float64{0.76, 0.99, 0.31}, 0.74, 0.76, 0.93, 1},
		{"", 1, [2]float64{0.9876, 0.9862}, 677_000, 12544, [3]float64{0.71, 0.96, 0.10}, 0.82, 0.86, 0.95, 1},
		{"gaussian σ=0.5", 1, [2]float64{0.9810, 0.9795}, 690_000, 12544, [3]float64{0.52, 0.80, 0}, 0.40, 0.70, 0.91, 0.35},
		{"gaussian σ=1", 1, [2]float64{0.9650, 0.9630}, 690_000, 12544, [3]float64{0.35, 0.45, 0}, 0.22, 0.52, 0.84, 0.05},
		{"quant 4 bit", 1, [2]float64{0.9860, 0.9851}, 684_000, 1568, [3]float64{0.69, 0.95, 0.08}, 0.75, 0.84, 0.95, 1},
	} {
		for i, acc := range c.acc {
			seed := uint64(i + 1)
			f := 1 - 0.02*float64(i)
			r := fixtureRow(c.split, 2, seed, acc, map[string]float64{
				"inversion_ssim": f * c.inv[0], "inversion_recovered30": f * c.inv[1], "inversion_recovered90": f * c.inv[2],
				"ica_ssim": f * c.ica, "ica_oracle_ssim": math.Min(1, f*(c.ica+0.1)),
				"attr_label_acc": f * c.attr, "attr_label_chance": 0.131,
				"output_acc": f * c.output, "output_chance": 0.131,
				"group_match_acc": f * c.match, "group_match_ari": f * c.match,
			})
			r.Defence = c.defence
			r.Cell = strings.ReplaceAll(r.Cell, "k2", "k2-"+strings.ReplaceAll(strings.ReplaceAll(c.defence, " ", ""), "σ=", ""))
			r.EdgeFLOPs, r.UploadBytesPerSample = c.edge, c.upload
			r.EdgeFLOPsFrac = float64(c.edge) / 6.1e6
			rows = append(rows, r)
		}
	}
	return rows
}

// TestMatrixFigure draws defence_matrix (and the frontier) of the defence sweep and compares
// them with their golden images, with a NaN cell left out of both.
func TestMatrixFigure(t *testing.T) {
	rows := defenceRows()
	cellNamed(rows, "s1-k2-gaussian1-2").Metrics["ica_ssim"] = math.NaN()
	plotCase{
		name:  "a NaN cell left out",
		rows:  rows,
		plots: []string{"edge_cost_vs_split", "privacy_attr_vs_split", "privacy_group_vs_split", "privacy_ica_vs_split", "privacy_inversion_vs_split", "privacy_output_vs_split", "defence_matrix", "frontier"},
		notes: []string{
			"cell s1-k2-gaussian1-2 (datamix split 1 k=2, seed 2): ica_ssim is NaN, left out of privacy_ica_vs_split, defence_matrix, frontier",
		},
		golden: []string{"defence_matrix", "frontier"},
	}.run(t)
}

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
