package plot

import (
	"math"
	"testing"

	"github.com/datamix/harness/results/plot/internal/plottest"
)

// TestEdgeCostFigure: edge_cost_vs_split (drawn by ExampleDraw_edgeCostVsSplit) is skipped
// with a note when one split is left, and not drawn, silently, when the rows do not vary the
// split.
func TestEdgeCostFigure(t *testing.T) {
	oneSplit := plottest.CostSweep()[:6] // the baselines, splits 0 and 1
	plottest.Named(oneSplit, "s1-k2-1").Accuracy = math.NaN()
	plottest.Named(oneSplit, "s1-k2-2").Accuracy = math.NaN()

	sameSplit := plottest.CostSweep()[:4] // the baselines and split 0

	for _, tc := range []plotCase{
		{
			name: "skipped: one split left",
			rows: oneSplit,
			notes: []string{
				"cell s1-k2-1 (datamix split 1 k=2, seed 1): accuracy is NaN, left out of edge_cost_vs_split",
				"cell s1-k2-2 (datamix split 1 k=2, seed 2): accuracy is NaN, left out of edge_cost_vs_split",
				"edge_cost_vs_split: not drawn: the DataMix cells with a finite accuracy have 1 split(s), need 2",
			},
		},
		{
			name: "not drawn: split not varied",
			rows: sameSplit,
			skipped: []string{
				"accuracy_vs_group_size: every DataMix cell has k=2",
				"edge_cost_vs_split: every DataMix cell has split 0",
				"privacy_*, defence_matrix, frontier: no DataMix cell was attacked",
			},
		},
	} {
		tc.run(t)
	}
}
