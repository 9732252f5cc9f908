package plot

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/datamix/harness/results"
)

// accuracyVsGroupSize draws accuracy_vs_group_size: the test accuracy against the group
// size k, one line per split (and per any other setting that varies between the DataMix
// configurations; see seriesStyle), the baselines as dashed reference lines. It is drawn when
// the DataMix rows vary k, and skipped with a note when fewer than two values of k have a
// finite accuracy.
func (pl *drawing) accuracyVsGroupSize() {
	const fig = "accuracy_vs_group_size"
	q := accuracyQ()
	if have := present(pl.rows, q); len(distinct(have, "group_size")) < 2 {
		pl.skip(fig, unvaried(have, "group_size"))
		return
	}
	rows := pl.usable(fig, pl.rows, false, q)
	xs := distinct(rows, "group_size")
	if len(xs) < 2 {
		pl.notDrawn(fig, "the DataMix cells with a finite accuracy have %d group size(s), need 2", len(xs))
		return
	}
	st := newSeriesStyle(results.GroupBySeeds(rows), "group_size")
	ss := st.split(rows, q)
	p := newPlot("", "group size k (inputs mixed together)", "test accuracy (%)")
	intAxis(p, xs)
	if err := pl.accuracyLines(fig, p, ss, st); err != nil {
		pl.failed(fig, err)
		return
	}
	side := []block{legendBlock{st.legendWith(pl.items[p])}}
	if c := coincidence(p, ss, st); c != "" {
		side = append(side, textBlock{text: "Lines that coincide: " + c + ".", grey: true})
	}
	pl.figs = append(pl.figs, figure{
		name:  fig,
		title: fmt.Sprintf("%sTest accuracy vs group size (%s)", datasetTitle(rows), seedNote(ss)),
		plots: []*plot.Plot{p}, panelW: figW, panelH: figH, side: side,
	})
}

// accuracyLines draws in p the accuracy series ss in the styles of st and the baselines'
// accuracies as reference lines (see baselines; cells with a non-finite accuracy are left out
// of the figure fig with a note), on a y axis that holds them all within 0 to 100%.
func (pl *drawing) accuracyLines(fig string, p *plot.Plot, ss []series, st seriesStyle) error {
	base := pl.baselines(fig, accuracyQ())
	r := newYRange()
	r.addSeries(ss)
	for _, b := range base {
		r.add(b.y)
	}
	setY(p, r, percentBounds)
	if err := pl.addSeries(p, ss, st, false); err != nil {
		return err
	}
	for _, b := range base {
		if err := pl.addRef(p, b); err != nil {
			return err
		}
	}
	return nil
}
