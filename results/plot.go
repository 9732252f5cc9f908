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

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
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
//   - metric_<name>_vs_group_size (or _vs_split when k does not vary): each metric of the
//     rows' Metrics (the attacks' columns), a chance level attr_X_chance drawn as a reference
//     line for attr_X_acc;
//   - edge_cost_vs_split: three panels against the split point: the edge's share of the FLOPs
//     (with the paper's 20% bound), bytes uploaded and downloaded per input, and accuracy;
//   - pareto_<name>: accuracy against the leakage the metric measures (an attribute accuracy
//     taken above its chance level), one point per configuration, marker area growing with
//     the edge's FLOPs share, the Pareto front (no other point is at least as accurate and
//     leaks at most as much) highlighted.
//
// A figure whose x axis the rows do not vary is not drawn. A cell whose plotted value is NaN
// or ±Inf is left out of that figure with a note; a figure left with too little to compare is
// skipped with a note. Both kinds of note are returned and
// written to PlotNotesFile. Plot fails only when it cannot write.
func Plot(out string, rows []Row) (PlotReport, error) {
	pl := &drawing{rows: rows}
	pl.accuracyVsGroupSize()
	pl.metricsVsX()
	pl.edgeCostVsSplit()
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
}

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
	plots []*plot.Plot
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
		col := make([][]*plot.Plot, len(f.plots))
		for i, p := range f.plots {
			col[i] = []*plot.Plot{p}
		}
		tiles := draw.Tiles{Rows: len(f.plots), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4),
			PadLeft: vg.Points(4), PadRight: vg.Points(4), PadY: vg.Points(10)}
		for i, cs := range plot.Align(col, tiles, dc) {
			f.plots[i].Draw(cs[0])
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
	panelH    = 3 * vg.Inch // per panel of a stacked figure
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

// newPlot makes a plot with the title and axis labels.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
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

// attrAcc matches an attribute attack's accuracy, attr_X_acc, whose chance level is
// attr_X_chance.
var attrAcc = regexp.MustCompile(`^(attr_.+)_acc$`)

// chanceOf returns the name of the chance-level metric of an attribute accuracy, or "".
func chanceOf(metric string) string {
	if m := attrAcc.FindStringSubmatch(metric); m != nil {
		return m[1] + "_chance"
	}
	return ""
}

// metricAxis labels a metric's axis with its meaning and unit.
func metricAxis(m string) string {
	switch {
	case strings.HasSuffix(m, "_ssim"):
		return m + ": SSIM of the reconstruction (1 = identical)"
	case strings.HasSuffix(m, "_psnr"):
		return m + ": PSNR of the reconstruction (dB)"
	case strings.HasSuffix(m, "_corr"):
		return m + ": mean |correlation| (0 to 1)"
	case strings.HasSuffix(m, "_acc"):
		return m + ": accuracy (fraction, 0 to 1)"
	case strings.HasSuffix(m, "_chance"):
		return m + ": chance level (fraction, 0 to 1)"
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

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// metricsVsX draws each metric against k (or against the split when k does not vary).
func (pl *drawing) metricsVsX() {
	for _, m := range privacyMetrics(pl.rows) {
		q := metricQ(m)
		x, xLabel := "group_size", "group size k (inputs mixed together)"
		if len(distinct(present(pl.rows, q), x)) < 2 {
			x, xLabel = "split", "split point (blocks on the edge)"
			if len(distinct(present(pl.rows, q), x)) < 2 {
				continue // the rows with the metric vary neither k nor the split
			}
		}
		fig := "metric_" + unsafeName.ReplaceAllString(m, "_") + "_vs_" + x
		all := pl.usable(fig, pl.rows, false, q)
		xs := distinct(all, x)
		if len(xs) < 2 {
			pl.note("%s: not drawn: the DataMix cells with a finite %s have %d value(s) of %s, need 2", fig, m, len(xs), x)
			continue
		}
		ss := splitSeries(all, x, q)
		p := newPlot(fmt.Sprintf("%s%s vs %s (%s)", datasetTitle(all), m, strings.ReplaceAll(x, "_", " "), seedNote(ss)), xLabel, metricAxis(m))
		intAxis(p, xs)
		if err := pl.addSeries(p, ss, false); err != nil {
			pl.failed(fig, err)
			continue
		}
		if c := chanceOf(m); c != "" {
			var cs []float64
			for _, r := range all {
				if v, ok := r.Metrics[c]; ok {
					cs = append(cs, v)
				}
			}
			if st := Summarize(cs); st.N > 0 {
				if err := pl.refLine(p, st.Mean, "chance ("+c+")", greys[0]); err != nil {
					pl.failed(fig, err)
					continue
				}
			}
		}
		legendRoom(p, pl.entries[p], true)
		pl.figs = append(pl.figs, figure{name: fig, w: figW, h: figH, plots: []*plot.Plot{p}})
	}
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

// pareto draws, per privacy metric, accuracy against leakage with marker size by edge cost.
func (pl *drawing) pareto() {
	for _, m := range privacyMetrics(pl.rows) {
		fig := "pareto_" + unsafeName.ReplaceAllString(m, "_")
		chance := chanceOf(m)
		leak := metricQ(m)
		xLabel := metricAxis(m) + ", higher leaks more"
		if chance != "" {
			leak = quantity{m + " above " + chance, func(r Row) (float64, bool) {
				v, ok := r.Metrics[m]
				c, okc := r.Metrics[chance]
				if !ok || !okc {
					return 0, false
				}
				return 100 * (v - c), true
			}}
			xLabel = m + " above chance (percentage points), higher leaks more"
		}
		if len(GroupBySeeds(present(pl.rows, leak))) < 2 {
			continue // fewer than two configurations have the metric
		}
		rows := pl.usable(fig, pl.usable(fig, pl.rows, false, accuracyQ()), false, leak)
		groups := GroupBySeeds(rows)
		if len(groups) < 2 {
			pl.note("%s: not drawn: %d configuration(s) have a finite accuracy and %s, need 2", fig, len(groups), leak.what)
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
		if err := pl.drawPareto(fig, m, xLabel, pts, ns); err != nil {
			pl.failed(fig, err)
		}
	}
}

// Marker radii of the Pareto scatter: the smallest for the lowest edge share, the largest
// for the highest.
var (
	minRadius = vg.Points(3)
	maxRadius = vg.Points(10)
)

func (pl *drawing) drawPareto(fig, metric, xLabel string, pts []paretoPoint, ns []int) error {
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
	p := newPlot(fmt.Sprintf("Accuracy vs leakage (%s): %s", metric, mean), xLabel, "test accuracy (%)")
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
