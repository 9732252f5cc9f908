package results

import (
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestGridScalesCrisplyAndLaysOutColumns(t *testing.T) {
	grey := GridImage{Pix: []float32{0, 1, 1, 0}, C: 1, H: 2, W: 2} // a 2×2 checkerboard
	rgb := GridImage{Pix: []float32{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, C: 3, H: 2, W: 2}
	cols := []GridColumn{
		{Title: "a", Images: []GridImage{grey, {}}},
		{Title: "b", Images: []GridImage{rgb, grey}},
	}
	const scale = 8
	img := Grid(cols, scale)
	cell := 2 * scale
	// Column widths are the cell width (the titles, one character and a space, are narrower).
	wantW := gridGap + 2*(cell+gridGap)
	wantH := gridTitleH + gridGap + 2*(cell+gridGap)
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Fatalf("grid is %v, want %d×%d", b, wantW, wantH)
	}
	oy := gridTitleH + gridGap
	at := func(x, y int) color.RGBA { return img.RGBAAt(x, y) }
	// Nearest neighbour: every output pixel of a source pixel's 4×4 block has its value.
	for _, p := range []struct {
		x, y int
		want uint8
	}{{0, 0, 0}, {scale - 1, scale - 1, 0}, {scale, 0, 255}, {2*scale - 1, scale - 1, 255}, {0, scale, 255}, {scale, scale, 0}} {
		if c := at(gridGap+p.x, oy+p.y); c.R != p.want || c.G != p.want || c.B != p.want {
			t.Errorf("pixel (%d,%d) = %v, want grey %d", p.x, p.y, c, p.want)
		}
	}
	// An empty cell is mid-grey; an RGB image keeps its channels (red here).
	if c := at(gridGap+1, oy+cell+gridGap+1); c.R != 128 {
		t.Errorf("empty cell = %v, want grey 128", c)
	}
	if c := at(2*gridGap+cell+1, oy+1); c != (color.RGBA{255, 0, 0, 255}) {
		t.Errorf("RGB cell = %v, want red", c)
	}
	// Titles are drawn: some dark pixel in the title band.
	dark := false
	for y := 0; y < gridTitleH; y++ {
		for x := 0; x < wantW; x++ {
			dark = dark || at(x, y).R < 128
		}
	}
	if !dark {
		t.Error("no title drawn")
	}
}

func TestWriteGridWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.png")
	cols := []GridColumn{{Title: "original", Images: []GridImage{{Pix: make([]float32, 28*28), C: 1, H: 28, W: 28}}}}
	if err := WriteGrid(path, cols, 3); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The title "original" and a space (9 × 7 = 63 px) are narrower than the 84-pixel cell.
	if b := img.Bounds(); b.Dx() != 2*gridGap+84 {
		t.Errorf("width %d, want %d", b.Dx(), 2*gridGap+84)
	}
}

func TestGridPanicsOnRaggedColumns(t *testing.T) {
	defer func() {
		want := `results: grid column "b" has 1 images, column "a" has 2`
		if r := recover(); r != want {
			t.Errorf("panic %v, want %q", r, want)
		}
	}()
	Grid([]GridColumn{{Title: "a", Images: make([]GridImage, 2)}, {Title: "b", Images: make([]GridImage, 1)}}, 1)
}
