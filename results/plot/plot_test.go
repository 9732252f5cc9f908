package plot

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/datamix/harness/results"
	"github.com/datamix/harness/results/plot/internal/plottest"
)

// TestDraw draws a sweep and checks the files, the SVG's embedded fonts, the removal of a
// stale figure, and that non-finite cells are left out with a note rather than a failure.
func TestDraw(t *testing.T) {
	dir := t.TempDir()
	// A stale figure from an earlier drawing is removed.
	if err := os.WriteFile(filepath.Join(dir, "old.png"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	rep, err := Draw(dir, plottest.Sweep())
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

// TestDrawNothingToCompare: a single attacked cell gives its row of the attack × defence
// matrix alone, no notes, and why each other figure is not drawn; cells whose values are all
// NaN give notes and fewer figures, never a panic.
func TestDrawNothingToCompare(t *testing.T) {
	rows := plottest.Sweep()[:2] // the seed-1 baseline and one DataMix cell
	rep, err := Draw(t.TempDir(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"defence_matrix"}; !slices.Equal(rep.Figures, want) || len(rep.Notes) != 0 {
		t.Errorf("figures %v, notes %v: want %v and none", rep.Figures, rep.Notes, want)
	}
	if want := []string{
		"accuracy_vs_group_size: every DataMix cell has k=1",
		"edge_cost_vs_split: every DataMix cell has split 0",
		"privacy_attr, privacy_ica, privacy_inversion: every cell it attacked has k=1 and split 0",
		"frontier: one configuration was attacked, need 2",
	}; !slices.Equal(rep.Skipped, want) {
		t.Errorf("skipped\n%s\nwant\n%s", strings.Join(rep.Skipped, "\n"), strings.Join(want, "\n"))
	}
	allNaN := plottest.Sweep()
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

// plotCase is a drawing of hand-made rows and what it must give: exactly the figures plots
// (and no other files but the notes; no folder at all when there are neither), exactly the
// notes (also in NotesFile) and, when skipped is set, exactly those reasons for the figures
// not drawn. The golden images of the figures are compared in TestGolden.
type plotCase struct {
	name    string
	rows    []results.Row
	plots   []string
	notes   []string
	skipped []string
}

func (tc plotCase) run(t *testing.T) {
	t.Run(tc.name, func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), Dir)
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
		if tc.skipped != nil && !slices.Equal(rep.Skipped, tc.skipped) {
			t.Errorf("skipped\n%s\nwant\n%s", strings.Join(rep.Skipped, "\n"), strings.Join(tc.skipped, "\n"))
		}
		var files, want []string
		entries, err := os.ReadDir(dir)
		if err != nil && !(os.IsNotExist(err) && len(tc.plots) == 0 && len(tc.notes) == 0) {
			t.Fatalf("%v; want the folder unless there is nothing to write", err)
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
		if len(want) == 0 && err == nil {
			t.Errorf("%s created with nothing in it", dir)
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
	})
}
