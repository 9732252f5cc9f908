package plot

import (
	"math"
	"testing"

	"github.com/datamix/harness/results"
	"github.com/datamix/harness/results/plot/internal/plottest"
)

// TestAccuracyFigure: accuracy_vs_group_size (drawn by ExampleDraw_accuracyVsGroupSize) is
// skipped with a note when one k is left, and not drawn, silently, when the rows do not vary
// k.
func TestAccuracyFigure(t *testing.T) {
	oneK := plottest.AccuracySweep()
	for _, c := range []string{"s0-k2-1", "s0-k2-2", "s0-k4-1", "s0-k4-2", "s1-k2-1", "s1-k2-2", "s1-k4-1"} {
		plottest.Named(oneK, c).Accuracy = math.NaN()
	}
	plottest.Named(oneK, "s1-k4-2").Accuracy = math.Inf(-1)

	var sameK []results.Row
	for _, r := range plottest.AccuracySweep() {
		if r.GroupSize == 1 {
			sameK = append(sameK, r)
		}
	}

	for _, tc := range []plotCase{
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
			skipped: []string{
				"accuracy_vs_group_size: the DataMix cells with a finite accuracy have 1 group size(s), need 2",
				"privacy_*, defence_matrix, frontier: no DataMix cell was attacked",
			},
		},
		{
			name:  "not drawn: k not varied",
			rows:  sameK,
			plots: []string{"edge_cost_vs_split"},
			skipped: []string{
				"accuracy_vs_group_size: every DataMix cell has k=1",
				"privacy_*, defence_matrix, frontier: no DataMix cell was attacked",
			},
		},
	} {
		tc.run(t)
	}
}
