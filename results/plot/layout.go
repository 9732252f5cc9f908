package plot

import (
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// This file lays a figure out: a title over everything, the panels in a grid with aligned axes
// (or a body the figure draws itself, the heat map's), and a column on the right holding the
// legends, keys, colour bars and notes — so that no legend, label or note is ever drawn over
// the data, and no axis is stretched to make room for one. Every part keeps a margin from
// the image's edges.

// figure is one image.
type figure struct {
	name string
	// title is drawn centred over the whole figure, wrapped to its width.
	title string
	// plots are the panels, row by row, cols to a row (0 means 1), each panelW × panelH.
	plots          []*plot.Plot
	cols           int
	panelW, panelH vg.Length
	// body, when set, is drawn in place of the panels.
	body block
	// side are the blocks of the right-hand column, top to bottom; rowSide[i] are blocks drawn
	// level with the top of panel row i (below the side blocks if those reach that far).
	side    []block
	rowSide map[int][]block
	// below are blocks drawn under the panels, top to bottom; a block that wraps its text is
	// given the panels' width.
	below []block
}

// block is a rectangular part of a figure that knows its size.
type block interface {
	size() (w, h vg.Length)
	// draw draws the block with its top-left corner at (x, top).
	draw(c draw.Canvas, x, top vg.Length)
}

// The spacing of a figure's layout.
var (
	figMargin = vg.Points(10) // between everything and the image's edges
	sideGap   = vg.Points(14) // between the panels and the right-hand column
	blockGap  = vg.Points(12) // between the blocks of the right-hand column
	titleGap  = vg.Points(8)  // below the figure's title
	maxSideW  = 3.2 * vg.Inch // the widest a block of the right-hand column wraps its text to
)

// The sizes of text outside the panels.
var (
	figTitleSize  = vg.Points(12)
	legendSize    = vg.Points(9)
	panelFontSize = vg.Points(10) // the titles of the panels of a multi-panel figure
)

// textStyle returns a text style in the Go font of the given size, aligned left and top.
func textStyle(size vg.Length) text.Style {
	st := text.Style{Color: color.Black, XAlign: draw.XLeft, YAlign: draw.YTop}
	st.Font.Size = size
	useFont(&st)
	return st
}

// lineHeight is the distance between the baselines of two lines of text in style st.
func lineHeight(st text.Style) vg.Length { return st.Font.Size * 1.25 }

// wrapText breaks s into lines no wider than w in the style st, at spaces; a word wider than
// w gets a line of its own. Line breaks in s are kept.
func wrapText(st text.Style, s string, w vg.Length) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		line := words[0]
		for _, wd := range words[1:] {
			if st.Width(line+" "+wd) <= w {
				line += " " + wd
				continue
			}
			out = append(out, line)
			line = wd
		}
		out = append(out, line)
	}
	return out
}

// linesWidth is the width of the widest of lines in style st.
func linesWidth(st text.Style, lines []string) vg.Length {
	var w vg.Length
	for _, l := range lines {
		w = max(w, st.Width(l))
	}
	return w
}

// drawLines writes lines in style st with the top of the first at (x, top).
func drawLines(c draw.Canvas, st text.Style, lines []string, x, top vg.Length) {
	st.XAlign, st.YAlign = draw.XLeft, draw.YTop
	for i, l := range lines {
		c.FillText(st, vg.Point{X: x, Y: top - vg.Length(i)*lineHeight(st)}, l)
	}
}

// rows is the number of panel rows of f.
func (f figure) rows() int {
	cols := max(f.cols, 1)
	return (len(f.plots) + cols - 1) / cols
}

// gridSize is the size of f's panels (or body).
func (f figure) gridSize() (w, h vg.Length) {
	if f.body != nil {
		return f.body.size()
	}
	return vg.Length(max(f.cols, 1)) * f.panelW, vg.Length(f.rows()) * f.panelH
}

// placedBlock is a block of the right-hand column and its distance below the column's top.
type placedBlock struct {
	b   block
	off vg.Length
}

// placeSide places the blocks of the right-hand column: the side blocks from the top, then
// each row's blocks level with the top of its panel row, or below the block above if that
// reaches further. It returns the blocks, the column's width and its height.
func (f figure) placeSide() ([]placedBlock, vg.Length, vg.Length) {
	var out []placedBlock
	var w, cursor vg.Length
	put := func(b block, at vg.Length) {
		bw, bh := b.size()
		if len(out) > 0 {
			at = max(at, cursor+blockGap)
		}
		out = append(out, placedBlock{b, at})
		w = max(w, bw)
		cursor = at + bh
	}
	for _, b := range f.side {
		put(b, cursor)
	}
	for i := range f.rows() {
		for j, b := range f.rowSide[i] {
			at := vg.Length(i) * f.panelH
			if j > 0 {
				at = cursor
			}
			put(b, at)
		}
	}
	return out, w, cursor
}

// titleLines wraps f's title to the width w.
func (f figure) titleLines(w vg.Length) []string {
	if f.title == "" {
		return nil
	}
	return wrapText(textStyle(figTitleSize), f.title, w)
}

// titleHeight is the height the title lines take, with the gap below them.
func titleHeight(lines []string) vg.Length {
	if len(lines) == 0 {
		return 0
	}
	return vg.Length(len(lines))*lineHeight(textStyle(figTitleSize)) + titleGap
}

// belowHeight is the height of the blocks under the panels, with the gaps above them.
func (f figure) belowHeight() vg.Length {
	var h vg.Length
	for _, b := range f.below {
		_, bh := b.size()
		h += blockGap + bh
	}
	return h
}

// size is the size of the whole image.
func (f figure) size() (w, h vg.Length) {
	gw, gh := f.gridSize()
	_, sw, sh := f.placeSide()
	w = 2*figMargin + gw
	if sw > 0 {
		w += sideGap + sw
	}
	h = 2*figMargin + titleHeight(f.titleLines(w-2*figMargin)) + max(gh, sh) + f.belowHeight()
	return w, h
}

// draw draws f onto dc, which has f's size.
func (f figure) draw(dc draw.Canvas) {
	w := dc.Max.X - dc.Min.X
	lines := f.titleLines(w - 2*figMargin)
	top := dc.Max.Y - figMargin
	st := textStyle(figTitleSize)
	st.XAlign = draw.XCenter
	for i, l := range lines {
		dc.FillText(st, vg.Point{X: dc.Min.X + w/2, Y: top - vg.Length(i)*lineHeight(st)}, l)
	}
	top -= titleHeight(lines)

	gw, gh := f.gridSize()
	left := dc.Min.X + figMargin
	if f.body != nil {
		f.body.draw(dc, left, top)
	} else {
		f.drawPanels(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: left, Y: top - gh}, Max: vg.Point{X: left + gw, Y: top}}})
	}
	placed, _, sh := f.placeSide()
	for _, p := range placed {
		p.b.draw(dc, left+gw+sideGap, top-p.off)
	}
	// The blocks below start under the panels and under the right-hand column, whichever
	// reaches lower: a wide line of them (a key's heading) must not run into the column.
	y := top - max(gh, sh)
	for _, b := range f.below {
		y -= blockGap
		b.draw(dc, left, y)
		_, bh := b.size()
		y -= bh
	}
}

// drawPanels tiles the panels of f row by row onto dc with their axes aligned.
func (f figure) drawPanels(dc draw.Canvas) {
	cols, rows := max(f.cols, 1), f.rows()
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range f.plots {
		grid[i/cols][i%cols] = p
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadTop: vg.Points(2), PadX: vg.Points(14), PadY: vg.Points(12)}
	for i, row := range plot.Align(grid, tiles, dc) {
		for j, cv := range row {
			if p := grid[i][j]; p != nil {
				p.Draw(cv)
			}
		}
	}
}

// legendItem is one entry of a legend: thumbnails (line and marker styles) and their text, or,
// without thumbnails, a line of text across the legend (a heading or a note).
type legendItem struct {
	text   string
	thumbs []plot.Thumbnailer
}

// legendBlock is a legend: its items top to bottom, each item's text wrapped to maxSideW.
type legendBlock struct{ items []legendItem }

// thumbW is the width of a legend's thumbnails.
var thumbW = vg.Points(26)

func (b legendBlock) lines(it legendItem) []string {
	st := textStyle(legendSize)
	if len(it.thumbs) == 0 {
		return wrapText(st, it.text, maxSideW)
	}
	return wrapText(st, it.text, maxSideW-thumbW-vg.Points(5))
}

func (b legendBlock) size() (w, h vg.Length) {
	st := textStyle(legendSize)
	for _, it := range b.items {
		ls := b.lines(it)
		iw := linesWidth(st, ls)
		if len(it.thumbs) > 0 {
			iw += thumbW + vg.Points(5)
		}
		w = max(w, iw)
		h += vg.Length(len(ls))*lineHeight(st) + vg.Points(2)
	}
	return w, h
}

func (b legendBlock) draw(c draw.Canvas, x, top vg.Length) {
	st := textStyle(legendSize)
	lh := lineHeight(st)
	for _, it := range b.items {
		ls := b.lines(it)
		tx := x
		if len(it.thumbs) > 0 {
			icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: top - lh}, Max: vg.Point{X: x + thumbW, Y: top}}}
			for _, t := range it.thumbs {
				t.Thumbnail(&icon)
			}
			tx += thumbW + vg.Points(5)
		}
		drawLines(c, st, ls, tx, top-(lh-st.Font.Size)/2)
		top -= vg.Length(len(ls))*lh + vg.Points(2)
	}
}

// textBlock is a paragraph of small text wrapped to maxSideW (notes beside a figure).
type textBlock struct {
	text string
	grey bool
}

func (b textBlock) style() text.Style {
	st := textStyle(legendSize)
	if b.grey {
		st.Color = color.Gray{Y: 0x50}
	}
	return st
}

func (b textBlock) size() (w, h vg.Length) {
	ls := wrapText(b.style(), b.text, maxSideW)
	return linesWidth(b.style(), ls), vg.Length(len(ls)) * lineHeight(b.style())
}

func (b textBlock) draw(c draw.Canvas, x, top vg.Length) {
	drawLines(c, b.style(), wrapText(b.style(), b.text, maxSideW), x, top)
}

// colourMap is a sequential colour map: colours at evenly spaced stops from 0 to 1.
type colourMap []color.NRGBA

// at returns the colour at t, clamped to [0, 1], interpolated linearly between the stops.
func (m colourMap) at(t float64) color.NRGBA {
	if math.IsNaN(t) {
		t = 0
	}
	t = math.Min(1, math.Max(0, t)) * float64(len(m)-1)
	i := min(int(t), len(m)-2)
	f := t - float64(i)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + f*(float64(b)-float64(a)))) }
	a, b := m[i], m[i+1]
	return color.NRGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

// dark says whether text on c should be white rather than black (its relative luminance,
// Rec. 709 weights, is below one half).
func dark(c color.NRGBA) bool {
	return 0.2126*float64(c.R)+0.7152*float64(c.G)+0.0722*float64(c.B) < 0.5*255
}

// colourBar is a vertical colour scale with its title above and tick labels to its right.
type colourBar struct {
	title  string
	cmap   colourMap
	lo, hi float64 // the values at the bottom and the top
	ticks  []plot.Tick
}

var (
	barW = vg.Points(12)
	barH = vg.Points(110)
)

func (b colourBar) size() (w, h vg.Length) {
	st := textStyle(legendSize)
	ls := wrapText(st, b.title, maxSideW)
	var tw vg.Length
	for _, t := range b.ticks {
		tw = max(tw, st.Width(t.Label))
	}
	return max(linesWidth(st, ls), barW+vg.Points(4)+tw), vg.Length(len(ls))*lineHeight(st) + vg.Points(4) + barH + st.Font.Size/2
}

func (b colourBar) draw(c draw.Canvas, x, top vg.Length) {
	st := textStyle(legendSize)
	ls := wrapText(st, b.title, maxSideW)
	drawLines(c, st, ls, x, top)
	top -= vg.Length(len(ls))*lineHeight(st) + vg.Points(4) + st.Font.Size/4
	const steps = 64
	for i := range steps {
		y0 := top - barH + barH*vg.Length(i)/steps
		y1 := top - barH + barH*vg.Length(i+1)/steps
		c.FillPolygon(b.cmap.at((float64(i)+0.5)/steps), []vg.Point{{X: x, Y: y0}, {X: x + barW, Y: y0}, {X: x + barW, Y: y1}, {X: x, Y: y1}})
	}
	frame := draw.LineStyle{Color: color.Gray{Y: 0x60}, Width: vg.Points(0.5)}
	c.StrokeLines(frame, []vg.Point{{X: x, Y: top - barH}, {X: x + barW, Y: top - barH}, {X: x + barW, Y: top}, {X: x, Y: top}, {X: x, Y: top - barH}})
	lst := st
	lst.YAlign = draw.YCenter
	for _, t := range b.ticks {
		y := top - barH + barH*vg.Length((t.Value-b.lo)/(b.hi-b.lo))
		c.StrokeLine2(frame, x+barW, y, x+barW+vg.Points(3), y)
		c.FillText(lst, vg.Point{X: x + barW + vg.Points(5), Y: y}, t.Label)
	}
}
