package plot

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/datamix/harness/results"
)

// paperEdgeBound is the bound, in percent, that the DataMix paper's headline claim puts on
// the edge's share of the FLOPs: the edge does under 20% of the work, with negligible loss
// of accuracy.
const paperEdgeBound = 20

// costXLabel is the x axis of the panels of edge_cost_vs_split.
const costXLabel = "split point (blocks on the edge before mixing)"

// edgeCostVsSplit draws edge_cost_vs_split: three aligned panels against the split point,
// the edge's FLOPs share, the bytes per input and the accuracy (see flopsPanel, bytesPanel
// and splitAccuracyPanel), each with its legend beside it (the legend of the series beside
// the first panel that draws them). It is drawn when the DataMix rows
// vary the split, and skipped with a note when fewer than two splits have a finite accuracy.
func (pl *drawing) edgeCostVsSplit() {
	const fig = "edge_cost_vs_split"
	acc := accuracyQ()
	if have := present(pl.rows, acc); len(distinct(have, "split")) < 2 {
		pl.skip(fig, unvaried(have, "split"))
		return
	}
	rows := pl.usable(fig, pl.rows, false, acc)
	xs := distinct(rows, "split")
	if len(xs) < 2 {
		pl.notDrawn(fig, "the DataMix cells with a finite accuracy have %d split(s), need 2", len(xs))
		return
	}
	st := newSeriesStyle(results.GroupBySeeds(rows), "split")
	f := figure{name: fig, title: datasetTitle(rows) + "Edge cost and accuracy vs split point",
		panelW: figW, panelH: stackH, rowSide: map[int][]block{}}
	styledRow := -1 // the first panel that draws the series in their own styles
	for i, panel := range []func(fig string, rows []results.Row, xs []float64, st seriesStyle) (*plot.Plot, bool, []block, error){
		pl.flopsPanel, pl.bytesPanel, pl.splitAccuracyPanel,
	} {
		p, own, notes, err := panel(fig, rows, xs, st)
		if err != nil {
			pl.failed(fig, err)
			return
		}
		f.plots = append(f.plots, p)
		items := pl.items[p]
		if own && styledRow < 0 {
			styledRow = i
			items = st.legendWith(items)
		}
		if len(items) > 0 {
			f.rowSide[i] = append(f.rowSide[i], legendBlock{items})
		}
		f.rowSide[i] = append(f.rowSide[i], notes...)
	}
	pl.figs = append(pl.figs, f)
}

// costPanel draws the quantities qs of rows against the split points xs in p, its y axis
// showing them, b's lower bound and the values also: when every series of a quantity
// coincides (a cost set by the split alone), one black line labelled by the quantity's name
// (dashed when its index is odd); else the series in their styles. It returns whether it drew
// styled series, and the note on coinciding lines.
func (pl *drawing) costPanel(p *plot.Plot, rows []results.Row, st seriesStyle, qs []quantity, b bounds, also ...float64) (bool, []block, error) {
	sss := make([][]series, len(qs))
	r := newYRange()
	for i, q := range qs {
		sss[i] = st.split(rows, q)
		r.addSeries(sss[i])
	}
	r.add(b.lo)
	r.add(also...)
	setY(p, r, b)
	styled := false
	var notes []block
	for i, ss := range sss {
		c := coincidence(p, ss, st)
		dashed := i%2 == 1
		if len(ss) == 1 || c == "all lines coincide" {
			ls := draw.LineStyle{Color: color.Black, Width: thinWidth}
			if dashed {
				ls.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			gs := draw.GlyphStyle{Color: color.Black, Radius: thinRadius, Shape: draw.CircleGlyph{}}
			if err := addLine(p, ss[0], ls, gs); err != nil {
				return false, nil, err
			}
			label := qs[i].what
			if len(ss) > 1 {
				label += ", the same for every configuration"
			}
			pl.legend(p, label, thumb{line: ls, glyph: gs})
			continue
		}
		styled = true
		if err := pl.addSeries(p, ss, st, dashed); err != nil {
			return false, nil, err
		}
		if len(qs) > 1 {
			ls := draw.LineStyle{Color: color.Gray{Y: 0x40}, Width: thinWidth}
			if dashed {
				ls.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			pl.legend(p, qs[i].what+" (line style)", thumb{line: ls, noGlyph: true})
		}
		if c != "" {
			notes = append(notes, textBlock{text: qs[i].what + ", lines that coincide: " + c + ".", grey: true})
		}
	}
	return styled, notes, nil
}

// flopsPanel draws the edge's share of the FLOPs (in percent) of rows against the split
// points xs, with the paper's bound as a reference line.
func (pl *drawing) flopsPanel(_ string, rows []results.Row, xs []float64, st seriesStyle) (*plot.Plot, bool, []block, error) {
	flops := quantity{"edge share of the FLOPs", func(r results.Row) (float64, bool) { return 100 * r.EdgeFLOPsFrac, true }}
	p := newPlot("", costXLabel, "edge share of FLOPs (%)")
	intAxis(p, xs)
	styled, notes, err := pl.costPanel(p, rows, st, []quantity{flops}, percentBounds, paperEdgeBound)
	if err != nil {
		return nil, false, nil, err
	}
	err = pl.addRef(p, refLevel{y: paperEdgeBound, label: "20%: the paper's bound", colour: greys[0]})
	return p, styled, notes, err
}

// bytesPanel draws the bytes uploaded (solid) and downloaded (dashed) per input of rows
// against the split points xs.
func (pl *drawing) bytesPanel(_ string, rows []results.Row, xs []float64, st seriesStyle) (*plot.Plot, bool, []block, error) {
	up := quantity{"upload", func(r results.Row) (float64, bool) { return float64(r.UploadBytesPerSample), true }}
	down := quantity{"download", func(r results.Row) (float64, bool) { return float64(r.DownloadBytesPerSample), true }}
	p := newPlot("", costXLabel, "bytes per input")
	intAxis(p, xs)
	styled, notes, err := pl.costPanel(p, rows, st, []quantity{up, down}, bounds{0, 1e300})
	return p, styled, notes, err
}

// splitAccuracyPanel draws the test accuracy of rows against the split points xs, the
// baselines as reference lines; its title says over how many seeds.
func (pl *drawing) splitAccuracyPanel(fig string, rows []results.Row, xs []float64, st seriesStyle) (*plot.Plot, bool, []block, error) {
	acc := accuracyQ()
	ss := st.split(rows, acc)
	p := newPlot(fmt.Sprintf("test accuracy, %s", seedNote(ss)), costXLabel, "test accuracy (%)")
	intAxis(p, xs)
	if err := pl.accuracyLines(fig, p, ss, st); err != nil {
		return nil, false, nil, err
	}
	var notes []block
	if c := coincidence(p, ss, st); c != "" {
		notes = append(notes, textBlock{text: "Lines that coincide: " + c + ".", grey: true})
	}
	return p, true, notes, nil
}
