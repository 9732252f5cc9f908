package results

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// GridImage is one image of a grid: C×H×W values, channel-first, C = 1 (grey) or 3 (RGB),
// meant to lie in [0,1]; values outside are clipped and NaN is drawn black. A nil Pix leaves
// the cell empty (drawn mid-grey): an attack that did not reconstruct that input.
type GridImage struct {
	Pix     []float32
	C, H, W int
}

// GridColumn is one titled column of a grid, its images top to bottom.
type GridColumn struct {
	Title  string
	Images []GridImage
}

// Layout of a grid, in output pixels.
const (
	gridGap     = 2  // between cells and around the grid
	gridTitleH  = 16 // title band: basicfont's 13-pixel line plus 3 pixels of air
	gridCharW   = 7  // basicfont.Face7x13's advance
	gridMaxCell = 512
)

// WriteGrid writes the columns side by side as a PNG at path, atomically, with each column's
// title above it (originals | uploads | each attack's reconstructions, as the attack harness
// lays them out). Every image is scaled by nearest neighbour, which keeps pixels crisp, to the
// cell size: the largest image's height and width times scale. It panics on a scale below 1,
// a malformed image (len(Pix) ≠ C·H·W, C not 1 or 3) or columns of different lengths.
func WriteGrid(path string, cols []GridColumn, scale int) error {
	img := Grid(cols, scale)
	return WriteFileAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// Grid draws the grid WriteGrid writes.
func Grid(cols []GridColumn, scale int) *image.RGBA {
	if scale < 1 {
		panic(fmt.Sprintf("results: grid scale %d, need ≥ 1", scale))
	}
	rows, cellH, cellW := 0, 1, 1
	for i, c := range cols {
		if i == 0 {
			rows = len(c.Images)
		} else if len(c.Images) != rows {
			panic(fmt.Sprintf("results: grid column %q has %d images, column %q has %d", c.Title, len(c.Images), cols[0].Title, rows))
		}
		for _, im := range c.Images {
			if im.Pix == nil {
				continue
			}
			if (im.C != 1 && im.C != 3) || im.H < 1 || im.W < 1 || len(im.Pix) != im.C*im.H*im.W {
				panic(fmt.Sprintf("results: grid image of %d values as %d×%d×%d (need 1 or 3 channels)", len(im.Pix), im.C, im.H, im.W))
			}
			cellH, cellW = max(cellH, im.H), max(cellW, im.W)
		}
	}
	cellH, cellW = min(cellH*scale, gridMaxCell), min(cellW*scale, gridMaxCell)
	colW := make([]int, len(cols))
	width := gridGap
	for i, c := range cols {
		colW[i] = max(cellW, (len([]rune(c.Title))+1)*gridCharW)
		width += colW[i] + gridGap
	}
	height := gridTitleH + gridGap + rows*(cellH+gridGap)
	out := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	x := gridGap
	for i, c := range cols {
		d := font.Drawer{Dst: out, Src: image.Black, Face: basicfont.Face7x13,
			Dot: fixed.P(x+(colW[i]-len([]rune(c.Title))*gridCharW)/2, 12)}
		d.DrawString(c.Title)
		for r, im := range c.Images {
			ox := x + (colW[i]-cellW)/2
			oy := gridTitleH + gridGap + r*(cellH+gridGap)
			drawCell(out, im, image.Rect(ox, oy, ox+cellW, oy+cellH))
		}
		x += colW[i] + gridGap
	}
	return out
}

// drawCell scales im by nearest neighbour into the rectangle r of dst.
func drawCell(dst *image.RGBA, im GridImage, r image.Rectangle) {
	if im.Pix == nil {
		draw.Draw(dst, r, image.NewUniform(color.Gray{Y: 128}), image.Point{}, draw.Src)
		return
	}
	w, h := r.Dx(), r.Dy()
	plane := im.H * im.W
	for y := range h {
		sy := y * im.H / h
		for x := range w {
			sx := x * im.W / w
			var c color.RGBA
			c.A = 255
			if im.C == 1 {
				v := toByte(im.Pix[sy*im.W+sx])
				c.R, c.G, c.B = v, v, v
			} else {
				c.R = toByte(im.Pix[sy*im.W+sx])
				c.G = toByte(im.Pix[plane+sy*im.W+sx])
				c.B = toByte(im.Pix[2*plane+sy*im.W+sx])
			}
			dst.SetRGBA(r.Min.X+x, r.Min.Y+y, c)
		}
	}
}

// toByte maps [0,1] to 0…255, clipping, NaN to 0.
func toByte(v float32) uint8 {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(math.Round(float64(v) * 255))
}
