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

// This file holds what the figures share: the public entry points, writing the files and the
// notes, the canvas and the style (fonts, sizes, axes, legends), choosing and aggregating the
// rows a figure shows, and drawing series and reference lines. Each figure family has a file
// of its own: plot_accuracy.go, plot_cost.go, plot_privacy.go and plot_pareto.go.

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
	var err error
	if rep.Plots, err = writeFigures(out, pl.figs); err != nil {
		return rep, err
	}
	return rep, writeNotes(out, rep.Notes)
}

// writeFigures writes each figure into out as NAME.png and NAME.svg, then removes the
// figures of an earlier drawing that this one did not draw. It returns the names of the
// figures written, up to the first failure.
func writeFigures(out string, figs []figure) ([]string, error) {
	var names []string
	keep := map[string]bool{}
	for _, f := range figs {
		for _, format := range []string{"png", "svg"} {
			name := f.name + "." + format
			if err := WriteFileAtomic(filepath.Join(out, name), func(w io.Writer) error { return f.render(w, format) }); err != nil {
				return names, err
			}
			keep[name] = true
		}
		names = append(names, f.name)
	}
	old, _ := filepath.Glob(filepath.Join(out, "*.png"))
	svgs, _ := filepath.Glob(filepath.Join(out, "*.svg"))
	for _, p := range append(old, svgs...) {
		if !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return names, fmt.Errorf("results: %w", err)
			}
		}
	}
	return names, nil
}

// writeNotes writes the notes to out/PlotNotesFile, one a line, or removes that file when
// there are none.
func writeNotes(out string, notes []string) error {
	path := filepath.Join(out, PlotNotesFile)
	if len(notes) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("results: %w", err)
		}
		return nil
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(notes, "\n")+"\n")
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

// note adds a note on a figure or panel that was not drawn.
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

// failed notes a figure that could not be built (a plotter rejected its data) and drops it.
func (pl *drawing) failed(fig string, err error) {
	pl.mute = false
	pl.note("%s: not drawn: %v", fig, err)
}

// allNotes returns the notes on left-out cells, then the others.
func (pl *drawing) allNotes() []string {
	var out []string
	for _, why := range pl.order {
		out = append(out, why+", left out of "+strings.Join(pl.leftOut[why], ", "))
	}
	return append(out, pl.notes...)
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

// figure is one image: one plot, or several laid out in a grid with aligned axes.
type figure struct {
	name  string
	w, h  vg.Length
	plots []*plot.Plot // row by row
	cols  int          // panels per row; 0 means 1
}

// The sizes of the figures.
var (
	figW      = 6 * vg.Inch
	figH      = 4 * vg.Inch
	panelH    = 3 * vg.Inch   // per row of panels of a stacked figure
	panelW    = 4.5 * vg.Inch // per column of panels of a two-column figure
	refDashes = []vg.Length{vg.Points(6), vg.Points(3)}
)

// greys colour reference lines: the first a bound or chance level, the others further
// baselines.
var greys = []color.Color{color.Gray{Y: 0x30}, color.Gray{Y: 0x70}, color.Gray{Y: 0xa0}}

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

// pngDPI is the resolution of the PNG files: sharp on high-density screens and in print,
// about 1 MB for the tallest figure.
const pngDPI = 150

// render draws f onto a canvas of the format ("png" or "svg") and writes it to w.
func (f figure) render(w io.Writer, format string) error {
	c := newCanvas(format, f.w, f.h)
	f.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// newCanvas returns a w×h canvas that writes the format "png" or "svg".
func newCanvas(format string, w, h vg.Length) vg.CanvasWriterTo {
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))}
	case "svg":
		// Embedded fonts make the SVG look the same on machines without Liberation fonts.
		return vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(true))
	}
	panic("results: unknown plot format " + format)
}

// draw draws the plots of f onto dc: a single plot fills it, several are tiled row by row
// with their axes aligned.
func (f figure) draw(dc draw.Canvas) {
	if len(f.plots) == 1 {
		f.plots[0].Draw(dc)
		return
	}
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

// quantity is a plotted value of a row: ok is false when the row does not have it (a
// baseline has no attack metrics), which leaves the row out silently; a present but
// non-finite value leaves it out with a note.
type quantity struct {
	what string // names the value in notes, e.g. "accuracy"
	get  func(Row) (v float64, ok bool)
}

// accuracyQ is a row's test accuracy in percent.
func accuracyQ() quantity {
	return quantity{"accuracy", func(r Row) (float64, bool) { return 100 * r.Accuracy, true }}
}

// metricQ is the metric column name of a row; rows without that column lack it.
func metricQ(name string) quantity {
	return quantity{name, func(r Row) (float64, bool) { v, ok := r.Metrics[name]; return v, ok }}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// usable returns the rows of the variant (the baselines when baseline is set, else all the
// DataMix rows) that have q with a finite value, noting in fig's name those left out for a
// non-finite one.
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

// varyingFields returns the config fields on which some group differs from the first, in
// the order of configFields: what tells the groups apart in a label.
func varyingFields(groups []Group) []field {
	var by []field
	for _, f := range configFields {
		for _, g := range groups[min(1, len(groups)):] {
			if f.value(g.Row) != f.value(groups[0].Row) {
				by = append(by, f)
				break
			}
		}
	}
	return by
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

// splitSeries groups rows (already filtered) by seeds and splits the groups into series
// along the x field (see seriesFields), each series' points in increasing x.
func splitSeries(rows []Row, x string, q quantity) []series {
	groups := GroupBySeeds(rows)
	if len(groups) == 0 {
		return nil
	}
	by := seriesFields(groups, x)
	xOf := xFields[x]
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

// seriesFields returns the fields that separate the series of groups along the x field:
// those that vary between groups, except x and the fields that are functions of x (paired
// with it, as a zipped batch size is with k), which do not make separate lines.
func seriesFields(groups []Group, x string) []field {
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
	return by
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

// seedNs returns the number of seeds behind each point of ss.
func seedNs(ss []series) []int {
	var ns []int
	for _, s := range ss {
		for _, p := range s.pts {
			ns = append(ns, p.st.N)
		}
	}
	return ns
}

// seedNote says over how many seeds the points of ss are aggregated, for a title.
func seedNote(ss []series) string {
	ns := seedNs(ss)
	if len(ns) > 0 && slices.Max(ns) == 1 {
		return "one seed, no error bars"
	}
	return "mean ± s.d. over " + seedCounts(ns)
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

// baselineRefs draws the baselines among the rows (aggregated over seeds) as reference
// lines of q, labelled by what tells them apart; cells with a non-finite q are left out of
// fig with a note.
func (pl *drawing) baselineRefs(fig string, p *plot.Plot, q quantity) error {
	groups := GroupBySeeds(pl.usable(fig, pl.rows, true, q))
	by := varyingFields(groups)
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
