package results

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// leakage is a measure of leakage that a Pareto figure puts on its x axis: the worst case
// over a family of metric columns, since a defence is judged by the strongest attack
// against it.
type leakage struct {
	fig, what, axis string
	pattern         string                   // the family's columns, for titles
	member          func(metric string) bool // whether a column belongs to the family
	value           func(r Row, metric string) (float64, bool)
}

// leakages are the measures of leakage of the Pareto figures, one figure each.
var leakages = []leakage{
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

// family returns the privacy metrics of rows that belong to l's family.
func (l leakage) family(rows []Row) []string {
	var family []string
	for _, m := range privacyMetrics(rows) {
		if l.member(m) {
			family = append(family, m)
		}
	}
	return family
}

// worst returns the quantity of l over the columns of family: the worst case over those a
// row has, non-finite if any of them is; rows with none of them lack it.
func (l leakage) worst(family []string) quantity {
	return quantity{l.what, func(r Row) (float64, bool) {
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
}

// pareto draws pareto_ssim and pareto_attribute, accuracy against each measure of leakage
// that the rows have (see paretoFigure).
func (pl *drawing) pareto() {
	for _, l := range leakages {
		pl.paretoFigure(l)
	}
}

// paretoFigure draws accuracy against the leakage l, one point per DataMix configuration
// (aggregated over seeds) labelled by the settings that vary, when two or more
// configurations have l's columns. A cell with a non-finite accuracy or leakage is left out
// with a note, and the figure is skipped with a note when fewer than two configurations
// remain.
func (pl *drawing) paretoFigure(l leakage) {
	family := l.family(pl.rows)
	if len(family) == 0 {
		return
	}
	leak := l.worst(family)
	if len(GroupBySeeds(present(pl.rows, leak))) < 2 {
		return // fewer than two configurations were attacked
	}
	rows := pl.usable(l.fig, pl.usable(l.fig, pl.rows, false, accuracyQ()), false, leak)
	groups := GroupBySeeds(rows)
	if len(groups) < 2 {
		pl.note("%s: not drawn: %d configuration(s) have a finite accuracy and %s, need 2", l.fig, len(groups), l.what)
		return
	}
	pts, ns := paretoPoints(groups, leak)
	subtitle := "leakage: " + strings.Join(family, ", ")
	if len(family) > 2 {
		subtitle = fmt.Sprintf("leakage: the worst case over the %d %s columns", len(family), l.pattern)
	}
	if err := pl.drawPareto(l.fig, subtitle, l.axis, pts, ns); err != nil {
		pl.failed(l.fig, err)
	}
}

// paretoPoint is one configuration in a Pareto scatter.
type paretoPoint struct {
	leak, acc, edge float64 // mean leakage, mean accuracy (%), mean edge FLOPs share (%)
	label           string
}

// paretoPoints returns the point of each group, labelled by the fields that vary between
// the groups, and the number of rows of each.
func paretoPoints(groups []Group, leak quantity) ([]paretoPoint, []int) {
	by := varyingFields(groups)
	pts := make([]paretoPoint, len(groups))
	ns := make([]int, len(groups))
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
		ns[i] = len(g.Rows)
	}
	return pts, ns
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

// Marker radii of the Pareto scatter: the smallest for the lowest edge share, the largest
// for the highest.
var (
	minRadius = vg.Points(3)
	maxRadius = vg.Points(10)
)

// edgeRange is the range of the edge FLOPs shares (%) of the points of a scatter, which
// scales their markers.
type edgeRange struct{ lo, hi float64 }

// edgeRangeOf returns the edge range of pts.
func edgeRangeOf(pts []paretoPoint) edgeRange {
	e := edgeRange{lo: math.Inf(1), hi: math.Inf(-1)}
	for _, p := range pts {
		e.lo, e.hi = math.Min(e.lo, p.edge), math.Max(e.hi, p.edge)
	}
	return e
}

// radius is the marker radius of a point with the edge share edge: linear from minRadius at
// the lowest share to maxRadius at the highest, halfway when all shares are equal.
func (e edgeRange) radius(edge float64) vg.Length {
	if e.hi == e.lo {
		return (minRadius + maxRadius) / 2
	}
	return minRadius + vg.Length((edge-e.lo)/(e.hi-e.lo))*(maxRadius-minRadius)
}

// drawPareto draws the scatter of pts, accuracy against leakage (the x axis labelled
// xLabel), with its Pareto front and point labels, as the figure fig; ns are the numbers of
// seeds behind the points, for the title above subtitle.
func (pl *drawing) drawPareto(fig, subtitle, xLabel string, pts []paretoPoint, ns []int) error {
	edges := edgeRangeOf(pts)
	xys := make(plotter.XYs, len(pts))
	for i, p := range pts {
		xys[i] = plotter.XY{X: p.leak, Y: p.acc}
	}
	mean := "mean over " + seedCounts(ns)
	if slices.Max(ns) == 1 {
		mean = "one seed"
	}
	p := newPlot(fmt.Sprintf("Accuracy vs leakage, %s\n%s", mean, subtitle), xLabel, "test accuracy (%)")
	p.Legend.Top = false // bottom right: high leakage with low accuracy is where points are rarest
	if err := pl.addConfigurations(p, pts, xys, edges); err != nil {
		return err
	}
	if err := pl.addFront(p, pts, xys, edges); err != nil {
		return err
	}
	if err := addPointLabels(p, pts, xys); err != nil {
		return err
	}
	legendRoom(p, pl.entries[p], false)
	// Room on the right for the labels of the rightmost points.
	if span := p.X.Max - p.X.Min; span > 0 {
		p.X.Min, p.X.Max = p.X.Min-0.05*span, p.X.Max+0.2*span
	}
	pl.figs = append(pl.figs, figure{name: fig, w: figW, h: figH, plots: []*plot.Plot{p}})
	return nil
}

// addConfigurations draws every point of pts at xys as a translucent disc sized by its edge
// share, with a legend entry giving the range of the shares.
func (pl *drawing) addConfigurations(p *plot.Plot, pts []paretoPoint, xys plotter.XYs, edges edgeRange) error {
	all, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	blue := color.NRGBA{R: 90, G: 155, B: 212, A: 160} // plotutil's blue, translucent where markers overlap
	all.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: blue, Radius: edges.radius(pts[i].edge), Shape: draw.CircleGlyph{}}
	}
	all.GlyphStyle = draw.GlyphStyle{Color: blue, Radius: (minRadius + maxRadius) / 2, Shape: draw.CircleGlyph{}} // the legend's
	p.Add(all)
	sizeNote := fmt.Sprintf("configurations (marker size: edge FLOPs %.1f–%.1f%%)", edges.lo, edges.hi)
	if edges.hi == edges.lo {
		sizeNote = fmt.Sprintf("configurations (edge FLOPs %.1f%%)", edges.lo)
	}
	pl.legend(p, sizeNote, all)
	return nil
}

// addFront draws the Pareto front of pts (see front) as a red line through red rings around
// its points.
func (pl *drawing) addFront(p *plot.Plot, pts []paretoPoint, xys plotter.XYs, edges edgeRange) error {
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
		return draw.GlyphStyle{Color: red, Radius: edges.radius(pts[fr[j]].edge) + vg.Points(1.5), Shape: draw.RingGlyph{}}
	}
	p.Add(fl, fs)
	pl.legend(p, "Pareto front (less leakage, more accuracy)", fl, fs)
	return nil
}

// addPointLabels writes each point's label next to it at xys, unless no point has one.
func addPointLabels(p *plot.Plot, pts []paretoPoint, xys plotter.XYs) error {
	labels := make([]string, len(pts))
	for i, pt := range pts {
		labels[i] = pt.label
	}
	if !slices.ContainsFunc(labels, func(s string) bool { return s != "" }) {
		return nil
	}
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
	return nil
}
