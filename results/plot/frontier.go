package plot

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/datamix/harness/results"
)

// frontierFig is the name of the frontier figure.
const frontierFig = "frontier"

// costMap colours a configuration's edge FLOPs share in the frontier: viridis (van der Walt and
// Smith, matplotlib 2.0's default), ten stops, perceptually uniform and far from leakMap's
// reds.
var costMap = colourMap{
	{R: 0x44, G: 0x01, B: 0x54, A: 255}, {R: 0x48, G: 0x28, B: 0x78, A: 255}, {R: 0x3e, G: 0x49, B: 0x89, A: 255},
	{R: 0x31, G: 0x68, B: 0x8e, A: 255}, {R: 0x26, G: 0x82, B: 0x8e, A: 255}, {R: 0x1f, G: 0x9e, B: 0x89, A: 255},
	{R: 0x35, G: 0xb7, B: 0x79, A: 255}, {R: 0x6e, G: 0xce, B: 0x58, A: 255}, {R: 0xb5, G: 0xde, B: 0x2b, A: 255},
	{R: 0xfd, G: 0xe7, B: 0x25, A: 255},
}

// recognisableSSIM is the SSIM above which an MNIST reconstruction shows the digit, drawn in
// the frontier's SSIM panel: below 0.30 it is blur (see the README's "Reading the columns").
const recognisableSSIM = 0.30

// frontier draws the frontier figure: the test accuracy of each attacked configuration of the
// matrix against each of its worst-case leakages (one panel per worst case that two or more
// configurations have; see results.WorstCase), the Pareto front of each panel (no other
// configuration is at least as accurate and leaks at most as much, one of them strictly) joined by
// a step line, marker colour the edge's FLOPs share and marker area the bytes uploaded per input.
// The configurations on any panel's front are numbered, in every panel, in order of accuracy, and a
// key beside the panels names them; the others are drawn unlabelled. The baseline's accuracy and
// the budgets 1 and 3 points below it are reference lines. It is drawn when two or more
// configurations were attacked, and skipped with a note when fewer than two of them have a finite
// accuracy and leakage.
func (pl *drawing) frontier() {
	m := pl.matrix
	switch {
	case m == nil:
		pl.skip(frontierFig, noAttack)
		return
	case len(m.Rows) < 2:
		pl.skip(frontierFig, "one configuration was attacked, need 2")
		return
	}
	type panelRows struct {
		w    results.WorstCase
		rows []int // the indices of the matrix rows drawn
	}
	var panels []panelRows
	most := 0
	for _, w := range m.Worst {
		var idx []int
		for i, r := range m.Rows {
			if r.Accuracy.N > 0 && !math.IsNaN(r.Worst[w.Name]) {
				idx = append(idx, i)
			}
		}
		most = max(most, len(idx))
		if len(idx) >= 2 {
			panels = append(panels, panelRows{w, idx})
		}
	}
	if len(panels) == 0 {
		pl.notDrawn(frontierFig, "%d configuration(s) have a finite accuracy and a worst-case leakage, need 2", most)
		return
	}
	for _, nf := range m.LeftOut {
		pl.leave(frontierFig, leftOutNote(nf.Row, nf.Measure, nf.Value))
	}

	// Number the configurations on any front, by accuracy.
	fronts := make([][]int, len(panels))
	var numbered []int
	for i, pr := range panels {
		pts := make([]paretoPoint, len(pr.rows))
		for j, ri := range pr.rows {
			pts[j] = paretoPoint{leak: m.Rows[ri].Worst[pr.w.Name], acc: m.Rows[ri].Accuracy.Mean}
		}
		for _, j := range front(pts) {
			fronts[i] = append(fronts[i], pr.rows[j])
			if !slices.Contains(numbered, pr.rows[j]) {
				numbered = append(numbered, pr.rows[j])
			}
		}
	}
	slices.SortStableFunc(numbered, func(a, b int) int { return cmpFloat(m.Rows[b].Accuracy.Mean, m.Rows[a].Accuracy.Mean) })
	number := map[int]int{}
	for n, ri := range numbered {
		number[ri] = n + 1
	}

	look := newMarkerLook(m)
	refs := pl.budgetRefs()
	var plots []*plot.Plot
	for i, pr := range panels {
		p, err := pl.frontierPanel(m, pr.w, pr.rows, fronts[i], number, look, refs)
		if err != nil {
			pl.failed(frontierFig, err)
			return
		}
		plots = append(plots, p)
	}

	seeds := "one seed"
	if ns := matrixSeeds(m); slices.Max(ns) > 1 {
		seeds = "mean over " + seedCounts(ns)
	}
	legend := []legendItem{
		{"configuration: colour = edge FLOPs share, area = upload bytes per input", []plot.Thumbnailer{
			thumb{glyph: draw.GlyphStyle{Color: costMap.at(0.5), Radius: vg.Points(4.5), Shape: draw.CircleGlyph{}}, noLine: true}}},
		{"on the Pareto front (numbered; see the key)", []plot.Thumbnailer{thumb{
			line:  draw.LineStyle{Color: color.Gray{Y: 0x30}, Width: vg.Points(1)},
			glyph: draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5.5), Shape: draw.RingGlyph{}}}}},
	}
	legend = append(legend, pl.sharedItems(plots)...)
	side := []block{legendBlock{legend}}
	if look.lo < look.hi {
		side = append(side, colourBar{title: "edge share of the FLOPs (%)", cmap: costMap, lo: look.lo, hi: look.hi,
			ticks: barTicks(look.lo, look.hi)})
	} else {
		side = append(side, textBlock{text: fmt.Sprintf("Edge share of the FLOPs: %.1f%% for every configuration.", look.lo)})
	}
	side = append(side, look.sizeKey())
	panelW := 3.6 * vg.Inch
	key := keyBlock{m: m, labels: pl.matrixLabels, numbered: numbered, width: vg.Length(len(plots)) * panelW}
	if n := len(m.Rows) - len(numbered); n > 0 {
		key.after = fmt.Sprintf("%d other configuration(s), dominated in every panel, are not numbered: see %s.", n, results.DefenceMatrixFile)
	}
	pl.figs = append(pl.figs, figure{
		name:   frontierFig,
		title:  fmt.Sprintf("%saccuracy vs worst-case leakage over every attack (%s)", datasetTitle(pl.rows), seeds),
		plots:  plots,
		cols:   len(plots),
		panelW: panelW, panelH: 3.8 * vg.Inch,
		side:  side,
		below: []block{key},
	})
}

// paretoPoint is one configuration in a Pareto scatter: its leakage and its accuracy (%).
type paretoPoint struct{ leak, acc float64 }

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

// budgetRefs returns the reference lines of the frontier's accuracy axis: the baselines and,
// when there is one, the budgets of 1 and 3 points below it.
func (pl *drawing) budgetRefs() []refLevel {
	base := pl.baselines(frontierFig, accuracyQ())
	if len(base) != 1 {
		return base
	}
	b := base[0]
	return append(base,
		refLevel{y: b.y - 1, label: "baseline − 1 pp", colour: color.Gray{Y: 0x60}, dashes: budgetDashes},
		refLevel{y: b.y - 3, label: "baseline − 3 pp", colour: color.Gray{Y: 0x98}, dashes: budgetDashes})
}

// frontierPanel draws the panel of the worst case w: the matrix rows rows, those of fr on the
// front, numbered by number.
func (pl *drawing) frontierPanel(m *results.DefenceMatrix, w results.WorstCase, rows, fr []int, number map[int]int, look markerLook, refs []refLevel) (*plot.Plot, error) {
	axis := labelOf(w).axis
	p := newPlot("", axis, "test accuracy (%)")
	p.X.Label.TextStyle.Font.Size = vg.Points(9.5)
	p.X.Label.Text = strings.Join(wrapText(p.X.Label.TextStyle, axis, 3.2*vg.Inch), "\n")
	lo, hi := 0.0, 1.0
	r := newYRange()
	for _, i := range rows {
		lo, hi = math.Min(lo, m.Rows[i].Worst[w.Name]), math.Max(hi, m.Rows[i].Worst[w.Name])
		r.add(m.Rows[i].Accuracy.Mean)
	}
	for _, ref := range refs {
		r.add(ref.y)
	}
	p.X.Min, p.X.Max = lo-0.04*(hi-lo), hi+0.04*(hi-lo)
	setY(p, r, percentBounds)
	for _, ref := range refs {
		if err := pl.addRef(p, ref); err != nil {
			return nil, err
		}
	}
	if w.Name == worstSSIM {
		l, err := plotter.NewLine(plotter.XYs{{X: recognisableSSIM, Y: p.Y.Min}, {X: recognisableSSIM, Y: p.Y.Max}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Dashes = color.NRGBA{R: 0xbd, A: 255}, budgetDashes
		p.Add(l)
		pl.legend(p, "SSIM 0.30: to its right an image is recognisable", l)
	}
	// The front as a step line: from each point right to the next one's leakage, then up.
	var steps plotter.XYs
	for j, i := range fr {
		x, y := m.Rows[i].Worst[w.Name], m.Rows[i].Accuracy.Mean
		if j > 0 {
			steps = append(steps, plotter.XY{X: x, Y: steps[len(steps)-1].Y})
		}
		steps = append(steps, plotter.XY{X: x, Y: y})
	}
	if len(steps) > 1 {
		l, err := plotter.NewLine(steps)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = color.Gray{Y: 0x30}, vg.Points(1)
		p.Add(l)
	}
	marks := &bubbles{}
	for _, i := range rows {
		mr := m.Rows[i]
		marks.pts = append(marks.pts, bubble{
			x: mr.Worst[w.Name], y: mr.Accuracy.Mean, fill: look.colour(mr), radius: look.radius(mr),
			onFront: slices.Contains(fr, i), number: number[i],
		})
	}
	p.Add(marks)
	return p, nil
}

// markerLook maps a configuration's costs to its marker: the edge FLOPs share (%) to a colour
// of costMap, the bytes uploaded per input to the marker's area.
type markerLook struct{ lo, hi, blo, bhi float64 }

func newMarkerLook(m *results.DefenceMatrix) markerLook {
	l := markerLook{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for _, r := range m.Rows {
		l.lo, l.hi = math.Min(l.lo, r.EdgeShare.Mean), math.Max(l.hi, r.EdgeShare.Mean)
		l.blo, l.bhi = math.Min(l.blo, r.Upload.Mean), math.Max(l.bhi, r.Upload.Mean)
	}
	return l
}

func (l markerLook) colour(r results.MatrixRow) color.NRGBA {
	if l.hi == l.lo {
		return costMap.at(0.5)
	}
	return costMap.at((r.EdgeShare.Mean - l.lo) / (l.hi - l.lo))
}

// The marker radii of the fewest and the most bytes uploaded.
var (
	minBubble = vg.Points(3.5)
	maxBubble = vg.Points(8.5)
)

// radiusOf is the radius of a marker of b bytes: the area grows linearly with the bytes from
// that of minBubble at the fewest to that of maxBubble at the most.
func (l markerLook) radiusOf(b float64) vg.Length {
	if l.bhi == l.blo {
		return (minBubble + maxBubble) / 2
	}
	t := (b - l.blo) / (l.bhi - l.blo)
	a0, a1 := float64(minBubble*minBubble), float64(maxBubble*maxBubble)
	return vg.Length(math.Sqrt(a0 + t*(a1-a0)))
}

func (l markerLook) radius(r results.MatrixRow) vg.Length { return l.radiusOf(r.Upload.Mean) }

// sizeKey is the key of the markers' areas.
func (l markerLook) sizeKey() block {
	if l.bhi == l.blo {
		return textBlock{text: fmt.Sprintf("Upload: %.0f B per input for every configuration.", l.blo)}
	}
	var items []legendItem
	items = append(items, legendItem{text: "upload bytes per input (marker area)"})
	vals := []float64{l.blo, (l.blo + l.bhi) / 2, l.bhi}
	for _, v := range vals {
		items = append(items, legendItem{fmt.Sprintf("%.0f B", v), []plot.Thumbnailer{thumb{noLine: true,
			glyph: draw.GlyphStyle{Color: color.Gray{Y: 0x90}, Radius: l.radiusOf(v), Shape: draw.CircleGlyph{}}}}})
	}
	return tallLegend{legendBlock{items}}
}

// tallLegend is a legend whose rows are tall enough for the largest marker.
type tallLegend struct{ legendBlock }

func (t tallLegend) size() (w, h vg.Length) {
	w, _ = t.legendBlock.size()
	return w, vg.Length(len(t.items)) * 2 * maxBubble
}

func (t tallLegend) draw(c draw.Canvas, x, top vg.Length) {
	for _, it := range t.items {
		(legendBlock{[]legendItem{it}}).draw(c, x, top-(2*maxBubble-lineHeight(textStyle(legendSize)))/2)
		top -= 2 * maxBubble
	}
}

// barTicks returns about five ticks from lo to hi for a colour bar.
func barTicks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label != "" && t.Value >= lo && t.Value <= hi {
			out = append(out, t)
		}
	}
	return out
}

// keyBlock is the frontier's key: per numbered configuration, its number, its label and its
// figures (accuracy and gap, the worst cases, the edge's FLOPs share and the upload), wrapped
// to width, and a closing line after.
type keyBlock struct {
	m        *results.DefenceMatrix
	labels   []string // of the rows of m
	numbered []int
	width    vg.Length
	after    string
}

var keyNumW = vg.Points(18)

func (k keyBlock) entries() [][]string {
	st := textStyle(legendSize)
	out := [][]string{{"Key to the numbers (configurations on the Pareto front of at least one panel):"}}
	for _, i := range k.numbered {
		r := k.m.Rows[i]
		figs := []string{fmt.Sprintf("accuracy %.2f%%", r.Accuracy.Mean)}
		if r.Gap.N > 0 {
			figs[0] += fmt.Sprintf(" (%s pp)", strings.Replace(fmt.Sprintf("%+.2f", r.Gap.Mean), "-", "−", 1))
		}
		for _, w := range k.m.Worst {
			if v := r.Worst[w.Name]; !math.IsNaN(v) {
				figs = append(figs, fmt.Sprintf(labelOf(w).key, v))
			}
		}
		figs = append(figs, fmt.Sprintf("edge %.1f%% of the FLOPs", r.EdgeShare.Mean), fmt.Sprintf("%.0f B up", r.Upload.Mean))
		out = append(out, wrapText(st, k.labels[i]+" — "+strings.Join(figs, ", "), k.width-keyNumW))
	}
	if k.after != "" {
		out = append(out, wrapText(st, k.after, k.width))
	}
	return out
}

// numbered says whether the entry i of entries is a numbered one.
func (k keyBlock) isNumbered(i int) bool { return i > 0 && i <= len(k.numbered) }

func (k keyBlock) size() (w, h vg.Length) {
	st := textStyle(legendSize)
	for i, e := range k.entries() {
		ew := linesWidth(st, e)
		if k.isNumbered(i) {
			ew += keyNumW
		}
		w = max(w, ew)
		h += vg.Length(len(e))*lineHeight(st) + vg.Points(2)
	}
	return w, h
}

func (k keyBlock) draw(c draw.Canvas, x, top vg.Length) {
	st := textStyle(legendSize)
	num := st
	num.XAlign = draw.XRight
	for i, e := range k.entries() {
		if k.isNumbered(i) {
			c.FillText(num, vg.Point{X: x + keyNumW - vg.Points(5), Y: top}, fmt.Sprint(i))
			drawLines(c, st, e, x+keyNumW, top)
		} else {
			if i > 0 {
				st.Color = color.Gray{Y: 0x50}
			}
			drawLines(c, st, e, x, top)
		}
		top -= vg.Length(len(e))*lineHeight(st) + vg.Points(2)
	}
}

// bubble is one configuration's marker in a frontier panel.
type bubble struct {
	x, y    float64
	fill    color.NRGBA
	radius  vg.Length
	onFront bool
	number  int // 0 for none
}

// bubbles draws the markers of a frontier panel, the largest first so that small ones stay
// visible, the fronts' with a black ring, then the numbers beside them, placed so that they
// overlap neither each other nor a marker where a free place exists (see placeLabels).
type bubbles struct{ pts []bubble }

func (b *bubbles) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	order := make([]int, len(b.pts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmpFloat(float64(b.pts[j].radius), float64(b.pts[i].radius)) })
	edge := draw.LineStyle{Color: color.Gray{Y: 0x50}, Width: vg.Points(0.5)}
	ring := draw.LineStyle{Color: color.Black, Width: vg.Points(1.4)}
	for _, i := range order {
		pt := b.pts[i]
		at := vg.Point{X: trX(pt.x), Y: trY(pt.y)}
		fill := pt.fill
		fill.A = 0xd8
		c.DrawGlyphNoClip(draw.GlyphStyle{Color: fill, Radius: pt.radius, Shape: draw.CircleGlyph{}}, at)
		st := edge
		if pt.onFront {
			st = ring
		}
		c.SetLineStyle(st)
		var path vg.Path
		path.Move(vg.Point{X: at.X + pt.radius, Y: at.Y})
		path.Arc(at, pt.radius, 0, 2*math.Pi)
		path.Close()
		c.Stroke(path)
	}
	placeLabels(c, b.pts, trX, trY)
}

// numberLabel is the number (or numbers, of markers at one place) written beside a marker.
type numberLabel struct {
	at   vg.Point  // the marker's centre
	r    vg.Length // its radius
	text string
	box  vg.Rectangle // where the text goes
	far  bool         // placed away from the marker, joined to it by a leader line
}

// numberStyle is the style of the frontier's numbers.
func numberStyle() text.Style {
	st := textStyle(vg.Points(8.5))
	st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
	return st
}

// labelAngles are the directions, in degrees, in which layoutLabels tries a number around its
// marker, in order of preference: right, above right, below right, above, below, left, …
var labelAngles = []float64{0, 45, -45, 90, -90, 180, 135, -135, 22.5, -22.5, 67.5, -67.5, 112.5, -112.5, 157.5, -157.5}

// labelRings are the distances from a marker's edge at which layoutLabels tries a number: the
// first touching it, the others further out, joined to it by a leader line.
var labelRings = []vg.Length{vg.Points(2), vg.Points(14), vg.Points(26), vg.Points(40), vg.Points(56)}

// layoutLabels places the number of each numbered bubble at device position at[i] beside it,
// inside area: of the places around the marker (labelAngles at each of labelRings, nearest
// first), the first that overlaps no marker, no other number and stays inside area; if none
// does, the one that overlaps least, an overlap with a number counting a thousand times one
// with a marker. Numbers of markers at the same place (within 2 points) are written once,
// joined by commas, in increasing order; labels are placed in order of their first number.
func layoutLabels(pts []bubble, at []vg.Point, area vg.Rectangle) []numberLabel {
	st := numberStyle()
	var labels []numberLabel
	var nums [][]int
	for i, p := range pts {
		if p.number == 0 {
			continue
		}
		j := slices.IndexFunc(labels, func(l numberLabel) bool {
			return math.Hypot(float64(l.at.X-at[i].X), float64(l.at.Y-at[i].Y)) <= 2
		})
		if j < 0 {
			labels, nums = append(labels, numberLabel{at: at[i], r: p.radius}), append(nums, nil)
			j = len(labels) - 1
		}
		nums[j] = append(nums[j], p.number)
		labels[j].r = max(labels[j].r, p.radius)
	}
	for i := range labels {
		slices.Sort(nums[i])
		var parts []string
		for _, n := range nums[i] {
			parts = append(parts, fmt.Sprint(n))
		}
		labels[i].text = strings.Join(parts, ",")
	}
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return nums[a][0] - nums[b][0] })

	overlap := func(a, b vg.Rectangle) float64 {
		w := math.Min(float64(a.Max.X), float64(b.Max.X)) - math.Max(float64(a.Min.X), float64(b.Min.X))
		h := math.Min(float64(a.Max.Y), float64(b.Max.Y)) - math.Max(float64(a.Min.Y), float64(b.Min.Y))
		if w <= 0 || h <= 0 {
			return 0
		}
		return w * h
	}
	var taken []vg.Rectangle
	for _, li := range order {
		l := &labels[li]
		tw, th := st.Width(l.text), st.Font.Size
		bestScore := math.Inf(1)
		for ring, step := range labelRings {
			d := l.r + step
			for _, a := range labelAngles {
				cos, sin := vg.Length(math.Cos(a*math.Pi/180)), vg.Length(math.Sin(a*math.Pi/180))
				// The box touches the circle of radius d on the side facing the marker.
				cx, cy := l.at.X+cos*(d+tw/2), l.at.Y+sin*(d+th/2)
				box := vg.Rectangle{Min: vg.Point{X: cx - tw/2 - 1, Y: cy - th/2 - 1}, Max: vg.Point{X: cx + tw/2 + 1, Y: cy + th/2 + 1}}
				score := 0.5 * float64(ring) // nearer is better, all else equal
				for _, r := range taken {
					score += 1e3 * overlap(box, r) // numbers must not overlap
				}
				for i, p := range pts {
					mb := vg.Rectangle{Min: vg.Point{X: at[i].X - p.radius, Y: at[i].Y - p.radius}, Max: vg.Point{X: at[i].X + p.radius, Y: at[i].Y + p.radius}}
					score += overlap(box, mb)
				}
				if box.Min.X < area.Min.X || box.Max.X > area.Max.X || box.Min.Y < area.Min.Y || box.Max.Y > area.Max.Y {
					score += 1e9
				}
				if score < bestScore {
					l.box, l.far, bestScore = box, ring > 0, score
				}
			}
			if bestScore < 0.5*float64(ring)+1 {
				break // free of markers and numbers, or nearly
			}
		}
		taken = append(taken, l.box)
	}
	return labels
}

// placeLabels writes the numbers of the numbered bubbles beside them (see layoutLabels).
func placeLabels(c draw.Canvas, pts []bubble, trX, trY func(float64) vg.Length) {
	at := make([]vg.Point, len(pts))
	for i, p := range pts {
		at[i] = vg.Point{X: trX(p.x), Y: trY(p.y)}
	}
	st := numberStyle()
	for _, l := range layoutLabels(pts, at, c.Rectangle) {
		centre := vg.Point{X: (l.box.Min.X + l.box.Max.X) / 2, Y: (l.box.Min.Y + l.box.Max.Y) / 2}
		if l.far {
			lead := draw.LineStyle{Color: color.Gray{Y: 0x40}, Width: vg.Points(0.5)}
			dx, dy := centre.X-l.at.X, centre.Y-l.at.Y
			n := vg.Length(math.Hypot(float64(dx), float64(dy)))
			c.StrokeLine2(lead, l.at.X+dx*l.r/n, l.at.Y+dy*l.r/n, centre.X-dx*(st.Font.Size/2)/n, centre.Y-dy*(st.Font.Size/2)/n)
		}
		b := l.box
		c.FillPolygon(color.NRGBA{R: 255, G: 255, B: 255, A: 0xc0}, []vg.Point{b.Min, {X: b.Max.X, Y: b.Min.Y}, b.Max, {X: b.Min.X, Y: b.Max.Y}})
		c.FillText(st, centre, l.text)
	}
}
