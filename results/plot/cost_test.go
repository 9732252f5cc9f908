package plot

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/datamix/harness/results"
)

// costRows are a hand-made sweep of the split at k = 2, two seeds, with a baseline per seed.
func costRows() []results.Row {
	rows := []results.Row{fixtureBaseline(1, 0.9931), fixtureBaseline(2, 0.9925)}
	for split, acc := range [][2]float64{ // seeds 1 and 2
		{0.9674, 0.9680},
		{0.9882, 0.9873},
		{0.9917, 0.9921},
	} {
		for i, a := range acc {
			rows = append(rows, fixtureRow(split, 2, uint64(i+1), a, nil))
		}
	}
	return rows
}

// withK4 adds to costRows the same sweep at k = 4, two points less accurate at split 0 and
// one at the others: the FLOPs and bytes, set by the split alone, coincide.
func withK4(rows []results.Row) []results.Row {
	out := slices.Clone(rows)
	for _, r := range rows {
		if r.IsBaseline() {
			continue
		}
		r.Cell = fmt.Sprintf("s%d-k4-%d", r.Split, r.Seed)
		r.GroupSize = 4
		r.Accuracy -= 0.01
		if r.Split == 0 {
			r.Accuracy -= 0.01
		}
		out = append(out, r)
	}
	return out
}

// TestEdgeCostFigure draws edge_cost_vs_split (k = 2 and 4: one line for the FLOPs and the
// bytes, which the split alone sets, two for the accuracy) and compares it with its golden
// image, with a NaN cell left out of all three panels; it is skipped with a note when one split is left,
// and not drawn, silently, when the rows do not vary the split.
func TestEdgeCostFigure(t *testing.T) {
	withNaN := withK4(costRows())
	cellNamed(withNaN, "s2-k2-1").Accuracy = math.NaN()

	oneSplit := costRows()[:6] // the baselines, splits 0 and 1
	cellNamed(oneSplit, "s1-k2-1").Accuracy = math.NaN()
	cellNamed(oneSplit, "s1-k2-2").Accuracy = math.NaN()

	sameSplit := costRows()[:4] // the baselines and split 0

	for _, tc := range []plotCase{
		{
			name:  "a NaN cell left out",
			rows:  withNaN,
			plots: []string{"accuracy_vs_group_size", "edge_cost_vs_split"},
			notes: []string{
				"cell s2-k2-1 (datamix split 2 k=2, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split",
			},
			golden: []string{"edge_cost_vs_split"},
		},
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
		},
	} {
		tc.run(t)
	}
}
