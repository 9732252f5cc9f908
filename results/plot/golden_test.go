package plot_test

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"github.com/datamix/harness/results/plot"
)

// update rewrites the golden images in testdata/ from the examples' figures instead of
// comparing with them: go test ./results/plot -update. Look at the rewritten images (and at
// git diff --stat testdata) before committing them.
var update = flag.Bool("update", false, "rewrite the golden images in testdata/ instead of comparing with them")

// goldenTol is how far, in 8-bit levels of any one channel (red, green, blue or alpha, not
// premultiplied), a pixel of a figure may be from its golden image: 2 of 255.
//
// One set of golden images serves every architecture. Go, gonum/plot and the embedded Go font
// are pinned by go.mod, so the figures differ between machines only where the compiler fuses
// multiply-adds, which rounds once instead of twice: always on arm64, on amd64 from
// GOAMD64=v3. Measured on the 95 committed figures of results/ and the 7 golden images here,
// drawn by the default amd64 build, by a GOAMD64=v3 build and by an arm64 build run under
// qemu-user: the two fused builds draw the same pixels, and differ from the default build in
// at most 121 pixels of a figure (0.0015% of it, the edges of anti-aliased lines and glyphs),
// each by exactly 1 level. A tolerance of 2 levels absorbs that with a level to spare, and
// no more: a change of colour by 3 levels or more fails, and so does any shift of a line,
// glyph or label by a pixel, or by a fraction of one, whose anti-aliased edges then change
// by tens of levels (TestGoldenTolerance checks both).
const goldenTol = 2

// goldens are the examples, the folder of testdata/ each draws into, and the figures of it
// that have a golden image.
var goldens = []struct {
	example func()
	dir     string
	figures []string
}{
	{ExampleDraw_accuracyVsGroupSize, "accuracy", []string{"accuracy_vs_group_size"}},
	{ExampleDraw_edgeCostVsSplit, "cost", []string{"edge_cost_vs_split"}},
	{ExampleDraw_privacy, "privacy", []string{"privacy_ica_vs_group_size", "privacy_inversion_vs_split", "privacy_output_vs_group_size"}},
	{ExampleDraw_defenceMatrix, "matrix", []string{"defence_matrix"}},
	{ExampleDraw_frontier, "frontier", []string{"frontier"}},
	{ExampleDrawWire, "wire", []string{"wire_latency_vs_bandwidth", "wire_scaling_vs_edges"}},
}

// TestGolden runs each example and compares its figure (or figures) with the golden images,
// pixel by pixel within goldenTol; with -update it rewrites the golden images instead. It
// also checks that the example's folder holds the figures as PNG and SVG and the notes the
// example printed, in NotesFile, and nothing else.
func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.dir, func(t *testing.T) {
			printed := runExample(t, g.example)
			dir := filepath.Join("testdata", g.dir)
			for _, fig := range g.figures {
				checkGolden(t, filepath.Join(dir, fig+".png"), filepath.Join("testdata", fig+"_golden.png"))
			}

			var drawn, notes []string
			for _, line := range strings.Split(strings.TrimSpace(printed), "\n") {
				if list, ok := strings.CutPrefix(line, "drawn: "); ok {
					drawn = strings.Fields(strings.Trim(list, "[]"))
				} else if n, ok := strings.CutPrefix(line, "note: "); ok {
					notes = append(notes, n)
				}
			}
			var want, files []string
			for _, fig := range drawn {
				want = append(want, fig+".png", fig+".svg")
			}
			if len(notes) > 0 {
				notesFile := plot.NotesFile
				if g.dir == "wire" {
					notesFile = plot.WireNotesFile
				}
				want = append(want, notesFile)
				b, err := os.ReadFile(filepath.Join(dir, notesFile))
				if err != nil {
					t.Fatal(err)
				}
				if got, w := string(b), strings.Join(notes, "\n")+"\n"; got != w {
					t.Errorf("%s:\n%s\nwant\n%s", plot.NotesFile, got, w)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				files = append(files, e.Name())
			}
			slices.Sort(want)
			if !slices.Equal(files, want) {
				t.Errorf("%s holds %q, want %q", dir, files, want)
			}
		})
	}
}

// runExample calls example with its standard output captured, and returns what it printed.
func runExample(t *testing.T, example func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	printed := make(chan string)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		r.Close()
		printed <- b.String()
	}()
	stdout := os.Stdout
	func() {
		os.Stdout = w
		defer func() { os.Stdout = stdout; w.Close() }()
		example()
	}()
	return <-printed
}

// checkGolden compares the figure drawn at path with the golden image at golden: the same
// size, and no pixel further than goldenTol from it (see pixelDiff), whatever the PNG encoder
// chose to write. On a mismatch it keeps the drawn image and a difference image in diffDir,
// and names them. With -update it rewrites the golden image instead.
func checkGolden(t *testing.T, path, golden string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", golden)
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v: go test ./results/plot -update draws it", err)
	}
	a, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("%s: %v", golden, err)
	}
	if a.Bounds() != b.Bounds() {
		t.Errorf("%s is %d×%d pixels, the golden %s %d×%d; if the change is meant, go test ./results/plot -update",
			path, a.Bounds().Dx(), a.Bounds().Dy(), golden, b.Bounds().Dx(), b.Bounds().Dy())
		return
	}
	if over, worst := pixelDiff(a, b, goldenTol); over > 0 {
		t.Errorf("%s differs from %s in %d pixels by more than %d levels (at most %d); if the change is meant, go test ./results/plot -update (%s)",
			path, golden, over, goldenTol, worst, keepDiff(t, filepath.Base(path), got, a, b))
	}
}

// pixelDiff compares the images a and b, of the same bounds, pixel by pixel: it returns the
// number of pixels whose largest channel difference (8-bit, not premultiplied) exceeds tol,
// and the largest difference of any pixel.
func pixelDiff(a, b image.Image, tol int) (over, worst int) {
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA)
			cb := color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
			d := max(absDiff(ca.R, cb.R), absDiff(ca.G, cb.G), absDiff(ca.B, cb.B), absDiff(ca.A, cb.A))
			worst = max(worst, d)
			if d > tol {
				over++
			}
		}
	}
	return over, worst
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// diffDir is the temporary folder, kept after the tests, where keepDiff puts the images of
// the figures that differ from their golden images: one folder per run of the tests.
var diffDir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "plot-golden-") })

// keepDiff writes the drawn image (its PNG file got, decoded a) and its difference with the
// golden one (b) as an intensity-scaled image (cmpimg.Diff) into diffDir, and says where
// they are.
func keepDiff(t *testing.T, name string, got []byte, a, b image.Image) string {
	t.Helper()
	diff := image.NewRGBA64(a.Bounds().Union(b.Bounds()))
	cmpimg.Diff(diff, a, b)
	var buf bytes.Buffer
	if err := png.Encode(&buf, diff); err != nil {
		return err.Error()
	}
	dir, err := diffDir()
	if err != nil {
		return err.Error()
	}
	base := strings.TrimSuffix(name, ".png")
	drawn, diffs := filepath.Join(dir, name), filepath.Join(dir, base+"_diff.png")
	if err := os.WriteFile(drawn, got, 0o644); err != nil {
		return err.Error()
	}
	if err := os.WriteFile(diffs, buf.Bytes(), 0o644); err != nil {
		return err.Error()
	}
	return "drawn: " + drawn + ", difference: " + diffs
}

// TestGoldenTolerance checks goldenTol against changes made to a golden image: the rounding
// of fused multiply-adds (every pixel one level off) passes; a label moved by one pixel, and
// the colours of the drawing moved by three levels, fail.
func TestGoldenTolerance(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "accuracy_vs_group_size_golden.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	golden, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	r := golden.Bounds()
	changed := func(change func(dst *image.NRGBA)) *image.NRGBA {
		dst := image.NewNRGBA(r)
		draw.Draw(dst, r, golden, r.Min, draw.Src)
		change(dst)
		return dst
	}
	// The title: the top 60 pixels, the margin and the two lines of the title at 150 dpi.
	title := image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+60)
	for _, tc := range []struct {
		name  string
		img   *image.NRGBA
		equal bool
	}{
		{"every channel one level off, as fused multiply-adds round", changed(func(dst *image.NRGBA) {
			for i, v := range dst.Pix {
				if v == 255 {
					dst.Pix[i] = 254
				} else {
					dst.Pix[i] = v + 1
				}
			}
		}), true},
		{"the title moved right by one pixel", changed(func(dst *image.NRGBA) {
			draw.Draw(dst, title.Add(image.Pt(1, 0)), golden, title.Min, draw.Src)
		}), false},
		{"the drawing's colours three levels redder", changed(func(dst *image.NRGBA) {
			for i := 0; i < len(dst.Pix); i += 4 {
				if dst.Pix[i] < 250 {
					dst.Pix[i] += 3
				}
			}
		}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			over, worst := pixelDiff(tc.img, golden, goldenTol)
			if (over == 0) != tc.equal {
				t.Errorf("%d pixels over the tolerance (the largest difference %d levels), want equal = %v", over, worst, tc.equal)
			}
			t.Logf("%d pixels differ by more than %d levels, the largest by %d", over, goldenTol, worst)
		})
	}
}
