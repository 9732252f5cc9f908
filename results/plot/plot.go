package plot

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
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/datamix/harness/results"
)

// This file holds what the figures share: the entry point, writing the files and the notes,
// the canvas and the fonts, choosing and aggregating the rows a figure shows, and the
// reference lines. The layout of a figure is in layout.go, the lines of the line figures in
// series.go, and each figure family has a file of its own: accuracy.go, cost.go, privacy.go,
// matrix.go and frontier.go.

// Dir is the folder of a run directory that holds its figures, drawn there by Draw.
const Dir = "plots"

// NotesFile is the file, in the folder Draw draws into, that lists what the last drawing
// left out, one note a line; it is removed when there is nothing to note.
const NotesFile = "notes.txt"

// Report says what Draw drew and what it left out.
type Report struct {
	// Figures are the base names of the figures drawn, each written as NAME.png and NAME.svg.
	Figures []string
	// Notes say which cells or figures were left out and why (non-finite values, nothing
	// to compare); they are also written to NotesFile.
	Notes []string
	// Skipped says which figures were not drawn and why, one line per reason, such as
	// "accuracy_vs_group_size: every DataMix cell has k=2" or "privacy_*, defence_matrix,
	// frontier: no DataMix cell was attacked". A figure that the rows give nothing to compare
	// for is skipped without a note; one left with too little to compare by non-finite values
	// has a note as well.
	Skipped []string
}

// Draw draws the figures of rows into the folder out, each as NAME.png and as NAME.svg with
// its fonts embedded, written atomically, and removes the figures of an earlier drawing that
// no longer apply. Which figures it draws, each when the rows vary what it compares, and how,
// is in the package documentation. A cell whose plotted value is NaN or ±Inf is left out of
// that figure with a note, and a figure left with too little to compare is not drawn, with a
// note; the notes are returned and written to NotesFile, and the report's Skipped says why
// each figure that was not drawn was not. Draw creates out when it has a figure or a note to
// write; otherwise it creates nothing, and removes an earlier drawing's figures and notes from
// out, and out itself if that leaves it empty. Draw fails only when it cannot write.
func Draw(out string, rows []results.Row) (Report, error) {
	pl := newDrawing(rows)
	pl.accuracyVsGroupSize()
	pl.edgeCostVsSplit()
	pl.attackFigures()
	pl.matrixFigure()
	pl.frontier()

	rep := Report{Notes: pl.allNotes(), Skipped: pl.skipped.lines(func(why string, figs []string) string {
		return strings.Join(figs, ", ") + ": " + why
	})}
	if len(pl.figs) == 0 && len(rep.Notes) == 0 {
		return rep, clearDir(out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return rep, fmt.Errorf("plot: %w", err)
	}
	var err error
	if rep.Figures, err = writeFigures(out, pl.figs); err != nil {
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
			if err := results.WriteFileAtomic(filepath.Join(out, name), func(w io.Writer) error { return f.render(w, format) }); err != nil {
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
				return names, fmt.Errorf("plot: %w", err)
			}
		}
	}
	return names, nil
}

// clearDir removes from out the figures and the notes of an earlier drawing, and then out
// itself if it is left empty; an out that does not exist is left so.
func clearDir(out string) error {
	if _, err := writeFigures(out, nil); err != nil {
		return err
	}
	if err := writeNotes(out, nil); err != nil {
		return err
	}
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("plot: %w", err)
	case len(entries) == 0:
		if err := os.Remove(out); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	return nil
}

// writeNotes writes the notes to out/NotesFile, one a line, or removes that file when
// there are none.
func writeNotes(out string, notes []string) error {
	path := filepath.Join(out, NotesFile)
	if len(notes) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("plot: %w", err)
		}
		return nil
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Join(notes, "\n")+"\n")
		return err
	})
}

// drawing collects the figures and notes of one call of Draw.
type drawing struct {
	rows  []results.Row
	figs  []figure
	notes []string
	// leftOut gathers the figures each non-finite value was left out of, by the note that
	// describes it (cell and value), so that each gets one note.
	leftOut reasons
	// skipped gathers the figures not drawn, by the reason why.
	skipped reasons
	// items are the legend entries of each panel's reference lines (baselines, bounds,
	// chance levels), drawn beside the panels.
	items map[*plot.Plot][]legendItem
	// matrix is the attack × defence matrix of rows (nil when no attack ran), shared by the
	// figures that read it, and matrixLabels label its rows (see configLabels).
	matrix       *results.DefenceMatrix
	matrixLabels []string
}

// newDrawing starts the drawing of rows.
func newDrawing(rows []results.Row) *drawing {
	pl := &drawing{rows: rows, matrix: results.NewDefenceMatrix(rows)}
	if pl.matrix != nil {
		groups := make([]results.Group, len(pl.matrix.Rows))
		for i, r := range pl.matrix.Rows {
			groups[i] = r.Group
		}
		pl.matrixLabels = configLabels(groups)
	}
	return pl
}

// note adds a note on a figure or panel that was not drawn.
func (pl *drawing) note(format string, args ...any) {
	pl.notes = append(pl.notes, fmt.Sprintf(format, args...))
}

// leave notes that the figure fig leaves out a cell for the reason why.
func (pl *drawing) leave(fig, why string) { pl.leftOut.add(fig, why) }

// skip records that the figure fig is not drawn, and why, without a note: the rows give it
// nothing to compare.
func (pl *drawing) skip(fig, why string) { pl.skipped.add(fig, why) }

// notDrawn notes that the figure fig is not drawn, and why: the rows would give it something
// to compare but for non-finite values, or a plotter rejected its data.
func (pl *drawing) notDrawn(fig, format string, args ...any) {
	why := fmt.Sprintf(format, args...)
	pl.note("%s: not drawn: %s", fig, why)
	pl.skip(fig, why)
}

// failed notes a figure that could not be built (a plotter rejected its data) and drops it.
func (pl *drawing) failed(fig string, err error) {
	pl.notDrawn(fig, "%v", err)
}

// allNotes returns the notes on left-out cells, then the others.
func (pl *drawing) allNotes() []string {
	out := pl.leftOut.lines(func(why string, figs []string) string {
		return why + ", left out of " + strings.Join(figs, ", ")
	})
	return append(out, pl.notes...)
}

// reasons gathers figures by a reason that applies to them (a cell left out, a figure not
// drawn): each reason once, in the order met, with its figures in the order met.
type reasons struct {
	order []string
	figs  map[string][]string
}

// add records that the reason why applies to the figure fig.
func (r *reasons) add(fig, why string) {
	if r.figs == nil {
		r.figs = map[string][]string{}
	}
	if _, ok := r.figs[why]; !ok {
		r.order = append(r.order, why)
	}
	if figs := r.figs[why]; !slices.Contains(figs, fig) {
		r.figs[why] = append(figs, fig)
	}
}

// lines returns a line per reason, in order, written by line from the reason and its figures.
func (r *reasons) lines(line func(why string, figs []string) string) []string {
	var out []string
	for _, why := range r.order {
		out = append(out, line(why, r.figs[why]))
	}
	return out
}

// legend adds an entry to the legend beside p, unless p has one with that label already.
func (pl *drawing) legend(p *plot.Plot, label string, thumbs ...plot.Thumbnailer) {
	if pl.items == nil {
		pl.items = map[*plot.Plot][]legendItem{}
	}
	if !slices.ContainsFunc(pl.items[p], func(it legendItem) bool { return it.text == label }) {
		pl.items[p] = append(pl.items[p], legendItem{label, thumbs})
	}
}

// sharedItems returns the legend entries of the panels ps, each label once.
func (pl *drawing) sharedItems(ps []*plot.Plot) []legendItem {
	var out []legendItem
	for _, p := range ps {
		for _, it := range pl.items[p] {
			if !slices.ContainsFunc(out, func(o legendItem) bool { return o.text == it.text }) {
				out = append(out, it)
			}
		}
	}
	return out
}

// The sizes of the panels: of a figure of one panel, of each panel of a figure of stacked
// panels, and of each panel of a grid of two columns.
var (
	figW, figH   = 5.2 * vg.Inch, 3.5 * vg.Inch
	stackH       = 2.7 * vg.Inch
	gridW, gridH = 4 * vg.Inch, 2.8 * vg.Inch
	refDashes    = []vg.Length{vg.Points(6), vg.Points(3)}
	budgetDashes = []vg.Length{vg.Points(2), vg.Points(2.5)}
)

// greys colour reference lines: the first a bound or chance level, the others further
// baselines.
var greys = []color.Color{color.Gray{Y: 0x30}, color.Gray{Y: 0x70}, color.Gray{Y: 0xa0}}

// gridFigure lays panels out in one column, or two when there are more than three.
func gridFigure(name, title string, panels []*plot.Plot) figure {
	f := figure{name: name, title: title, plots: panels, panelW: figW, panelH: stackH}
	if len(panels) > 3 {
		f.cols, f.panelW, f.panelH = 2, gridW, gridH
	}
	return f
}

// pngDPI is the resolution of the PNG files: sharp on high-density screens and in print,
// about 1 MB for the tallest figure.
const pngDPI = 150

// render draws f onto a canvas of the format ("png" or "svg") and writes it to w.
func (f figure) render(w io.Writer, format string) error {
	fw, fh := f.size()
	c := newCanvas(format, fw, fh)
	f.draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// newCanvas returns a w×h canvas that writes the format "png" or "svg", on white.
func newCanvas(format string, w, h vg.Length) vg.CanvasWriterTo {
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))}
	case "svg":
		// Embedded fonts make the SVG look the same on machines without Liberation fonts.
		return vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(true))
	}
	panic("plot: unknown format " + format)
}

// textHandler sets all text in the Go font (golang.org/x/image/font/gofont): a third of the
// size of gonum/plot's default Liberation Serif, which every SVG embeds (≈ 180 kB of base64
// against 520 kB per file). Its cache holds only that font, so every lookup resolves to it.
var textHandler = sync.OnceValue(func() text.Handler {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		panic("plot: the embedded Go font does not parse: " + err.Error())
	}
	return text.Plain{Fonts: font.NewCache(font.Collection{{Font: font.Font{Typeface: "Go"}, Face: f}})}
})

// useFont makes style use textHandler.
func useFont(style *text.Style) {
	style.Handler = textHandler()
	style.Font = font.Font{Typeface: "Go", Size: style.Font.Size} // the cache's only face
}

// newPlot makes a panel with the title and axis labels, all text in the Go font. Its legend
// is never drawn: legends go beside the panels (see figure).
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.TextHandler = textHandler()
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		useFont(st)
	}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = panelFontSize
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(9.5)
	p.Y.Tick.Label.Font.Size = vg.Points(9.5)
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

// datasetTitle names the data the rows are about, to start a title: "MNIST: ", or "" when
// the rows mix datasets.
func datasetTitle(rows []results.Row) string {
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
	get  func(results.Row) (v float64, ok bool)
}

// accuracyQ is a row's test accuracy in percent.
func accuracyQ() quantity {
	return quantity{"accuracy", func(r results.Row) (float64, bool) { return 100 * r.Accuracy, true }}
}

// metricQ is the metric column name of a row; rows without that column lack it.
func metricQ(name string) quantity {
	return quantity{name, func(r results.Row) (float64, bool) { v, ok := r.Metrics[name]; return v, ok }}
}

// finite says whether x is neither NaN nor ±Inf.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// formatFloat writes x as the results files do: the shortest form that parses back to it.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// usable returns the rows of the variant (the baselines when baseline is set, else all the
// DataMix rows) that have q with a finite value, noting in fig's name those left out for a
// non-finite one.
func (pl *drawing) usable(fig string, rows []results.Row, baseline bool, q quantity) []results.Row {
	var out []results.Row
	for _, r := range rows {
		if r.IsBaseline() != baseline {
			continue
		}
		v, ok := q.get(r)
		if !ok {
			continue
		}
		if !finite(v) {
			pl.leave(fig, leftOutNote(r, q.what, v))
			continue
		}
		out = append(out, r)
	}
	return out
}

// present returns the DataMix rows that have q, finite or not.
func present(rows []results.Row, q quantity) []results.Row {
	var out []results.Row
	for _, r := range rows {
		if _, ok := q.get(r); ok && !r.IsBaseline() {
			out = append(out, r)
		}
	}
	return out
}

// unvaried says why a figure against the x field is not drawn when the DataMix rows have
// fewer than two values of it: "no DataMix cells", or "every DataMix cell has k=2".
func unvaried(rows []results.Row, x string) string {
	if len(rows) == 0 {
		return "no DataMix cells"
	}
	return "every DataMix cell has " + fieldNamed(x).Label(rows[0])
}

// leftOutNote describes the non-finite value v of the quantity what of row r, left out of a
// figure: "cell c1 (datamix split 0 k=4, seed 1): accuracy is NaN".
func leftOutNote(r results.Row, what string, v float64) string {
	return fmt.Sprintf("cell %s (%s split %d k=%d, seed %d): %s is %s", r.Cell, r.Variant, r.Split, r.GroupSize, r.Seed, what, formatFloat(v))
}

// xFields are the fields figures put on the x axis.
var xFields = map[string]func(results.Row) float64{
	"group_size": func(r results.Row) float64 { return float64(r.GroupSize) },
	"split":      func(r results.Row) float64 { return float64(r.Split) },
}

// distinct returns the sorted distinct values of the x field over rows.
func distinct(rows []results.Row, x string) []float64 {
	var xs []float64
	for _, r := range rows {
		if v := xFields[x](r); !slices.Contains(xs, v) {
			xs = append(xs, v)
		}
	}
	slices.Sort(xs)
	return xs
}

// fieldNamed returns the config field (see results.ConfigFields) with the column name.
func fieldNamed(name string) results.Field {
	for _, f := range results.ConfigFields() {
		if f.Name() == name {
			return f
		}
	}
	panic("plot: no config field " + name)
}

// configLabels labels groups by the config fields that vary between them, the defence first;
// when none does, by the split and k (and the defence, if any).
func configLabels(groups []results.Group) []string {
	by := results.VaryingFields(groups)
	if i := slices.IndexFunc(by, func(f results.Field) bool { return f.Name() == "defence" }); i > 0 {
		d := by[i]
		by = append([]results.Field{d}, slices.Delete(by, i, i+1)...)
	}
	if len(by) == 0 {
		by = []results.Field{fieldNamed("split"), fieldNamed("group_size")}
		if groups[0].Row.Defence != "" {
			by = append(by, fieldNamed("defence"))
		}
	}
	out := make([]string, len(groups))
	for i, g := range groups {
		var parts []string
		for _, f := range by {
			parts = append(parts, f.Label(g.Row))
		}
		out[i] = strings.Join(parts, ", ")
	}
	return out
}

// seedCounts describes the numbers of seeds behind the points of a figure: "3 seeds",
// "1–3 seeds".
func seedCounts(ns []int) string {
	if len(ns) == 0 {
		return "no seeds"
	}
	lo, hi := slices.Min(ns), slices.Max(ns)
	unit := "seeds"
	if hi == 1 {
		unit = "seed"
	}
	if lo == hi {
		return fmt.Sprintf("%d %s", lo, unit)
	}
	return fmt.Sprintf("%d–%d %s", lo, hi, unit)
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

// refLevel is a horizontal reference line: a baseline, a bound or a chance level.
type refLevel struct {
	y      float64
	label  string
	colour color.Color
	dashes []vg.Length
}

// addRef draws r as a horizontal line across the x range of p (set it first), with an entry
// in p's legend.
func (pl *drawing) addRef(p *plot.Plot, r refLevel) error {
	l, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: r.y}, {X: p.X.Max, Y: r.y}})
	if err != nil {
		return err
	}
	l.Color = r.colour
	l.Dashes = r.dashes
	if l.Dashes == nil {
		l.Dashes = refDashes
	}
	p.Add(l)
	pl.legend(p, r.label, l)
	return nil
}

// baselines returns the baselines among the rows (aggregated over seeds) as reference levels
// of q, labelled by what tells them apart; cells with a non-finite q are left out of fig
// with a note.
func (pl *drawing) baselines(fig string, q quantity) []refLevel {
	groups := results.GroupBySeeds(pl.usable(fig, pl.rows, true, q))
	by := results.VaryingFields(groups)
	var out []refLevel
	for i, g := range groups {
		st := g.Stat(func(r results.Row) float64 { v, _ := q.get(r); return v })
		label := "baseline (unsplit, unmixed)"
		var parts []string
		for _, f := range by {
			parts = append(parts, f.Label(g.Row))
		}
		if len(parts) > 0 {
			label += ", " + strings.Join(parts, ", ")
		}
		if st.N > 1 {
			label += fmt.Sprintf(", mean of %d seeds", st.N)
		}
		out = append(out, refLevel{y: st.Mean, label: label, colour: greys[i%len(greys)]})
	}
	return out
}
