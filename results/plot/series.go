package plot

import (
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/datamix/harness/results"
)

// This file draws the line figures' series: which configurations make a line, how the lines
// are told apart (seriesStyle), the y range of a panel (yRange) and the note on lines that
// coincide (coincidence).

// point is one configuration's aggregate at one x.
type point struct {
	x     float64
	st    results.Stat
	group results.Group
}

// series is one line: the configurations that differ only in the x field.
type series struct {
	label  string // the values of the series fields, as a legend reads them
	colour string // the series' colour key (see seriesStyle)
	thick  bool   // drawn thick and pale (see seriesStyle)
	pts    []point
}

// seriesFields returns the fields that separate the series of groups along the x field:
// those that vary between groups, except x and the fields that are functions of x (paired
// with it, as a zipped batch size is with k), which do not make separate lines.
func seriesFields(groups []results.Group, x string) []results.Field {
	xOf := xFields[x]
	var by []results.Field
	for _, f := range results.ConfigFields() {
		if f.Name() == x {
			continue
		}
		varies, paired := false, true
		at := map[float64]string{}
		for _, g := range groups {
			v := f.Value(g.Row)
			varies = varies || v != f.Value(groups[0].Row)
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

// seriesStyle tells the lines of a figure apart. The series fields (see seriesFields) make the
// lines. The last of them with exactly two values — shuffling, say — is the style field: its
// first value (as strings sort: shuffle off) is drawn as a thick pale line with large markers,
// its second as a thin line with small markers on top, so that two lines that coincide show
// as a thin line running inside a thick one rather than one hiding the other. Every value of
// the other fields (the colour key; of the style field too when it is the only one) gets a
// colour of the palette, and past its ten colours a marker shape as well. One seriesStyle
// serves all the panels of a figure, so that a colour means the same in each.
type seriesStyle struct {
	x       string
	by      []results.Field
	style   int      // the index in by of the style field, -1 for none
	values  []string // the style field's two values, in increasing order (as strings)
	labels  []string // and their labels
	colours []string // the colour keys, in order of first appearance
	names   []string // and their labels
	// alone says that the style field is the only series field: its two values then get a
	// colour each as well.
	alone bool
}

// newSeriesStyle returns the style of the series that groups make along the x field.
func newSeriesStyle(groups []results.Group, x string) seriesStyle {
	st := seriesStyle{x: x, by: seriesFields(groups, x), style: -1}
	if len(st.by) >= 1 {
		for i := len(st.by) - 1; i >= 0; i-- {
			var vals, labels []string
			for _, g := range groups {
				if v := st.by[i].Value(g.Row); !slices.Contains(vals, v) {
					vals, labels = append(vals, v), append(labels, st.by[i].Label(g.Row))
				}
			}
			if len(vals) == 2 {
				if vals[0] > vals[1] { // in order of value: shuffle off (false) is the thick one
					vals[0], vals[1], labels[0], labels[1] = vals[1], vals[0], labels[1], labels[0]
				}
				st.style, st.values, st.labels, st.alone = i, vals, labels, len(st.by) == 1
				break
			}
		}
	}
	for _, g := range groups {
		if k, name := st.colourOf(g.Row); !slices.Contains(st.colours, k) {
			st.colours, st.names = append(st.colours, k), append(st.names, name)
		}
	}
	return st
}

// colourOf returns the colour key of r and its label: the values of the series fields but the
// style field.
func (st seriesStyle) colourOf(r results.Row) (key, label string) {
	var ks, ls []string
	for i, f := range st.by {
		if i != st.style || st.alone {
			ks, ls = append(ks, f.Value(r)), append(ls, f.Label(r))
		}
	}
	return strings.Join(ks, "\x00"), strings.Join(ls, ", ")
}

// labelOf returns the label of r's series: the labels of all the series fields, or "DataMix"
// when none varies.
func (st seriesStyle) labelOf(r results.Row) string {
	var ls []string
	for _, f := range st.by {
		ls = append(ls, f.Label(r))
	}
	if len(ls) == 0 {
		return "DataMix"
	}
	return strings.Join(ls, ", ")
}

// split groups rows (already filtered) by seeds and splits the groups into the series of st,
// each series' points in increasing x, the value of a point the quantity q over its seeds.
func (st seriesStyle) split(rows []results.Row, q quantity) []series {
	xOf := xFields[st.x]
	index := map[string]int{}
	var ss []series
	for _, g := range results.GroupBySeeds(rows) {
		var key []string
		for _, f := range st.by {
			key = append(key, f.Value(g.Row))
		}
		k := strings.Join(key, "\x00")
		i, ok := index[k]
		if !ok {
			i = len(ss)
			index[k] = i
			ck, _ := st.colourOf(g.Row)
			thick := st.style >= 0 && st.by[st.style].Value(g.Row) == st.values[0]
			ss = append(ss, series{label: st.labelOf(g.Row), colour: ck, thick: thick})
		}
		stat := g.Stat(func(r results.Row) float64 { v, _ := q.get(r); return v })
		ss[i].pts = append(ss[i].pts, point{x: xOf(g.Row), st: stat, group: g})
	}
	for i := range ss {
		slices.SortFunc(ss[i].pts, func(a, b point) int { return cmpFloat(a.x, b.x) })
	}
	// Thick lines first, so that the thin ones are drawn on top of them.
	slices.SortStableFunc(ss, func(a, b series) int {
		switch {
		case a.thick == b.thick:
			return 0
		case a.thick:
			return -1
		}
		return 1
	})
	return ss
}

// palette is Tableau 10 (Tableau's default categorical palette since 2016, designed to stay
// apart for common colour-vision deficiencies), in its order.
var palette = []color.NRGBA{
	{R: 0x4e, G: 0x79, B: 0xa7, A: 255}, {R: 0xf2, G: 0x8e, B: 0x2b, A: 255}, {R: 0xe1, G: 0x57, B: 0x59, A: 255},
	{R: 0x76, G: 0xb7, B: 0xb2, A: 255}, {R: 0x59, G: 0xa1, B: 0x4f, A: 255}, {R: 0xed, G: 0xc9, B: 0x48, A: 255},
	{R: 0xb0, G: 0x7a, B: 0xa1, A: 255}, {R: 0xff, G: 0x9d, B: 0xa7, A: 255}, {R: 0x9c, G: 0x75, B: 0x5f, A: 255},
	{R: 0xba, G: 0xb0, B: 0xac, A: 255},
}

// shapes are the marker shapes, one per round of the palette.
var shapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}}

// look returns the colour and marker shape of the colour key k.
func (st seriesStyle) look(k string) (color.NRGBA, draw.GlyphDrawer) {
	i := max(slices.Index(st.colours, k), 0)
	return palette[i%len(palette)], shapes[(i/len(palette))%len(shapes)]
}

// The widths and marker radii of thin and thick (pale) lines; pale is the opacity of thick ones.
var (
	thinWidth, thickWidth   = vg.Points(1.3), vg.Points(5)
	thinRadius, thickRadius = vg.Points(2.6), vg.Points(4.6)
)

const pale = 0x60

// lineStyles returns the line and marker styles of a series of colour c and shape g.
func lineStyles(c color.NRGBA, g draw.GlyphDrawer, thick bool) (draw.LineStyle, draw.GlyphStyle) {
	if thick {
		c.A = pale
		return draw.LineStyle{Color: c, Width: thickWidth}, draw.GlyphStyle{Color: c, Radius: thickRadius, Shape: draw.CircleGlyph{}}
	}
	return draw.LineStyle{Color: c, Width: thinWidth}, draw.GlyphStyle{Color: c, Radius: thinRadius, Shape: g}
}

// thumb is a legend thumbnail: a line and a marker.
type thumb struct {
	line  draw.LineStyle
	glyph draw.GlyphStyle
	// noLine or noGlyph leave that part out.
	noLine, noGlyph bool
}

func (t thumb) Thumbnail(c *draw.Canvas) {
	if !t.noLine {
		y := c.Center().Y
		c.StrokeLine2(t.line, c.Min.X, y, c.Max.X, y)
	}
	if !t.noGlyph {
		c.DrawGlyph(t.glyph, c.Center())
	}
}

// legendWith returns the legend of st with the entries extra (reference lines) added before
// its closing note, if it has one.
func (st seriesStyle) legendWith(extra []legendItem) []legendItem {
	items := st.legend()
	if n := len(items); n > 0 && len(items[n-1].thumbs) == 0 {
		return append(append(items[:n-1:n-1], extra...), items[n-1])
	}
	return append(items, extra...)
}

// legend returns the legend of st: an entry per colour, then, with a style field, an entry per
// style and a note on reading them.
func (st seriesStyle) legend() []legendItem {
	var items []legendItem
	for i, k := range st.colours {
		c, g := st.look(k)
		l, m := lineStyles(c, g, st.alone && k == st.values[0])
		name := st.names[i]
		if name == "" {
			name = "DataMix"
		}
		items = append(items, legendItem{name, []plot.Thumbnailer{thumb{line: l, glyph: m}}})
	}
	switch {
	case st.style < 0:
		return items
	case st.alone:
		return append(items, legendItem{text: "A thin line inside a thick one: the two coincide."})
	}
	grey := color.NRGBA{R: 0x40, G: 0x40, B: 0x40, A: 255}
	tl, tm := lineStyles(grey, draw.CircleGlyph{}, true)
	l, m := lineStyles(grey, draw.CircleGlyph{}, false)
	return append(items,
		legendItem{st.labels[0] + " (thick, pale)", []plot.Thumbnailer{thumb{line: tl, glyph: tm}}},
		legendItem{st.labels[1] + " (thin)", []plot.Thumbnailer{thumb{line: l, glyph: m}}},
		legendItem{text: "A thin line inside a thick one of its colour: the two coincide."},
	)
}

// addSeries draws each series of ss in its style (dashed lines when dashed is set) with
// error bars of ±1 s.d. where a point has more than one seed.
func (pl *drawing) addSeries(p *plot.Plot, ss []series, st seriesStyle, dashed bool) error {
	for _, s := range ss {
		c, g := st.look(s.colour)
		ls, gs := lineStyles(c, g, s.thick)
		if dashed {
			ls.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		if err := addLine(p, s, ls, gs); err != nil {
			return err
		}
	}
	return nil
}

// addLine draws the points of s joined by a line of style ls, with markers gs and error bars.
func addLine(p *plot.Plot, s series, ls draw.LineStyle, gs draw.GlyphStyle) error {
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
	line.LineStyle, pts.GlyphStyle = ls, gs
	p.Add(line, pts)
	if bars {
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xys, errs})
		if err != nil {
			return err
		}
		eb.LineStyle.Color = ls.Color
		eb.LineStyle.Width = vg.Points(1)
		p.Add(eb)
	}
	return nil
}

// yRange gathers the values a panel's y axis must show.
type yRange struct{ lo, hi float64 }

func newYRange() yRange { return yRange{math.Inf(1), math.Inf(-1)} }

// add widens r to hold the finite values ys.
func (r *yRange) add(ys ...float64) {
	for _, y := range ys {
		if finite(y) {
			r.lo, r.hi = math.Min(r.lo, y), math.Max(r.hi, y)
		}
	}
}

// addSeries widens r to hold the points of ss and their error bars.
func (r *yRange) addSeries(ss []series) {
	for _, s := range ss {
		for _, p := range s.pts {
			r.add(p.st.Mean)
			if p.st.N > 1 {
				r.add(p.st.Mean-p.st.SD, p.st.Mean+p.st.SD)
			}
		}
	}
}

// near says whether y can join the range without squeezing what it holds into less than two
// thirds of the axis.
func (r yRange) near(y float64) bool {
	span := r.hi - r.lo
	if span <= 0 {
		return math.Abs(y-r.hi) <= 0.05*math.Max(math.Abs(r.hi), 1e-9)
	}
	return y >= r.lo-span/2 && y <= r.hi+span/2
}

// bounds are the values a quantity can take: its axis never shows ticks outside them.
type bounds struct{ lo, hi float64 }

var (
	noBounds       = bounds{math.Inf(-1), math.Inf(1)}
	percentBounds  = bounds{0, 100}
	fractionBounds = bounds{0, 1}
)

// metricBounds returns the values a metric column can take, from its suffix.
func metricBounds(m string) bounds {
	switch {
	case strings.HasSuffix(m, "_ssim"), strings.HasSuffix(m, "_ari"):
		return bounds{-1, 1}
	case strings.HasSuffix(m, "_corr"), strings.HasSuffix(m, "_acc"), strings.HasSuffix(m, "_chance"),
		strings.Contains(m, "_recovered"):
		return fractionBounds
	case strings.HasSuffix(m, "_psnr"):
		return bounds{0, 100} // the attacks cap PSNR at 100 dB
	}
	return noBounds
}

// setY sets the y axis of p to show r with a margin of 6% of its span on each side, but
// reaching at most 2% of the span past the bounds b, and gives it ticks within b only. A
// range of one value gets a window of ±5% of that value (or 0.05 around 0).
func setY(p *plot.Plot, r yRange, b bounds) {
	lo, hi := r.lo, r.hi
	if !finite(lo) || !finite(hi) {
		return
	}
	span := hi - lo
	if span <= 1e-12*math.Max(math.Abs(hi), 1) {
		half := 0.05 * math.Abs(hi)
		if half == 0 {
			half = 0.05
		}
		lo, hi, span = lo-half, hi+half, 2*half
		if hi > b.hi { // a value at its bound: the window lies below it
			lo, hi = b.hi-span, b.hi
		}
		if lo < b.lo {
			lo, hi = b.lo, b.lo+span
		}
	}
	p.Y.Min = math.Max(lo-0.06*span, math.Min(lo, b.lo-0.02*span))
	p.Y.Max = math.Min(hi+0.06*span, math.Max(hi, b.hi+0.02*span))
	p.Y.Tick.Marker = boundedTicks{b}
}

// boundedTicks are gonum's default ticks less those outside the bounds, labelled with as many
// decimals as it takes to tell the labelled ones apart (gonum's labels of a narrow range, such
// as 91.56 to 91.68, can all read "92").
type boundedTicks struct{ b bounds }

func (t boundedTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, tk := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if tk.Value >= t.b.lo-1e-9 && tk.Value <= t.b.hi+1e-9 {
			out = append(out, tk)
		}
	}
	return distinctLabels(out)
}

// distinctLabels relabels the labelled ticks with the fewest decimals (up to 6) that give
// distinct labels, when gonum's labels repeat; otherwise it returns ticks as they are.
func distinctLabels(ticks []plot.Tick) []plot.Tick {
	distinct := func(label func(float64) string) bool {
		seen := map[string]bool{}
		for _, tk := range ticks {
			if tk.IsMinor() {
				continue
			}
			l := label(tk.Value)
			if seen[l] {
				return false
			}
			seen[l] = true
		}
		return true
	}
	if distinct(func(v float64) string { return ticksLabel(ticks, v) }) {
		return ticks
	}
	for d := 0; d <= 6; d++ {
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', d, 64) }
		if distinct(f) {
			for i := range ticks {
				if !ticks[i].IsMinor() {
					ticks[i].Label = f(ticks[i].Value)
				}
			}
			return ticks
		}
	}
	return ticks
}

// ticksLabel is the label ticks give value v.
func ticksLabel(ticks []plot.Tick, v float64) string {
	for _, tk := range ticks {
		if tk.Value == v {
			return tk.Label
		}
	}
	return ""
}

// coincideTol is how close, as a fraction of a panel's y span, two lines must be at every x to
// count as coinciding: 0.6% is 1.3 points of a 220-point panel, the width of a thin line.
const coincideTol = 0.006

// coincidence describes the lines of ss that coincide in p (the shorter lying on the longer,
// within coincideTol at each of its x values), or returns "" when none do: "all lines coincide", "shuffle off and
// on alike on every line", or each set of coinciding lines ("k=2: shuffle off = on").
func coincidence(p *plot.Plot, ss []series, st seriesStyle) string {
	span := p.Y.Max - p.Y.Min
	// same says whether the shorter of a and b lies on the longer: each of its points at an x
	// of the other, within the tolerance.
	same := func(a, b series) bool {
		if len(a.pts) > len(b.pts) {
			a, b = b, a
		}
		for _, p := range a.pts {
			i := slices.IndexFunc(b.pts, func(q point) bool { return q.x == p.x })
			if i < 0 || math.Abs(b.pts[i].st.Mean-p.st.Mean) > coincideTol*span {
				return false
			}
		}
		return true
	}
	// Classes of coinciding series, each in the order of ss.
	var classes [][]series
	for _, s := range ss {
		placed := false
		for i := range classes {
			if same(classes[i][0], s) {
				classes[i] = append(classes[i], s)
				placed = true
				break
			}
		}
		if !placed {
			classes = append(classes, []series{s})
		}
	}
	if len(classes) == len(ss) {
		return ""
	}
	if len(classes) == 1 {
		return "all lines coincide"
	}
	var parts []string
	pairs, pairable := 0, 0 // style pairs that coincide; colours drawn in both styles
	for _, k := range st.colours {
		n := 0
		for _, s := range ss {
			if s.colour == k {
				n++
			}
		}
		if n == 2 {
			pairable++
		}
	}
	for _, cl := range classes {
		if len(cl) < 2 {
			continue
		}
		if len(cl) == 2 && st.style >= 0 && cl[0].colour == cl[1].colour {
			pairs++
			name := st.names[slices.Index(st.colours, cl[0].colour)]
			pair := st.labels[0] + " = " + shortAfter(st.labels[0], st.labels[1])
			if name != "" {
				pair = name + ": " + pair
			}
			parts = append(parts, pair)
			continue
		}
		parts = append(parts, st.classText(cl))
	}
	if pairs == len(parts) && pairs == pairable && pairs > 1 {
		return st.bothStyles() + " on every line"
	}
	return strings.Join(parts, "; ")
}

// bothStyles says that the two values of the style field agree: "shuffle off and on alike".
func (st seriesStyle) bothStyles() string {
	return st.labels[0] + " and " + shortAfter(st.labels[0], st.labels[1]) + " alike"
}

// classText names a set of coinciding series: "split 1 = split 2, shuffle off and on alike"
// when it holds both styles of each of its colours, else their labels joined by " = ".
func (st seriesStyle) classText(cl []series) string {
	var colours, names []string
	for _, s := range cl {
		if !slices.Contains(colours, s.colour) {
			colours = append(colours, s.colour)
			names = append(names, st.names[slices.Index(st.colours, s.colour)])
		}
	}
	if st.style >= 0 && len(cl) == 2*len(colours) && !slices.Contains(names, "") {
		return strings.Join(names, " = ") + ", " + st.bothStyles()
	}
	var ls []string
	for _, s := range cl {
		ls = append(ls, s.label)
	}
	return strings.Join(ls, " = ")
}

// shortAfter returns b without the words it starts with in common with a: "on" for "shuffle
// off" and "shuffle on".
func shortAfter(a, b string) string {
	aw, bw := strings.Fields(a), strings.Fields(b)
	i := 0
	for i < len(aw) && i < len(bw)-1 && aw[i] == bw[i] {
		i++
	}
	return strings.Join(bw[i:], " ")
}
