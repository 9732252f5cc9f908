package plot

import (
	"math"
	"slices"
	"testing"

	"github.com/datamix/harness/results"
)

// accuracyRows are a hand-made sweep of k ∈ {1, 2, 4} at splits 0 and 1, two seeds, with a
// baseline per seed.
func accuracyRows() []results.Row {
	rows := []results.Row{fixtureBaseline(1, 0.9931), fixtureBaseline(2, 0.9925)}
	for _, c := range []struct {
		split, k int
		acc      [2]float64 // seeds 1 and 2
	}{
		{0, 1, [2]float64{0.9928, 0.9930}},
		{0, 2, [2]float64{0.9675, 0.9689}},
		{0, 4, [2]float64{0.9050, 0.9081}},
		{1, 1, [2]float64{0.9931, 0.9925}},
		{1, 2, [2]float64{0.9876, 0.9862}},
		{1, 4, [2]float64{0.9780, 0.9761}},
	} {
		for i, acc := range c.acc {
			rows = append(rows, fixtureRow(c.split, c.k, uint64(i+1), acc, nil))
		}
	}
	return rows
}

// withShuffleOff adds to the DataMix cells with k > 1 of rows a copy without shuffling, named
// <cell>-off: at split 0 a point less accurate, elsewhere as accurate (their lines coincide).
func withShuffleOff(rows []results.Row) []results.Row {
	out := slices.Clone(rows)
	for _, r := range rows {
		if r.IsBaseline() || r.GroupSize == 1 {
			continue
		}
		r.Cell += "-off"
		r.Shuffle = false
		if r.Split == 0 {
			r.Accuracy -= 0.01
		}
		out = append(out, r)
	}
	return out
}

// TestAccuracyFigure draws accuracy_vs_group_size — lines by split, shuffling off as thick pale
// lines, the coinciding ones named beside — and compares it with its golden image, with a NaN
// cell left out; it is skipped with a note when one k is left, and not drawn, silently, when
// the rows do not vary k.
func TestAccuracyFigure(t *testing.T) {
	withNaN := withShuffleOff(accuracyRows())
	cellNamed(withNaN, "s0-k4-2").Accuracy = math.NaN()

	oneK := accuracyRows()
	for _, c := range []string{"s0-k2-1", "s0-k2-2", "s0-k4-1", "s0-k4-2", "s1-k2-1", "s1-k2-2", "s1-k4-1"} {
		cellNamed(oneK, c).Accuracy = math.NaN()
	}
	cellNamed(oneK, "s1-k4-2").Accuracy = math.Inf(-1)

	var sameK []results.Row
	for _, r := range accuracyRows() {
		if r.GroupSize == 1 {
			sameK = append(sameK, r)
		}
	}

	for _, tc := range []plotCase{
		{
			name:  "a NaN cell left out",
			rows:  withNaN,
			plots: []string{"accuracy_vs_group_size", "edge_cost_vs_split"},
			notes: []string{
				"cell s0-k4-2 (datamix split 0 k=4, seed 2): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
			},
			golden: []string{"accuracy_vs_group_size"},
		},
		{
			name:  "skipped: one k left",
			rows:  oneK,
			plots: []string{"edge_cost_vs_split"},
			notes: []string{
				"cell s0-k2-1 (datamix split 0 k=2, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"cell s0-k2-2 (datamix split 0 k=2, seed 2): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"cell s0-k4-1 (datamix split 0 k=4, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"cell s0-k4-2 (datamix split 0 k=4, seed 2): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"cell s1-k2-1 (datamix split 1 k=2, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"cell s1-k2-2 (datamix split 1 k=2, seed 2): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"cell s1-k4-1 (datamix split 1 k=4, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"cell s1-k4-2 (datamix split 1 k=4, seed 2): accuracy is -Inf, left out of accuracy_vs_group_size, edge_cost_vs_split",
				"accuracy_vs_group_size: not drawn: the DataMix cells with a finite accuracy have 1 group size(s), need 2",
			},
		},
		{
			name:  "not drawn: k not varied",
			rows:  sameK,
			plots: []string{"edge_cost_vs_split"},
		},
	} {
		tc.run(t)
	}
}
