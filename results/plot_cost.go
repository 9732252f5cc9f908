package results

import (
	"fmt"

	"gonum.org/v1/plot"
)

// paperEdgeBound is the bound, in percent, that the DataMix paper's headline claim puts on
// the edge's share of the FLOPs: the edge does under 20% of the work, with negligible loss
// of accuracy.
const paperEdgeBound = 20

// costXLabel is the x axis of the panels of edge_cost_vs_split.
const costXLabel = "split point (blocks on the edge before mixing)"

// edgeCostVsSplit draws edge_cost_vs_split: three aligned panels against the split point,
// the edge's FLOPs share, the bytes per input and the accuracy (see flopsPanel, bytesPanel
// and splitAccuracyPanel). It is drawn when the DataMix rows vary the split, and skipped
// with a note when fewer than two splits have a finite accuracy.
func (pl *drawing) edgeCostVsSplit() {
	const fig = "edge_cost_vs_split"
	acc := accuracyQ()
	if len(distinct(present(pl.rows, acc), "split")) < 2 {
		return // the rows do not vary the split
	}
	rows := pl.usable(fig, pl.rows, false, acc)
	xs := distinct(rows, "split")
	if len(xs) < 2 {
		pl.note("%s: not drawn: the DataMix cells with a finite accuracy have %d split(s), need 2", fig, len(xs))
		return
	}
	var panels []*plot.Plot
	for _, panel := range []func(fig string, rows []Row, xs []float64) (*plot.Plot, error){
		pl.flopsPanel, pl.bytesPanel, pl.splitAccuracyPanel,
	} {
		p, err := panel(fig, rows, xs)
		if err != nil {
			pl.failed(fig, err)
			return
		}
		panels = append(panels, p)
	}
	for _, p := range panels {
		legendRoom(p, pl.entries[p], true)
	}
	pl.figs = append(pl.figs, figure{name: fig, w: figW, h: 3 * panelH, plots: panels})
}

// flopsPanel draws the edge's share of the FLOPs (in percent) of rows against the split
// points xs, with the paper's bound as a reference line; it carries the figure's title.
func (pl *drawing) flopsPanel(_ string, rows []Row, xs []float64) (*plot.Plot, error) {
	flops := quantity{"edge FLOPs share", func(r Row) (float64, bool) { return 100 * r.EdgeFLOPsFrac, true }}
	p := newPlot(datasetTitle(rows)+"Edge cost and accuracy vs split point", costXLabel, "edge share of FLOPs (%)")
	intAxis(p, xs)
	p.Y.Min = 0
	if err := pl.addSeries(p, splitSeries(rows, "split", flops), false); err != nil {
		return nil, err
	}
	if err := pl.refLine(p, paperEdgeBound, "20% (the paper's bound)", greys[0]); err != nil {
		return nil, err
	}
	return p, nil
}

// bytesPanel draws the bytes uploaded (solid) and downloaded (dashed) per input of rows
// against the split points xs.
func (pl *drawing) bytesPanel(_ string, rows []Row, xs []float64) (*plot.Plot, error) {
	up := quantity{"upload bytes", func(r Row) (float64, bool) { return float64(r.UploadBytesPerSample), true }}
	down := quantity{"download bytes", func(r Row) (float64, bool) { return float64(r.DownloadBytesPerSample), true }}
	p := newPlot("", costXLabel, "bytes per input (float32)")
	intAxis(p, xs)
	p.Y.Min = 0
	ssU, ssD := splitSeries(rows, "split", up), splitSeries(rows, "split", down)
	for i := range ssU {
		ssU[i].label = "upload, " + ssU[i].label
		ssD[i].label = "download, " + ssD[i].label
	}
	if err := pl.addSeries(p, ssU, false); err != nil {
		return nil, err
	}
	if err := pl.addSeries(p, ssD, true); err != nil {
		return nil, err
	}
	return p, nil
}

// splitAccuracyPanel draws the test accuracy of rows against the split points xs, the
// baselines as reference lines; its y label says over how many seeds.
func (pl *drawing) splitAccuracyPanel(fig string, rows []Row, xs []float64) (*plot.Plot, error) {
	acc := accuracyQ()
	ss := splitSeries(rows, "split", acc)
	p := newPlot("", costXLabel, fmt.Sprintf("test accuracy (%%), %s", seedNote(ss)))
	intAxis(p, xs)
	if err := pl.addSeries(p, ss, false); err != nil {
		return nil, err
	}
	if err := pl.baselineRefs(fig, p, acc); err != nil {
		return nil, err
	}
	return p, nil
}
