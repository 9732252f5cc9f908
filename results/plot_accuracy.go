package results

import (
	"fmt"

	"gonum.org/v1/plot"
)

// accuracyVsGroupSize draws accuracy_vs_group_size: the test accuracy against the group
// size k, one line per split (and per any other setting that varies between the DataMix
// configurations), the baselines as dashed reference lines. It is drawn when the DataMix
// rows vary k, and skipped with a note when fewer than two values of k have a finite
// accuracy.
func (pl *drawing) accuracyVsGroupSize() {
	const fig = "accuracy_vs_group_size"
	q := accuracyQ()
	if len(distinct(present(pl.rows, q), "group_size")) < 2 {
		return // the rows do not vary k
	}
	rows := pl.usable(fig, pl.rows, false, q)
	xs := distinct(rows, "group_size")
	if len(xs) < 2 {
		pl.note("%s: not drawn: the DataMix cells with a finite accuracy have %d group size(s), need 2", fig, len(xs))
		return
	}
	ss := splitSeries(rows, "group_size", q)
	p := newPlot(fmt.Sprintf("%sTest accuracy vs group size (%s)", datasetTitle(rows), seedNote(ss)),
		"group size k (inputs mixed together)", "test accuracy (%)")
	intAxis(p, xs)
	if err := pl.addSeries(p, ss, false); err != nil {
		pl.failed(fig, err)
		return
	}
	if err := pl.baselineRefs(fig, p, q); err != nil {
		pl.failed(fig, err)
		return
	}
	legendRoom(p, pl.entries[p], true)
	pl.figs = append(pl.figs, figure{name: fig, w: figW, h: figH, plots: []*plot.Plot{p}})
}
