package plot

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"github.com/datamix/harness/results"
)

// TestDraw draws a sweep and checks the files, the SVG's embedded fonts, the removal of a
// stale figure, and that non-finite cells are left out with a note rather than a failure.
func TestDraw(t *testing.T) {
	dir := t.TempDir()
	// A stale figure from an earlier drawing is removed.
	if err := os.WriteFile(filepath.Join(dir, "old.png"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	rep, err := Draw(dir, sweepRows())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accuracy_vs_group_size", "edge_cost_vs_split", "privacy_attr_vs_group_size", "privacy_ica_vs_group_size",
		"privacy_inversion_vs_group_size", "defence_matrix", "frontier"}
	if !reflect.DeepEqual(rep.Figures, want) {
		t.Errorf("figures %v, want %v", rep.Figures, want)
	}
	for _, name := range rep.Figures {
		b, err := os.ReadFile(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s.png: %v", name, err)
		}
		svg, err := os.ReadFile(filepath.Join(dir, name+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		// One font, embedded: the Go font of every text.
		if n := bytes.Count(svg, []byte("@font-face")); n != 1 || !bytes.Contains(svg, []byte("font-family:Go")) {
			t.Errorf("%s.svg embeds %d fonts, want the Go font alone", name, n)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "old.png")); !os.IsNotExist(err) {
		t.Errorf("stale figure kept: %v", err)
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, w := range []string{
		"cell c1-4-0 (datamix split 0 k=4, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split, defence_matrix, frontier",
		"cell c1-4-1 (datamix split 1 k=4, seed 1): ica_corr is +Inf, left out of privacy_ica_vs_group_size",
	} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes\n%s\nlack %q", notes, w)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, NotesFile))
	if err != nil || !strings.Contains(string(b), "accuracy is NaN") {
		t.Errorf("notes file: %q, %v", b, err)
	}
}

// sweepRows are the rows of a synthetic sweep: 3 seeds × k ∈ {1, 2, 4} × split ∈ {0, 1},
// a baseline per seed, attack metrics on the DataMix rows, and one cell whose accuracy is NaN.
func sweepRows() []results.Row {
	var rows []results.Row
	for seed := uint64(1); seed <= 3; seed++ {
		s := float64(seed)
		rows = append(rows, results.Row{Cell: fmt.Sprintf("base%d", seed), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
			GroupSize: 1, Coefficients: "none", Seed: seed, Epochs: 1, BatchSize: 48, LR: 0.001,
			Accuracy: 0.98 + 0.001*s, EdgeFLOPsFrac: 1})
		for _, k := range []int{1, 2, 4} {
			for _, split := range []int{0, 1} {
				r := results.Row{Cell: fmt.Sprintf("c%d-%d-%d", seed, k, split), Variant: "datamix", Dataset: "mnist", Arch: "mnist-cnn",
					Split: split, GroupSize: k, Coefficients: "dirichlet", Alpha: 1, Shuffle: true, Seed: seed,
					Epochs: 1, BatchSize: 48, LR: 0.001,
					Accuracy:             0.98 - 0.01*float64(k) + 0.002*s,
					EdgeFLOPsFrac:        0.05 + 0.1*float64(split),
					UploadBytesPerSample: int64(3136 - 1000*split), DownloadBytesPerSample: 40,
					Metrics: map[string]float64{
						"inversion_ssim":    0.9 / float64(k) / float64(1+split),
						"attr_digit_acc":    0.5 / float64(k),
						"attr_digit_chance": 0.1,
						"ica_corr":          0.92 - 0.02*float64(k),
					}}
				rows = append(rows, r)
			}
		}
	}
	rows[5].Accuracy = math.NaN()
	rows[6].Metrics["ica_corr"] = math.Inf(1)
	return rows
}

// TestPlotNothingToCompare: a single attacked cell gives its row of the attack × defence
// matrix alone, and no notes; cells whose values are all NaN give notes and fewer figures,
// never a panic.
func TestPlotNothingToCompare(t *testing.T) {
	rows := sweepRows()[:2] // the seed-1 baseline and one DataMix cell
	rep, err := Draw(t.TempDir(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"defence_matrix"}; !slices.Equal(rep.Figures, want) || len(rep.Notes) != 0 {
		t.Errorf("figures %v, notes %v: want %v and none", rep.Figures, rep.Notes, want)
	}
	allNaN := sweepRows()
	for i := range allNaN {
		allNaN[i].Accuracy = math.NaN()
	}
	rep, err = Draw(t.TempDir(), allNaN)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"privacy_attr_vs_group_size", "privacy_ica_vs_group_size", "privacy_inversion_vs_group_size", "defence_matrix"}; !reflect.DeepEqual(rep.Figures, want) {
		t.Errorf("figures %v, want only the attacks' (accuracy is NaN everywhere)", rep.Figures)
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, w := range []string{"accuracy_vs_group_size: not drawn", "edge_cost_vs_split: not drawn", "frontier: not drawn"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes lack %q:\n%s", w, notes)
		}
	}
}

// update rewrites the golden figures in testdata/ from the current drawing instead of
// comparing with them: go test ./results/plot -update. Look at the rewritten images (and at
// git diff --stat testdata) before committing them.
var update = flag.Bool("update", false, "rewrite the golden figures in testdata/ instead of comparing with them")

// goldenPath is the golden PNG of the figure name on this machine's architecture. Goldens
// are kept per architecture, as gonum/plot keeps its own (testdata/*_amd64_golden.png and
// *_arm64_golden.png there): the rasteriser's floating point rounds differently where the
// compiler fuses multiply-adds (arm64 always, amd64 from GOAMD64=v3), and how far that moves
// pixels on another architecture is not measured here. Go, gonum/plot and the embedded Go
// font are pinned by go.mod, so one architecture draws the same pixels, up to goldenDelta,
// on every machine.
func goldenPath(name string) string {
	return filepath.Join("testdata", name+"_"+runtime.GOARCH+".png")
}

// goldenDelta is the tolerance of the golden comparison, cmpimg's normalised colour
// distance per pixel (YIQ space; one grey level out of 255 is 0.0038): 0.01, as gonum/plot
// allows its contour plot, lets a pixel move by about two grey levels. Fused multiply-adds
// move anti-aliased edges by one level: built with GOAMD64=v3 on amd64, the figures here
// differ from the default build's in 3 to 53 pixels, each by one level. The smallest
// deliberate changes tried (a reference line's grey from 0x30 to 0x38, 0.030; the Pareto
// markers' alpha from 160 to 150) exceed it.
const goldenDelta = 0.01

// checkGolden compares the figure name.png drawn into dir with its golden image, pixel by
// pixel after decoding (cmpimg.EqualApprox within goldenDelta, whatever the PNG encoder chose
// to write). On a mismatch it keeps the drawn image and an intensity-scaled
// difference image (cmpimg.Diff) in diffDir, and names them. With -update it rewrites the
// golden image instead. An architecture without any golden image skips the comparison.
func checkGolden(t *testing.T, dir, name string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	path := goldenPath(name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if all, _ := filepath.Glob(goldenPath("*")); len(all) == 0 {
			t.Skipf("no golden figures for %s: go test ./results/plot -update draws them", runtime.GOARCH)
		}
		t.Fatalf("%s is missing: go test ./results/plot -update draws it", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	gotCfg, err := png.DecodeConfig(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("%s.png: %v", name, err)
	}
	wantCfg, err := png.DecodeConfig(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if gotCfg.Width != wantCfg.Width || gotCfg.Height != wantCfg.Height {
		t.Errorf("%s.png is %d×%d pixels, the golden %s %d×%d; if the change is meant, go test ./results/plot -update",
			name, gotCfg.Width, gotCfg.Height, path, wantCfg.Width, wantCfg.Height)
		return
	}
	same, err := cmpimg.EqualApprox("png", got, want, goldenDelta)
	if err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Errorf("%s.png differs from %s (%s); if the change is meant, go test ./results/plot -update",
			name, path, keepDiff(t, name, got, want))
	}
}

// diffDir is the temporary folder, kept after the tests, where keepDiff puts the images of
// the figures that differ from their golden images: one folder per run of the tests.
var diffDir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "results-golden-") })

// keepDiff writes the drawn image and its difference with the golden one into diffDir and
// says where they are.
func keepDiff(t *testing.T, name string, got, want []byte) string {
	t.Helper()
	a, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		return err.Error()
	}
	b, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		return err.Error()
	}
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
	drawn, diffs := filepath.Join(dir, name+".png"), filepath.Join(dir, name+"_diff.png")
	if err := os.WriteFile(drawn, got, 0o644); err != nil {
		return err.Error()
	}
	if err := os.WriteFile(diffs, buf.Bytes(), 0o644); err != nil {
		return err.Error()
	}
	return "drawn: " + drawn + ", difference: " + diffs
}

// plotCase is a drawing of hand-made rows and what it must give: exactly the figures plots
// (and no other files but the notes), exactly the notes (also in NotesFile), and the
// figures golden equal to their golden images.
type plotCase struct {
	name   string
	rows   []results.Row
	plots  []string
	notes  []string
	golden []string
}

func (tc plotCase) run(t *testing.T) {
	t.Run(tc.name, func(t *testing.T) {
		dir := t.TempDir()
		rep, err := Draw(dir, tc.rows)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Figures, tc.plots) {
			t.Errorf("figures %q, want %q", rep.Figures, tc.plots)
		}
		if !slices.Equal(rep.Notes, tc.notes) {
			t.Errorf("notes\n%s\nwant\n%s", strings.Join(rep.Notes, "\n"), strings.Join(tc.notes, "\n"))
		}
		var files, want []string
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, e.Name())
		}
		for _, p := range tc.plots {
			want = append(want, p+".png", p+".svg")
		}
		if len(tc.notes) > 0 {
			want = append(want, NotesFile)
		}
		slices.Sort(want)
		if !slices.Equal(files, want) {
			t.Errorf("files %q, want %q", files, want)
		}
		if len(tc.notes) > 0 {
			b, err := os.ReadFile(filepath.Join(dir, NotesFile))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(b), strings.Join(tc.notes, "\n")+"\n"; got != want {
				t.Errorf("%s:\n%s\nwant\n%s", NotesFile, got, want)
			}
		}
		for _, name := range tc.golden {
			checkGolden(t, dir, name)
		}
	})
}

// The figure tests draw hand-made MNIST sweeps. A cell's edge FLOPs share and bytes uploaded
// per input depend on its split alone, close to what the harness measures for mnist-cnn
// (split 0 mixes raw pixels, split 1 the features after the first convolution and pool,
// split 2 those after the second); downloads are 10 float32 logits.
var (
	fixtureEdge   = []float64{0.001, 0.111, 0.934}
	fixtureUpload = []int64{3136, 12544, 6272}
)

// fixtureRow is a hand-made DataMix cell with the accuracy acc and the metrics m (nil for
// none); its cell name reads s<split>-k<k>-<seed>.
func fixtureRow(split, k int, seed uint64, acc float64, m map[string]float64) results.Row {
	return results.Row{Cell: fmt.Sprintf("s%d-k%d-%d", split, k, seed), Variant: "datamix", Dataset: "mnist",
		Arch: "mnist-cnn", Split: split, GroupSize: k, Coefficients: "dirichlet", Alpha: 1, Shuffle: true,
		Seed: seed, Epochs: 3, BatchSize: 48, LR: 0.001, Accuracy: acc,
		EdgeFLOPsFrac: fixtureEdge[split], UploadBytesPerSample: fixtureUpload[split], DownloadBytesPerSample: 40,
		Metrics: m}
}

// fixtureBaseline is the hand-made baseline of the seed, with the accuracy acc.
func fixtureBaseline(seed uint64, acc float64) results.Row {
	return results.Row{Cell: fmt.Sprintf("base-%d", seed), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
		GroupSize: 1, Coefficients: "none", Seed: seed, Epochs: 3, BatchSize: 48, LR: 0.001, Accuracy: acc,
		EdgeFLOPsFrac: 1}
}

// cellNamed returns the row of rows whose cell is name; the fixture must have it.
func cellNamed(rows []results.Row, name string) *results.Row {
	for i := range rows {
		if rows[i].Cell == name {
			return &rows[i]
		}
	}
	panic("plot: no fixture cell " + name)
}
