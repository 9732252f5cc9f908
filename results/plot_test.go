package results

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
)

func TestFront(t *testing.T) {
	pts := []paretoPoint{
		{leak: 0.9, acc: 99}, // front: most accurate
		{leak: 0.5, acc: 97}, // front
		{leak: 0.6, acc: 96}, // dominated by the one above
		{leak: 0.1, acc: 90}, // front: least leakage
		{leak: 0.1, acc: 85}, // dominated: same leakage, less accurate
	}
	if got, want := front(pts), []int{3, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("front = %v, want %v", got, want)
	}
}

// TestPlotDir draws from a stored results.json alone and checks the files, the SVG's embedded
// fonts, and that non-finite cells are left out with a note rather than a failure.
func TestPlotDir(t *testing.T) {
	dir := t.TempDir()
	if err := WriteJSON(filepath.Join(dir, "results.json"), sweepRows()); err != nil {
		t.Fatal(err)
	}
	// A stale figure from an earlier drawing is removed.
	os.MkdirAll(filepath.Join(dir, PlotsDir), 0o755)
	os.WriteFile(filepath.Join(dir, PlotsDir, "old.png"), []byte("x"), 0o644)

	rep, err := PlotDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accuracy_vs_group_size", "edge_cost_vs_split", "privacy_attr_vs_group_size", "privacy_ica_vs_group_size",
		"privacy_inversion_vs_group_size", "pareto_ssim", "pareto_attribute"}
	if !reflect.DeepEqual(rep.Plots, want) {
		t.Errorf("plots %v, want %v", rep.Plots, want)
	}
	for _, name := range rep.Plots {
		b, err := os.ReadFile(filepath.Join(dir, PlotsDir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s.png: %v", name, err)
		}
		svg, err := os.ReadFile(filepath.Join(dir, PlotsDir, name+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		// One font, embedded: the Go font of every text.
		if n := bytes.Count(svg, []byte("@font-face")); n != 1 || !bytes.Contains(svg, []byte("font-family:Go")) {
			t.Errorf("%s.svg embeds %d fonts, want the Go font alone", name, n)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, PlotsDir, "old.png")); !os.IsNotExist(err) {
		t.Errorf("stale figure kept: %v", err)
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, w := range []string{
		"cell c1-4-0 (datamix split 0 k=4, seed 1): accuracy is NaN, left out of accuracy_vs_group_size, edge_cost_vs_split, pareto_ssim, pareto_attribute",
		"cell c1-4-1 (datamix split 1 k=4, seed 1): ica_corr is +Inf, left out of privacy_ica_vs_group_size",
	} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes\n%s\nlack %q", notes, w)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, PlotsDir, PlotNotesFile))
	if err != nil || !strings.Contains(string(b), "accuracy is NaN") {
		t.Errorf("notes file: %q, %v", b, err)
	}
}

// TestPlotNothingToCompare: a single cell gives no figures and no notes; cells whose values
// are all NaN give notes and no figures, never a panic.
func TestPlotNothingToCompare(t *testing.T) {
	rows := sweepRows()[:2] // the seed-1 baseline and one DataMix cell
	rep, err := Plot(t.TempDir(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Plots) != 0 || len(rep.Notes) != 0 {
		t.Errorf("plots %v, notes %v: want none", rep.Plots, rep.Notes)
	}
	allNaN := sweepRows()
	for i := range allNaN {
		allNaN[i].Accuracy = math.NaN()
	}
	rep, err = Plot(t.TempDir(), allNaN)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"privacy_attr_vs_group_size", "privacy_ica_vs_group_size", "privacy_inversion_vs_group_size"}; !reflect.DeepEqual(rep.Plots, want) {
		t.Errorf("plots %v, want only the attacks' (accuracy is NaN everywhere)", rep.Plots)
	}
	notes := strings.Join(rep.Notes, "\n")
	for _, w := range []string{"accuracy_vs_group_size: not drawn", "edge_cost_vs_split: not drawn", "pareto_ssim: not drawn"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes lack %q:\n%s", w, notes)
		}
	}
}

func TestAttackOf(t *testing.T) {
	topics := []string{"attacks", "ica", "ica_oracle", "inversion"}
	for m, want := range map[string]string{
		"ica_corr":          "ica",
		"ica_oracle_corr":   "ica_oracle",
		"inversion_ssim":    "inversion",
		"group_match_acc":   "group", // no notes on it: the first word
		"attr_label_chance": "attr",
	} {
		if got := attackOf(m, topics); got != want {
			t.Errorf("attackOf(%s) = %s, want %s", m, got, want)
		}
	}
}
