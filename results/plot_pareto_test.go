package results

import (
	"math"
	"slices"
	"testing"
)

// paretoRows are a hand-made sweep of the split (0, 1, 2) and k (2, 4), one seed, with a
// baseline: three *_ssim columns (inversion_blind_ssim at split 0 only) and two attributes
// with their chance levels. The Pareto front holds two of the six points for SSIM and five
// for the attributes; no two points tie.
func paretoRows() []Row {
	rows := []Row{fixtureBaseline(1, 0.9931)}
	for _, c := range []struct {
		split, k int
		acc      float64
		m        map[string]float64
	}{
		{0, 2, 0.9639, map[string]float64{"inversion_ssim": 0.758, "ica_ssim": 1, "inversion_blind_ssim": 0.720,
			"attr_digit_acc": 0.760, "attr_digit_chance": 0.140, "attr_ink_acc": 0.888, "attr_ink_chance": 0.610}},
		{0, 4, 0.9058, map[string]float64{"inversion_ssim": 0.611, "ica_ssim": 1, "inversion_blind_ssim": 0.590,
			"attr_digit_acc": 0.634, "attr_digit_chance": 0.120, "attr_ink_acc": 0.796, "attr_ink_chance": 0.594}},
		{1, 2, 0.9869, map[string]float64{"inversion_ssim": 0.707, "ica_ssim": 0.871,
			"attr_digit_acc": 0.876, "attr_digit_chance": 0.140, "attr_ink_acc": 0.852, "attr_ink_chance": 0.610}},
		{1, 4, 0.9772, map[string]float64{"inversion_ssim": 0.575, "ica_ssim": 0.870,
			"attr_digit_acc": 0.742, "attr_digit_chance": 0.120, "attr_ink_acc": 0.786, "attr_ink_chance": 0.594}},
		{2, 2, 0.9898, map[string]float64{"inversion_ssim": 0.631, "ica_ssim": 0.760,
			"attr_digit_acc": 0.922, "attr_digit_chance": 0.140, "attr_ink_acc": 0.862, "attr_ink_chance": 0.610}},
		{2, 4, 0.9894, map[string]float64{"inversion_ssim": 0.523, "ica_ssim": 0.700,
			"attr_digit_acc": 0.754, "attr_digit_chance": 0.120, "attr_ink_acc": 0.806, "attr_ink_chance": 0.594}},
	} {
		rows = append(rows, fixtureRow(c.split, c.k, 1, c.acc, c.m))
	}
	return rows
}

// TestParetoFigures draws pareto_ssim and pareto_attribute and compares them with their
// golden images, with a NaN attribute cell left out of the second; a leakage left with one
// configuration skips its figure with a note.
func TestParetoFigures(t *testing.T) {
	withNaN := paretoRows()
	cellNamed(withNaN, "s1-k4-1").Metrics["attr_ink_acc"] = math.NaN()

	oneLeft := []Row{fixtureBaseline(1, 0.9931),
		fixtureRow(1, 2, 1, 0.9869, map[string]float64{"ica_ssim": 0.871}),
		fixtureRow(1, 4, 1, 0.9772, map[string]float64{"ica_ssim": math.NaN()}),
	}

	for _, tc := range []plotCase{
		{
			name: "a NaN cell left out",
			rows: withNaN,
			plots: []string{"accuracy_vs_group_size", "edge_cost_vs_split", "privacy_attr_vs_group_size", "privacy_ica_vs_group_size",
				"privacy_inversion_vs_group_size", "pareto_ssim", "pareto_attribute"},
			notes: []string{
				"cell s1-k4-1 (datamix split 1 k=4, seed 1): attr_ink_acc is NaN, left out of privacy_attr_vs_group_size",
				"cell s1-k4-1 (datamix split 1 k=4, seed 1): the best attribute accuracy above chance is NaN, left out of pareto_attribute",
			},
			golden: []string{"pareto_ssim", "pareto_attribute"},
		},
		{
			name:  "skipped: one configuration left",
			rows:  oneLeft,
			plots: []string{"accuracy_vs_group_size"},
			notes: []string{
				"cell s1-k4-1 (datamix split 1 k=4, seed 1): ica_ssim is NaN, left out of privacy_ica_vs_group_size",
				"cell s1-k4-1 (datamix split 1 k=4, seed 1): the best reconstruction's SSIM is NaN, left out of pareto_ssim",
				"privacy_ica_vs_group_size: panel ica_ssim not drawn: the cells with a finite ica_ssim have one value of group_size",
				"pareto_ssim: not drawn: 1 configuration(s) have a finite accuracy and the best reconstruction's SSIM, need 2",
			},
		},
	} {
		tc.run(t)
	}
}

func TestFront(t *testing.T) {
	pts := []paretoPoint{
		{leak: 0.9, acc: 99}, // front: most accurate
		{leak: 0.5, acc: 97}, // front
		{leak: 0.6, acc: 96}, // dominated by the one above
		{leak: 0.1, acc: 90}, // front: least leakage
		{leak: 0.1, acc: 85}, // dominated: same leakage, less accurate
	}
	if got, want := front(pts), []int{3, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("front = %v, want %v", got, want)
	}
}
