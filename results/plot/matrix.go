package plot

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/datamix/harness/results"
)

// leakMap colours an attack's success from 0 (it fails: pale yellow) to 1 (complete: dark
// red): ColorBrewer's sequential YlOrRd, nine classes (Brewer, colorbrewer2.org), whose
// lightness falls steadily, so that the order of the cells reads in grey as well.
var leakMap = colourMap{
	{R: 0xff, G: 0xff, B: 0xcc, A: 255}, {R: 0xff, G: 0xed, B: 0xa0, A: 255}, {R: 0xfe, G: 0xd9, B: 0x76, A: 255},
	{R: 0xfe, G: 0xb2, B: 0x4c, A: 255}, {R: 0xfd, G: 0x8d, B: 0x3c, A: 255}, {R: 0xfc, G: 0x4e, B: 0x2a, A: 255},
	{R: 0xe3, G: 0x1a, B: 0x1c, A: 255}, {R: 0xbd, G: 0x00, B: 0x26, A: 255}, {R: 0x80, G: 0x00, B: 0x26, A: 255},
}

// worstLabel is how the figures name a worst case of the matrix (see results.WorstCase):
// short heads the heat map's column, axis labels the frontier's x axis, key formats the value
// in the frontier's key.
type worstLabel struct{ short, axis, key string }

// worstSSIM is the worst case over the reconstruction attacks' mean SSIM.
const worstSSIM = "worst_ssim"

// worstLabels are the labels of the worst cases, by name.
var worstLabels = map[string]worstLabel{
	worstSSIM: {short: "worst SSIM", key: "worst SSIM %.2f",
		axis: "worst-case reconstruction: highest mean SSIM over the attacks (1 = identical)"},
	"worst_recovered30": {short: "worst share ≥ 0.30", key: "worst share recognisable %.2f",
		axis: "worst-case reconstruction: highest share of victims recognisable (SSIM ≥ 0.30) over the attacks"},
	"worst_advantage": {short: "worst advantage", key: "worst advantage %.2f",
		axis: "worst-case inference: highest advantage over chance, (acc − chance)/(1 − chance), over the attacks"},
}

// labelOf returns the labels of the worst case w; one the figures do not know reads as its
// name.
func labelOf(w results.WorstCase) worstLabel {
	if l, ok := worstLabels[w.Name]; ok {
		return l
	}
	return worstLabel{short: w.Name, axis: w.Name, key: w.Name + " %.2f"}
}

// cellUnit names, for a heat map's header, the measure a column's cells show (see
// results.AttackColumn.Cell): "SSIM", "share ≥ 0.30", "advantage" or "accuracy".
func cellUnit(cell string) string {
	switch {
	case strings.HasSuffix(cell, "_ssim"):
		return "SSIM"
	case strings.HasSuffix(cell, "_advantage"):
		return "advantage"
	case strings.HasSuffix(cell, "_acc"):
		return "accuracy"
	}
	if _, t, ok := results.RecoveredThreshold(cell); ok {
		return fmt.Sprintf("share ≥ %.2f", t)
	}
	return cell
}

// noAttack says why the figures of attacks are not drawn when no DataMix row has an attack's
// metrics.
const noAttack = "no DataMix cell was attacked"

// matrixSeeds returns the numbers of seeds of the rows of m.
func matrixSeeds(m *results.DefenceMatrix) []int {
	var ns []int
	for _, r := range m.Rows {
		ns = append(ns, len(r.Group.Rows))
	}
	return ns
}

// matrixFigure draws defence_matrix, the heat map of the attack × defence matrix (see
// results.NewDefenceMatrix), whenever the rows have one.
func (pl *drawing) matrixFigure() {
	m := pl.matrix
	if m == nil {
		pl.skip("defence_matrix", noAttack)
		return
	}
	for _, nf := range m.LeftOut {
		pl.leave("defence_matrix", leftOutNote(nf.Row, nf.Measure, nf.Value))
	}
	seeds := "one seed"
	if ns := matrixSeeds(m); slices.Max(ns) > 1 {
		seeds = "mean over " + seedCounts(ns)
	}
	cells := "Cells: reconstruction attacks — mean SSIM of the reconstruction with the victim " +
		"(1 = identical), or, where the attack reports it, the share of victims reconstructed with SSIM ≥ 0.30; " +
		"inference attacks — advantage over chance, (accuracy − chance)/(1 − chance); " +
		"other accuracies (group matching: the share of groups recovered) as they are. " +
		"Worst: the highest over the attacks of a kind. Upper bounds no attacker reaches (oracle or best " +
		"in the name: an attacker handed a secret, a score aligned with the victim's help) stand apart, " +
		"marked (bound), and enter no worst case. Verdict: broken when a worst case meets its criterion " +
		"(SSIM 0.30, half the victims recognisable, advantage 0.10), else holds. " +
		"A dash: the attack did not run on that configuration."
	cost := "Gap: accuracy minus the baseline's, per seed, in percentage points. Edge FLOPs and " +
		"upload: per input."
	pl.figs = append(pl.figs, figure{
		name:  "defence_matrix",
		title: fmt.Sprintf("%sattack × defence matrix: how far each attack succeeds (%s)", datasetTitle(pl.rows), seeds),
		body:  heatMap{m, pl.matrixLabels},
		side: []block{
			colourBar{title: "attack success\n(0 = fails, 1 = complete)", cmap: leakMap, lo: 0, hi: 1,
				ticks: []plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"},
					{Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}}},
			textBlock{text: cells, grey: true},
			textBlock{text: cost, grey: true},
		},
	})
}

// heatMap draws a defence matrix: the configurations' labels on the left, a coloured cell per
// attack column and worst case with its value written in it, then the cost columns in plain
// text, every column headed by vertical text.
type heatMap struct {
	m      *results.DefenceMatrix
	labels []string // of the rows of m
}

// The dimensions of a heat map.
var (
	cellW, cellH  = vg.Points(34), vg.Points(15)
	sectionGap    = vg.Points(10) // between the attacks, the worst cases and the costs
	heatCellSize  = vg.Points(8)
	heatLabelSize = vg.Points(8.5)
)

// heatColumn is one column of a heat map: a header and, per row, a value (NaN for none) and
// its text; coloured says whether the value is drawn as a colour.
type heatColumn struct {
	header   string
	coloured bool
	values   []float64
	texts    []string
	w        vg.Length
	gapAfter bool // a section ends after it
}

// columns returns the columns of h, laid out.
func (h heatMap) columns() []heatColumn {
	m := h.m
	var cols []heatColumn
	colour := func(header string, get func(r results.MatrixRow) float64) heatColumn {
		c := heatColumn{header: header, coloured: true, w: cellW}
		for _, r := range m.Rows {
			v := get(r)
			c.values = append(c.values, v)
			c.texts = append(c.texts, cellText(v))
		}
		return c
	}
	// The attacks, then the upper bounds apart (they never enter a worst case).
	for _, bound := range []bool{false, true} {
		n := len(cols)
		for _, ac := range m.Columns {
			if ac.Bound != bound {
				continue
			}
			header := ac.Stem + " · " + cellUnit(ac.Cell)
			if bound {
				header += " (bound)"
			}
			cols = append(cols, colour(header, func(r results.MatrixRow) float64 { return r.Value(ac.Cell) }))
		}
		if len(cols) > n {
			cols[len(cols)-1].gapAfter = true
		}
	}
	if len(m.Worst) > 0 {
		for _, w := range m.Worst {
			cols = append(cols, colour(labelOf(w).short, func(r results.MatrixRow) float64 { return r.Worst[w.Name] }))
		}
	}
	st := textStyle(heatCellSize)
	plain := func(header string, text func(r results.MatrixRow) string) heatColumn {
		c := heatColumn{header: header}
		for _, r := range m.Rows {
			t := text(r)
			c.values = append(c.values, math.NaN())
			c.texts = append(c.texts, t)
			c.w = max(c.w, st.Width(t)+vg.Points(10))
		}
		c.w = max(c.w, cellW)
		return c
	}
	stat := func(s results.Stat, verb string) string {
		if s.N == 0 {
			return "—"
		}
		return strings.Replace(fmt.Sprintf(verb, s.Mean), "-", "−", 1)
	}
	if len(m.Worst) > 0 {
		cols = append(cols, plain("verdict", func(r results.MatrixRow) string {
			if v := m.Verdict(r).Verdict; v != "" {
				return v
			}
			return "—"
		}))
		cols[len(cols)-1].gapAfter = true
	}
	return append(cols,
		plain("accuracy (%)", func(r results.MatrixRow) string { return stat(r.Accuracy, "%.2f") }),
		plain("gap (pp)", func(r results.MatrixRow) string { return stat(r.Gap, "%+.2f") }),
		plain("edge FLOPs", func(r results.MatrixRow) string { return siCount(r.EdgeFLOPs.Mean) }),
		plain("edge share", func(r results.MatrixRow) string { return stat(r.EdgeShare, "%.1f%%") }),
		plain("upload (B)", func(r results.MatrixRow) string { return stat(r.Upload, "%.0f") }),
	)
}

// cellText writes a heat map value with two decimals, "—" for none.
func cellText(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strings.Replace(fmt.Sprintf("%.2f", v), "-", "−", 1)
}

// siCount writes a count with an SI prefix and three significant digits: 6.10M, 680k, 4.39k.
func siCount(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	prefix := ""
	for _, p := range []struct {
		s string
		f float64
	}{{"G", 1e9}, {"M", 1e6}, {"k", 1e3}} {
		if v >= p.f {
			v, prefix = v/p.f, p.s
			break
		}
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f%s", v, prefix)
	case v >= 10:
		return fmt.Sprintf("%.1f%s", v, prefix)
	}
	return fmt.Sprintf("%.2f%s", v, prefix)
}

// geometry returns the width of the label column, the height of the headers and the total
// width of the columns of h.
func (h heatMap) geometry(cols []heatColumn) (labelW, headerH, colsW vg.Length) {
	lst := textStyle(heatLabelSize)
	for _, l := range h.labels {
		labelW = max(labelW, lst.Width(l))
	}
	labelW += vg.Points(8)
	for _, c := range cols {
		headerH = max(headerH, lst.Width(c.header))
		colsW += c.w
		if c.gapAfter {
			colsW += sectionGap
		}
	}
	return labelW, headerH + vg.Points(6), colsW
}

func (h heatMap) size() (w, ht vg.Length) {
	labelW, headerH, colsW := h.geometry(h.columns())
	return labelW + colsW, headerH + vg.Length(len(h.m.Rows))*cellH
}

func (h heatMap) draw(c draw.Canvas, x, top vg.Length) {
	cols := h.columns()
	labelW, headerH, _ := h.geometry(cols)
	lst := textStyle(heatLabelSize)
	cst := textStyle(heatCellSize)
	cst.XAlign, cst.YAlign = draw.XCenter, draw.YCenter
	gridTop := top - headerH

	// Row labels, and a rule where the defence changes.
	lst.XAlign, lst.YAlign = draw.XRight, draw.YCenter
	for i, l := range h.labels {
		y := gridTop - (vg.Length(i)+0.5)*cellH
		c.FillText(lst, vg.Point{X: x + labelW - vg.Points(6), Y: y}, l)
	}
	cx := x + labelW
	var right vg.Length
	for _, col := range cols {
		right = cx + col.w
		// The header, vertical, read from the bottom up.
		hst := textStyle(heatLabelSize)
		hst.Rotation = math.Pi / 2
		hst.XAlign, hst.YAlign = draw.XLeft, draw.YCenter
		c.FillText(hst, vg.Point{X: cx + col.w/2, Y: gridTop + vg.Points(4)}, col.header)
		for i := range h.m.Rows {
			y0 := gridTop - vg.Length(i+1)*cellH
			rect := []vg.Point{{X: cx, Y: y0}, {X: cx + col.w, Y: y0}, {X: cx + col.w, Y: y0 + cellH}, {X: cx, Y: y0 + cellH}}
			tst := cst
			v := col.values[i]
			switch {
			case col.coloured && !math.IsNaN(v):
				bg := leakMap.at(v)
				c.FillPolygon(bg, rect)
				if dark(bg) {
					tst.Color = color.White
				}
			case col.coloured:
				c.FillPolygon(color.Gray{Y: 0xee}, rect)
				tst.Color = color.Gray{Y: 0x80}
			}
			c.FillText(tst, vg.Point{X: cx + col.w/2, Y: y0 + cellH/2}, col.texts[i])
		}
		if col.coloured { // white rules between the cells
			white := draw.LineStyle{Color: color.White, Width: vg.Points(1)}
			c.StrokeLine2(white, cx, gridTop, cx, gridTop-vg.Length(len(h.m.Rows))*cellH)
		}
		cx += col.w
		if col.gapAfter {
			cx += sectionGap
		}
	}
	white := draw.LineStyle{Color: color.White, Width: vg.Points(1)}
	rule := draw.LineStyle{Color: color.Gray{Y: 0x60}, Width: vg.Points(0.6)}
	for i := range h.m.Rows {
		y := gridTop - vg.Length(i)*cellH
		c.StrokeLine2(white, x+labelW, y, right, y)
		if i > 0 && h.m.Rows[i].Group.Row.Defence != h.m.Rows[i-1].Group.Row.Defence {
			c.StrokeLine2(rule, x, y, right, y)
		}
	}
}
