package results

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PlotsDir is the folder of a run directory that PlotDir draws into.
const PlotsDir = "plots"

// PlotNotesFile is the file in PlotsDir listing what the last drawing left out, one note a
// line; it is removed when there is nothing to note.
const PlotNotesFile = "notes.txt"

// PlotReport says what Plot drew and what it left out.
type PlotReport struct {
	// Plots are the base names of the figures drawn, each written as NAME.png and NAME.svg.
	Plots []string
	// Notes say which cells or figures were left out and why (non-finite values, nothing
	// to compare).
	Notes []string
}

// PlotDir redraws the figures of the run directory dir from its results.json alone, into
// dir/plots (see Plot).
func PlotDir(dir string) (PlotReport, error) {
	rows, err := ReadJSON(filepath.Join(dir, "results.json"))
	if err != nil {
		return PlotReport{}, err
	}
	return Plot(filepath.Join(dir, PlotsDir), rows)
}

// Plot draws the figures of rows into the folder out (created if needed), each as PNG and
// as SVG with its fonts embedded, written atomically; figures of earlier drawings that no
// longer apply are removed. Values are aggregated over seeds (rows that differ only in cell
// and seed): points are means, error bars ±1 sample standard deviation, and each title says
// over how many seeds. The figures, each drawn when the rows vary what it compares:
//
//   - accuracy_vs_group_size: test accuracy against k, one line per split (and per any
//     other setting that varies), the baseline as a dashed reference line;
//   - edge_cost_vs_split: three panels against the split point: the edge's share of the FLOPs
//     (with the paper's 20% bound), bytes uploaded and downloaded per input, and accuracy;
//   - privacy_<attack>_vs_group_size (or _vs_split when k does not vary): one panel per metric
//     column of the attack (the columns it prefixes, e.g. ica_corr, ica_ssim for ica), the
//     chance level X_chance drawn as a reference line for X_acc;
//   - pareto_ssim and pareto_attribute: accuracy against leakage — the best reconstruction
//     SSIM over all *_ssim columns, the best attribute accuracy above chance over all
//     attr_*_acc columns — one point per configuration, marker size growing with the edge's
//     FLOPs share, the Pareto front (no other point is at least as accurate and leaks at most
//     as much) highlighted.
//
// A figure whose x axis the rows do not vary is not drawn. A cell whose plotted value is NaN
// or ±Inf is left out of that figure with a note; a figure left with too little to compare is
// skipped with a note. Both kinds of note are returned and written to PlotNotesFile. Plot
// fails only when it cannot write.
func Plot(out string, rows []Row) (PlotReport, error) {
	pl := &drawing{rows: rows}
	pl.accuracyVsGroupSize()
	pl.edgeCostVsSplit()
	pl.attackFigures()
	pl.pareto()

	rep := PlotReport{Notes: pl.allNotes()}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return rep, fmt.Errorf("results: %w", err)
	}
	keep := map[string]bool{}
	for _, f := range pl.figs {
		for _, format := range []string{"png", "svg"} {
			name := f.name + "." + format
			if err := WriteFileAtomic(filepath.Join(out, name), func(w io.Writer) error { return f.render(w, format) }); err != nil {
				return rep, err
			}
			keep[name] = true
		}
		rep.Plots = append(rep.Plots, f.name)
	}
	// Remove the figures of an earlier drawing that this one did not draw.
	old, _ := filepath.Glob(filepath.Join(out, "*.png"))
	svgs, _ := filepath.Glob(filepath.Join(out, "*.svg"))
	for _, p := range append(old, svgs...) {
		if !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return rep, fmt.Errorf("results: %w", err)
			}
		}
	}
	notes := filepath.Join(out, PlotNotesFile)
	if len(rep.Notes) == 0 {
		if err := os.Remove(notes); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rep, fmt.Errorf("results: %w", err)
		}
		return rep, nil
	}
	return rep, WriteFileAtomic(notes, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(rep.Notes, "\n")+"\n")
		return err
	})
}

// drawing collects the figures and notes of one call of Plot.
type drawing struct {
	rows  []Row
	figs  []figure
	notes []string
	// leftOut gathers the figures each non-finite value was left out of, by the note that
	// describes it (cell and value), so that each gets one note.
	leftOut map[string][]string
	order   []string           // the keys of leftOut, in order of appearance
	entries map[*plot.Plot]int // legend entries per plot
	// mute leaves the series out of legends (but for chance lines): set while drawing the
	// panels of a figure after the first, whose legend serves them all.
	mute bool
}

// chanceLabel is the legend entry of a chance level, kept in every panel.
const chanceLabel = "chance"

func (pl *drawing) note(format string, args ...any) {
	pl.notes = append(pl.notes, fmt.Sprintf(format, args...))
}

// leave notes that the figure fig leaves out a cell for the reason why.
func (pl *drawing) leave(fig, why string) {
	if pl.leftOut == nil {
		pl.leftOut = map[string][]string{}
	}
	if _, ok := pl.leftOut[why]; !ok {
		pl.order = append(pl.order, why)
	}
	if figs := pl.leftOut[why]; !slices.Contains(figs, fig) {
		pl.leftOut[why] = append(figs, fig)
	}
}

// legend adds an entry to p's legend and counts it (see legendRoom).
func (pl *drawing) legend(p *plot.Plot, label string, thumbs ...plot.Thumbnailer) {
	if pl.mute && label != chanceLabel {
		return
	}
	if pl.entries == nil {
		pl.entries = map[*plot.Plot]int{}
	}
	p.Legend.Add(label, thumbs...)
	pl.entries[p]++
}

// allNotes returns the notes on left-out cells, then the others.
func (pl *drawing) allNotes() []string {
	var out []string
	for _, why := range pl.order {
		out = append(out, why+", left out of "+strings.Join(pl.leftOut[why], ", "))
	}
	return append(out, pl.notes...)
}

// figure is one image: one plot, or several stacked vertically with aligned axes.
type figure struct {
	name  string
	w, h  vg.Length
	plots []*plot.Plot // row by row
	cols  int          // panels per row; 0 means 1
}

// pngDPI is the resolution of the PNG files: sharp on high-density screens and in print,
// about 1 MB for the tallest figure.
const pngDPI = 150

// render draws f onto a canvas of the format ("png" or "svg") and writes it to w.
func (f figure) render(w io.Writer, format string) error {
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(f.w, f.h), vgimg.UseDPI(pngDPI))}
	case "svg":
		// Embedded fonts make the SVG look the same on machines without Liberation fonts.
		c = vgsvg.NewWith(vgsvg.UseWH(f.w, f.h), vgsvg.EmbedFonts(true))
	default:
		panic("results: unknown plot format " + format)
	}
	dc := draw.New(c)
	if len(f.plots) == 1 {
		f.plots[0].Draw(dc)
	} else {
		cols := max(f.cols, 1)
		rows := (len(f.plots) + cols - 1) / cols
		grid := make([][]*plot.Plot, rows)
		for i := range grid {
			grid[i] = make([]*plot.Plot, cols)
		}
		for i, p := range f.plots {
			grid[i/cols][i%cols] = p
		}
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadTop: vg.Points(4), PadBottom: vg.Points(4),
			PadLeft: vg.Points(4), PadRight: vg.Points(4), PadX: vg.Points(10), PadY: vg.Points(10)}
		for i, row := range plot.Align(grid, tiles, dc) {
			for j, cv := range row {
				if p := grid[i][j]; p != nil {
					p.Draw(cv)
				}
			}
		}
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// The sizes of the figures.
var (
	figW      = 6 * vg.Inch
	figH      = 4 * vg.Inch
	panelH    = 3 * vg.Inch   // per row of panels of a stacked figure
	panelW    = 4.5 * vg.Inch // per column of panels of a two-column figure
	refDashes = []vg.Length{vg.Points(6), vg.Points(3)}
)

// quantity is a plotted value of a row: ok is false when the row does not have it (a
// baseline has no attack metrics), which leaves the row out silently; a present but
// non-finite value leaves it out with a note.
type quantity struct {
	what string // names the value in notes, e.g. "accuracy"
	get  func(Row) (v float64, ok bool)
}

func accuracyQ() quantity {
	return quantity{"accuracy", func(r Row) (float64, bool) { return 100 * r.Accuracy, true }}
}

func metricQ(name string) quantity {
	return quantity{name, func(r Row) (float64, bool) { v, ok := r.Metrics[name]; return v, ok }}
}

// point is one configuration's aggregate at one x.
type point struct {
	x     float64
	st    Stat
	group Group
}

// series is one line: the configurations that differ only in the x field.
type series struct {
	label string
	pts   []point
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// usable returns the rows of the variant ("datamix": all but baselines) that have q with a
// finite value, noting in fig's name those left out for a non-finite one.
func (pl *drawing) usable(fig string, rows []Row, baseline bool, q quantity) []Row {
	var out []Row
	for _, r := range rows {
		if (r.Variant == baselineVariant) != baseline {
			continue
		}
		v, ok := q.get(r)
		if !ok {
			continue
		}
		if !finite(v) {
			pl.leave(fig, fmt.Sprintf("cell %s (%s, seed %d): %s is %s", r.Cell, shortLabel(r), r.Seed, q.what, formatFloat(v)))
			continue
		}
		out = append(out, r)
	}
	return out
}

// present returns the DataMix rows that have q, finite or not.
func present(rows []Row, q quantity) []Row {
	var out []Row
	for _, r := range rows {
		if _, ok := q.get(r); ok && r.Variant != baselineVariant {
			out = append(out, r)
		}
	}
	return out
}

// shortLabel describes a row's place in a sweep for notes: variant, split, k.
func shortLabel(r Row) string {
	return fmt.Sprintf("%s split %d k=%d", r.Variant, r.Split, r.GroupSize)
}

// xFields are the fields figures put on the x axis.
var xFields = map[string]func(Row) float64{
	"group_size": func(r Row) float64 { return float64(r.GroupSize) },
	"split":      func(r Row) float64 { return float64(r.Split) },
}

// distinct returns the sorted distinct values of the x field over rows.
func distinct(rows []Row, x string) []float64 {
	var xs []float64
	for _, r := range rows {
		if v := xFields[x](r); !slices.Contains(xs, v) {
			xs = append(xs, v)
		}
	}
	slices.Sort(xs)
	return xs
}

// splitSeries groups rows (already filtered) by seeds and splits the groups into series
// along the x field. A series gathers the groups that agree on every field that varies
// between groups except x and the fields that are functions of x (paired with it, as a
// zipped batch size is with k): those do not make separate lines.
func splitSeries(rows []Row, x string, q quantity) []series {
	groups := GroupBySeeds(rows)
	if len(groups) == 0 {
		return nil
	}
	xOf := xFields[x]
	var by []field
	for _, f := range configFields {
		if f.name == x {
			continue
		}
		varies, paired := false, true
		at := map[float64]string{}
		for _, g := range groups {
			v := f.value(g.Row)
			varies = varies || v != f.value(groups[0].Row)
			if prev, ok := at[xOf(g.Row)]; ok && prev != v {
				paired = false
			}
			at[xOf(g.Row)] = v
		}
		if varies && !paired {
			by = append(by, f)
		}
	}
	index := map[string]int{}
	var ss []series
	for _, g := range groups {
		var key, label []string
		for _, f := range by {
			key = append(key, f.value(g.Row))
			label = append(label, f.label(g.Row))
		}
		k := strings.Join(key, "\x00")
		i, ok := index[k]
		if !ok {
			i = len(ss)
			index[k] = i
			l := strings.Join(label, ", ")
			if l == "" {
				l = "DataMix"
			}
			ss = append(ss, series{label: l})
		}
		st := g.Stat(func(r Row) float64 { v, _ := q.get(r); return v })
		ss[i].pts = append(ss[i].pts, point{x: xOf(g.Row), st: st, group: g})
	}
	for i := range ss {
		slices.SortFunc(ss[i].pts, func(a, b point) int { return cmpFloat(a.x, b.x) })
	}
	return ss
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// seedNote says over how many seeds the points of ss are aggregated, for a title.
func seedNote(ss []series) string {
	var ns []int
	for _, s := range ss {
		for _, p := range s.pts {
			ns = append(ns, p.st.N)
		}
	}
	if len(ns) > 0 && slices.Max(ns) == 1 {
		return "one seed, no error bars"
	}
	return "mean ± s.d. over " + seedCounts(ns)
}

// textHandler sets all text in the Go font (golang.org/x/image/font/gofont): a third of the
// size of gonum/plot's default Liberation Serif, which every SVG embeds (≈ 180 kB of base64
// against 520 kB per file). Its cache holds only that font, so every lookup resolves to it.
var textHandler = sync.OnceValue(func() text.Handler {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		panic("results: the embedded Go font does not parse: " + err.Error())
	}
	return text.Plain{Fonts: font.NewCache(font.Collection{{Font: font.Font{Typeface: "Go"}, Face: f}})}
})

// useFont makes style use textHandler.
func useFont(style *text.Style) {
	style.Handler = textHandler()
	style.Font = font.Font{Typeface: "Go", Size: style.Font.Size} // the cache's only face
}

// newPlot makes a plot with the title and axis labels, all text in the Go font.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.TextHandler = textHandler()
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		useFont(st)
	}
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Add(plotter.NewGrid())
	return p
}

// intAxis gives the x axis a tick at each of the (integer) values xs and pads the range by
// half a step, so that end points are not drawn on the frame.
func intAxis(p *plot.Plot, xs []float64) {
	var ticks plot.ConstantTicks
	for _, x := range xs {
		ticks = append(ticks, plot.Tick{Value: x, Label: formatFloat(x)})
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = xs[0]-0.5, xs[len(xs)-1]+0.5
}

// legendRoom widens the y range of p, after everything is added, so that a legend of the
// given number of entries at the top (or the bottom) does not hide data: about 6% of the
// height per entry (a 9-point line in the ≈ 220-point data area of a figure) plus a margin.
func legendRoom(p *plot.Plot, entries int, top bool) {
	f := math.Min(0.6, 0.065*float64(entries)+0.05)
	span := p.Y.Max - p.Y.Min
	if span <= 0 || math.IsInf(span, 0) || math.IsNaN(span) {
		return
	}
	extra := span * f / (1 - f)
	if top {
		p.Y.Max += extra
	} else {
		p.Y.Min -= extra
	}
}

// addSeries draws each series as a line with markers and, when some point has more than one
// seed, error bars of ±1 s.d.
func (pl *drawing) addSeries(p *plot.Plot, ss []series, dashed bool) error {
	for i, s := range ss {
		xys := make(plotter.XYs, len(s.pts))
		errs := make(plotter.YErrors, len(s.pts))
		bars := false
		for j, pt := range s.pts {
			xys[j] = plotter.XY{X: pt.x, Y: pt.st.Mean}
			errs[j].Low, errs[j].High = pt.st.SD, pt.st.SD
			bars = bars || pt.st.N > 1
		}
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		if dashed {
			line.Dashes = plotutil.Dashes(1)
		}
		pts.Shape = plotutil.Shape(i)
		pts.Color = plotutil.Color(i)
		p.Add(line, pts)
		if bars {
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xys, errs})
			if err != nil {
				return err
			}
			eb.Color = plotutil.Color(i)
			p.Add(eb)
		}
		pl.legend(p, s.label, line, pts)
	}
	return nil
}

// refLine draws a dashed horizontal line at y across the x range of p (set it first).
func (pl *drawing) refLine(p *plot.Plot, y float64, label string, c color.Color) error {
	l, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: y}, {X: p.X.Max, Y: y}})
	if err != nil {
		return err
	}
	l.Color = c
	l.Dashes = refDashes
	p.Add(l)
	pl.legend(p, label, l)
	return nil
}

// baselineRefs draws the baselines among rows (aggregated over seeds) as reference lines.
func (pl *drawing) baselineRefs(fig string, p *plot.Plot, q quantity) error {
	base := pl.usable(fig, pl.rows, true, q)
	groups := GroupBySeeds(base)
	var by []field
	for _, f := range configFields {
		for _, g := range groups[min(1, len(groups)):] {
			if f.value(g.Row) != f.value(groups[0].Row) {
				by = append(by, f)
				break
			}
		}
	}
	for i, g := range groups {
		st := g.Stat(func(r Row) float64 { v, _ := q.get(r); return v })
		label := "baseline (unsplit, unmixed)"
		var parts []string
		for _, f := range by {
			parts = append(parts, f.label(g.Row))
		}
		if len(parts) > 0 {
			label += ", " + strings.Join(parts, ", ")
		}
		if st.N > 1 {
			label += fmt.Sprintf(", mean of %d seeds", st.N)
		}
		if err := pl.refLine(p, st.Mean, label, greys[i%len(greys)]); err != nil {
			return err
		}
	}
	return nil
}

var greys = []color.Color{color.Gray{Y: 0x30}, color.Gray{Y: 0x70}, color.Gray{Y: 0xa0}}

// datasetTitle names the data the rows are about, to start a title: "MNIST: ", or "" when
// the rows mix datasets.
func datasetTitle(rows []Row) string {
	if len(rows) == 0 {
		return ""
	}
	for _, r := range rows[1:] {
		if r.Dataset != rows[0].Dataset {
			return ""
		}
	}
	return strings.ToUpper(rows[0].Dataset) + ": "
}

// failed notes a figure that could not be built (a plotter rejected its data) and drops it.
func (pl *drawing) failed(fig string, err error) {
	pl.mute = false
	pl.note("%s: not drawn: %v", fig, err)
}

// accuracyVsGroupSize draws the test accuracy against k, one line per split.
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

// chanceOf returns the name of the chance-level column of an accuracy metric: X_chance for
// X_acc (attr_label_acc → attr_label_chance, output_acc → output_chance).
func chanceOf(metric string) string {
	if base, ok := strings.CutSuffix(metric, "_acc"); ok {
		return base + "_chance"
	}
	return ""
}

// metricAxis labels a metric's axis with its meaning and unit.
func metricAxis(m string) string {
	switch {
	case strings.HasSuffix(m, "_ssim"):
		return "SSIM (1 = identical)"
	case strings.HasSuffix(m, "_psnr"):
		return "PSNR (dB)"
	case strings.HasSuffix(m, "_corr"):
		return "mean |correlation| (0 to 1)"
	case strings.HasSuffix(m, "_acc"):
		return "accuracy (fraction)"
	}
	return m
}

// privacyMetrics are the rows' metrics other than chance levels.
func privacyMetrics(rows []Row) []string {
	var out []string
	for _, m := range MetricNames(rows) {
		if !strings.HasSuffix(m, "_chance") {
			out = append(out, m)
		}
	}
	return out
}

// unsafeName matches what a file name should not hold.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// attackOf returns the attack a metric column belongs to: the longest note topic of the rows
// that prefixes it ("ica_oracle" for ica_oracle_corr, when the rows have notes on that
// attack, as the harness's attacks write), else the column's first word ("ica").
func attackOf(metric string, topics []string) string {
	best := ""
	for _, t := range topics {
		if strings.HasPrefix(metric, t+"_") && len(t) > len(best) {
			best = t
		}
	}
	if best == "" {
		best, _, _ = strings.Cut(metric, "_")
	}
	return best
}

// noteTopics lists the note topics of rows, sorted.
func noteTopics(rows []Row) []string {
	var ts []string
	for _, r := range rows {
		for t := range r.Notes {
			if !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
	}
	slices.Sort(ts)
	return ts
}

// attackFigures draws, per attack, its metrics against k (or against the split when the rows
// with its metrics do not vary k): one panel per metric, a chance level X_chance drawn as a
// reference line in the panel of X_acc.
func (pl *drawing) attackFigures() {
	topics := noteTopics(pl.rows)
	var order []string
	byAttack := map[string][]string{}
	for _, m := range privacyMetrics(pl.rows) {
		a := attackOf(m, topics)
		if _, ok := byAttack[a]; !ok {
			order = append(order, a)
		}
		byAttack[a] = append(byAttack[a], m)
	}
	for _, a := range order {
		metrics := byAttack[a]
		var have []Row // DataMix rows with any of the attack's metrics
		for _, r := range pl.rows {
			if r.Variant == baselineVariant {
				continue
			}
			if slices.ContainsFunc(metrics, func(m string) bool { _, ok := r.Metrics[m]; return ok }) {
				have = append(have, r)
			}
		}
		x, xLabel := "group_size", "group size k"
		if len(distinct(have, x)) < 2 {
			x, xLabel = "split", "split point"
			if len(distinct(have, x)) < 2 {
				continue // the attack's rows vary neither k nor the split
			}
		}
		fig := "privacy_" + unsafeName.ReplaceAllString(a, "_") + "_vs_" + x
		var panels []*plot.Plot
		var ns []int
		for _, m := range metrics {
			q := metricQ(m)
			if len(distinct(present(pl.rows, q), x)) < 2 {
				continue // this metric is computed at one value of x only
			}
			rows := pl.usable(fig, pl.rows, false, q)
			if len(distinct(rows, x)) < 2 {
				pl.note("%s: panel %s not drawn: the cells with a finite %s have one value of %s", fig, m, m, x)
				continue
			}
			ss := splitSeries(rows, x, q)
			for _, s := range ss {
				for _, pt := range s.pts {
					ns = append(ns, pt.st.N)
				}
			}
			pl.mute = len(panels) > 0
			p := newPlot(m, xLabel, metricAxis(m))
			p.Title.TextStyle.Font.Size = vg.Points(10)
			intAxis(p, distinct(rows, x))
			if err := pl.addSeries(p, ss, false); err != nil {
				pl.failed(fig, err)
				return
			}
			if c := chanceOf(m); c != "" {
				var cs []float64
				for _, r := range rows {
					if v, ok := r.Metrics[c]; ok {
						cs = append(cs, v)
					}
				}
				if st := Summarize(cs); st.N > 0 {
					if err := pl.refLine(p, st.Mean, chanceLabel, greys[0]); err != nil {
						pl.failed(fig, err)
						return
					}
				}
			}
			legendRoom(p, pl.entries[p], true)
			panels = append(panels, p)
		}
		pl.mute = false
		if len(panels) == 0 {
			continue
		}
		// One shared title, on the first panel, saying what the error bars are.
		seeds := "one seed"
		if len(ns) > 0 && slices.Max(ns) > 1 {
			seeds = "mean ± s.d. over " + seedCounts(ns)
		}
		panels[0].Title.Text = fmt.Sprintf("%sattack %s (%s)\n%s", datasetTitle(have), a, seeds, panels[0].Title.Text)
		pl.figs = append(pl.figs, gridFigure(fig, panels))
	}
}

// gridFigure lays panels out in one column, or two when there are more than three.
func gridFigure(name string, panels []*plot.Plot) figure {
	cols := 1
	if len(panels) > 3 {
		cols = 2
	}
	rows := (len(panels) + cols - 1) / cols
	w := figW
	if cols == 2 {
		w = 2 * panelW
	}
	return figure{name: name, w: w, h: vg.Length(rows) * panelH, plots: panels, cols: cols}
}

// paperEdgeBound is the paper's headline bound on the edge's share of the FLOPs (DESIGN.md
// §1: "edge work under 20% of the FLOPs").
const paperEdgeBound = 20

// edgeCostVsSplit draws the edge's FLOPs share, the bytes per input and the accuracy
// against the split point, in three aligned panels.
func (pl *drawing) edgeCostVsSplit() {
	const fig = "edge_cost_vs_split"
	flops := quantity{"edge FLOPs share", func(r Row) (float64, bool) { return 100 * r.EdgeFLOPsFrac, true }}
	up := quantity{"upload bytes", func(r Row) (float64, bool) { return float64(r.UploadBytesPerSample), true }}
	down := quantity{"download bytes", func(r Row) (float64, bool) { return float64(r.DownloadBytesPerSample), true }}
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
	xLabel := "split point (blocks on the edge before mixing)"
	ssF := splitSeries(rows, "split", flops)
	pF := newPlot(datasetTitle(rows)+"Edge cost and accuracy vs split point", xLabel, "edge share of FLOPs (%)")
	intAxis(pF, xs)
	pF.Y.Min = 0
	if err := pl.addSeries(pF, ssF, false); err != nil {
		pl.failed(fig, err)
		return
	}
	if err := pl.refLine(pF, paperEdgeBound, "20% (the paper's bound)", greys[0]); err != nil {
		pl.failed(fig, err)
		return
	}

	pB := newPlot("", xLabel, "bytes per input (float32)")
	intAxis(pB, xs)
	pB.Y.Min = 0
	ssU, ssD := splitSeries(rows, "split", up), splitSeries(rows, "split", down)
	for i := range ssU {
		ssU[i].label = "upload, " + ssU[i].label
		ssD[i].label = "download, " + ssD[i].label
	}
	if err := pl.addSeries(pB, ssU, false); err != nil {
		pl.failed(fig, err)
		return
	}
	if err := pl.addSeries(pB, ssD, true); err != nil {
		pl.failed(fig, err)
		return
	}

	ssA := splitSeries(rows, "split", acc)
	pA := newPlot("", xLabel, fmt.Sprintf("test accuracy (%%), %s", seedNote(ssA)))
	intAxis(pA, xs)
	if err := pl.addSeries(pA, ssA, false); err != nil {
		pl.failed(fig, err)
		return
	}
	if err := pl.baselineRefs(fig, pA, acc); err != nil {
		pl.failed(fig, err)
		return
	}
	for _, p := range []*plot.Plot{pF, pB, pA} {
		legendRoom(p, pl.entries[p], true)
	}
	pl.figs = append(pl.figs, figure{name: fig, w: figW, h: 3 * panelH, plots: []*plot.Plot{pF, pB, pA}})
}

// paretoPoint is one configuration in a Pareto scatter.
type paretoPoint struct {
	leak, acc, edge float64 // mean leakage, mean accuracy (%), mean edge FLOPs share (%)
	label           string
}

// front returns the indices of the points on the Pareto front of pts (low leakage and high
// accuracy are better): those no other point beats on one and matches or beats on the other,
// in order of increasing leakage.
func front(pts []paretoPoint) []int {
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmpFloat(pts[a].leak, pts[b].leak); c != 0 {
			return c
		}
		return cmpFloat(pts[b].acc, pts[a].acc)
	})
	var out []int
	best := math.Inf(-1)
	for _, i := range idx {
		if pts[i].acc > best {
			out = append(out, i)
			best = pts[i].acc
		}
	}
	return out
}

// leakages are the measures of leakage the Pareto figures put on their x axis, each the
// worst case over a family of metric columns: a defence is judged by its strongest attack
// (DESIGN.md §2).
var leakages = []struct {
	fig, what, axis string
	pattern         string                   // the family's columns, for titles
	member          func(metric string) bool // whether a column belongs to the family
	value           func(r Row, metric string) (float64, bool)
}{
	{
		fig: "pareto_ssim", what: "the best reconstruction's SSIM", pattern: "*_ssim",
		axis:   "best reconstruction SSIM over the attacks (1 = identical), higher leaks more",
		member: func(m string) bool { return strings.HasSuffix(m, "_ssim") },
		value:  func(r Row, m string) (float64, bool) { v, ok := r.Metrics[m]; return v, ok },
	},
	{
		fig: "pareto_attribute", what: "the best attribute accuracy above chance", pattern: "attr_*_acc",
		axis:   "best attribute accuracy above chance (percentage points), higher leaks more",
		member: func(m string) bool { return strings.HasPrefix(m, "attr_") && strings.HasSuffix(m, "_acc") },
		value: func(r Row, m string) (float64, bool) {
			v, ok := r.Metrics[m]
			c, okc := r.Metrics[chanceOf(m)]
			return 100 * (v - c), ok && okc
		},
	},
}

// pareto draws accuracy against each measure of leakage that the rows have.
func (pl *drawing) pareto() {
	for _, l := range leakages {
		var family []string
		for _, m := range privacyMetrics(pl.rows) {
			if l.member(m) {
				family = append(family, m)
			}
		}
		if len(family) == 0 {
			continue
		}
		// The worst case over the family's columns a row has; non-finite if any of them is.
		leak := quantity{l.what, func(r Row) (float64, bool) {
			worst, any := math.Inf(-1), false
			for _, m := range family {
				v, ok := l.value(r, m)
				if !ok {
					continue
				}
				if !finite(v) {
					return v, true
				}
				worst, any = math.Max(worst, v), true
			}
			return worst, any
		}}
		if len(GroupBySeeds(present(pl.rows, leak))) < 2 {
			continue // fewer than two configurations were attacked
		}
		rows := pl.usable(l.fig, pl.usable(l.fig, pl.rows, false, accuracyQ()), false, leak)
		groups := GroupBySeeds(rows)
		if len(groups) < 2 {
			pl.note("%s: not drawn: %d configuration(s) have a finite accuracy and %s, need 2", l.fig, len(groups), l.what)
			continue
		}
		// Label points by the fields that vary between them.
		var by []field
		for _, f := range configFields {
			for _, g := range groups[1:] {
				if f.value(g.Row) != f.value(groups[0].Row) {
					by = append(by, f)
					break
				}
			}
		}
		pts := make([]paretoPoint, len(groups))
		var ns []int
		for i, g := range groups {
			var parts []string
			for _, f := range by {
				parts = append(parts, f.label(g.Row))
			}
			pts[i] = paretoPoint{
				leak:  g.Stat(func(r Row) float64 { v, _ := leak.get(r); return v }).Mean,
				acc:   g.Stat(func(r Row) float64 { return 100 * r.Accuracy }).Mean,
				edge:  g.Stat(func(r Row) float64 { return 100 * r.EdgeFLOPsFrac }).Mean,
				label: strings.Join(parts, ", "),
			}
			ns = append(ns, len(g.Rows))
		}
		title := "leakage: " + strings.Join(family, ", ")
		if len(family) > 2 {
			title = fmt.Sprintf("leakage: the worst case over the %d %s columns", len(family), l.pattern)
		}
		if err := pl.drawPareto(l.fig, title, l.axis, pts, ns); err != nil {
			pl.failed(l.fig, err)
		}
	}
}

// Marker radii of the Pareto scatter: the smallest for the lowest edge share, the largest
// for the highest.
var (
	minRadius = vg.Points(3)
	maxRadius = vg.Points(10)
)

func (pl *drawing) drawPareto(fig, subtitle, xLabel string, pts []paretoPoint, ns []int) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	xys := make(plotter.XYs, len(pts))
	labels := make([]string, len(pts))
	for i, p := range pts {
		lo, hi = math.Min(lo, p.edge), math.Max(hi, p.edge)
		xys[i] = plotter.XY{X: p.leak, Y: p.acc}
		labels[i] = p.label
	}
	radius := func(edge float64) vg.Length {
		if hi == lo {
			return (minRadius + maxRadius) / 2
		}
		return minRadius + vg.Length((edge-lo)/(hi-lo))*(maxRadius-minRadius)
	}
	mean := "mean over " + seedCounts(ns)
	if slices.Max(ns) == 1 {
		mean = "one seed"
	}
	p := newPlot(fmt.Sprintf("Accuracy vs leakage, %s\n%s", mean, subtitle), xLabel, "test accuracy (%)")
	p.Legend.Top = false // bottom right: high leakage with low accuracy is where points are rarest

	all, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	blue := color.NRGBA{R: 90, G: 155, B: 212, A: 160} // plotutil's blue, translucent where markers overlap
	all.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: blue, Radius: radius(pts[i].edge), Shape: draw.CircleGlyph{}}
	}
	all.GlyphStyle = draw.GlyphStyle{Color: blue, Radius: (minRadius + maxRadius) / 2, Shape: draw.CircleGlyph{}} // the legend's
	p.Add(all)
	sizeNote := fmt.Sprintf("configurations (marker size: edge FLOPs %.1f–%.1f%%)", lo, hi)
	if hi == lo {
		sizeNote = fmt.Sprintf("configurations (edge FLOPs %.1f%%)", lo)
	}
	pl.legend(p, sizeNote, all)

	fr := front(pts)
	fxys := make(plotter.XYs, len(fr))
	for j, i := range fr {
		fxys[j] = xys[i]
	}
	red := plotutil.Color(0)
	fl, err := plotter.NewLine(fxys)
	if err != nil {
		return err
	}
	fl.Color, fl.Width = red, vg.Points(1.5)
	fs, err := plotter.NewScatter(fxys)
	if err != nil {
		return err
	}
	fs.GlyphStyleFunc = func(j int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: red, Radius: radius(pts[fr[j]].edge) + vg.Points(1.5), Shape: draw.RingGlyph{}}
	}
	p.Add(fl, fs)
	pl.legend(p, "Pareto front (less leakage, more accuracy)", fl, fs)

	if slices.ContainsFunc(labels, func(s string) bool { return s != "" }) {
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return err
		}
		for i := range lb.TextStyle {
			useFont(&lb.TextStyle[i])
			lb.TextStyle[i].Font.Size = vg.Points(7)
		}
		lb.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(2)}
		p.Add(lb)
	}
	legendRoom(p, pl.entries[p], false)
	// Room on the right for the labels of the rightmost points.
	if span := p.X.Max - p.X.Min; span > 0 {
		p.X.Min, p.X.Max = p.X.Min-0.05*span, p.X.Max+0.2*span
	}
	pl.figs = append(pl.figs, figure{name: fig, w: figW, h: figH, plots: []*plot.Plot{p}})
	return nil
}
