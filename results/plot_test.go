package results

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sweepRows are the rows of a synthetic sweep: 3 seeds × k ∈ {1, 2, 4} × split ∈ {0, 1},
// a baseline per seed, attack metrics on the DataMix rows, and one cell whose accuracy is NaN.
func sweepRows() []Row {
	var rows []Row
	for seed := uint64(1); seed <= 3; seed++ {
		s := float64(seed)
		rows = append(rows, Row{Cell: fmt.Sprintf("base%d", seed), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
			GroupSize: 1, Coefficients: "none", Seed: seed, Epochs: 1, BatchSize: 48, LR: 0.001,
			Accuracy: 0.98 + 0.001*s, EdgeFLOPsFrac: 1})
		for _, k := range []int{1, 2, 4} {
			for _, split := range []int{0, 1} {
				r := Row{Cell: fmt.Sprintf("c%d-%d-%d", seed, k, split), Variant: "datamix", Dataset: "mnist", Arch: "mnist-cnn",
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

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name      string
		xs        []float64
		n         int
		mean, sd  float64
		ci        float64
		meanIsNaN bool
		ciIsNaN   bool
	}{
		{name: "none", xs: nil, meanIsNaN: true, ciIsNaN: true},
		{name: "one", xs: []float64{2}, n: 1, mean: 2, ciIsNaN: true},
		// s.d. of {1,2,3} = 1; t(0.975, 2) = 4.302653 (standard tables), CI = 4.302653/√3.
		{name: "three", xs: []float64{1, 2, 3}, n: 3, mean: 2, sd: 1, ci: 4.302652729911275 / math.Sqrt(3)},
		{name: "non-finite left out", xs: []float64{1, math.NaN(), 3, math.Inf(-1)}, n: 2, mean: 2, sd: math.Sqrt2,
			ci: 12.706204736174698 * math.Sqrt2 / math.Sqrt2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.xs)
			// 1e-9: the t quantile is computed by numerical inversion.
			close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
			if s.N != tc.n || math.IsNaN(s.Mean) != tc.meanIsNaN || (!tc.meanIsNaN && !close(s.Mean, tc.mean)) || !close(s.SD, tc.sd) {
				t.Errorf("Summarize(%v) = %+v, want n %d mean %v sd %v", tc.xs, s, tc.n, tc.mean, tc.sd)
			}
			if math.IsNaN(s.CI95) != tc.ciIsNaN || (!tc.ciIsNaN && !close(s.CI95, tc.ci)) {
				t.Errorf("CI95 = %v, want %v", s.CI95, tc.ci)
			}
		})
	}
}

func TestGroupBySeeds(t *testing.T) {
	groups := GroupBySeeds(sweepRows())
	if len(groups) != 7 {
		t.Fatalf("%d groups, want 7 (a baseline and 6 DataMix configurations)", len(groups))
	}
	for _, g := range groups {
		if !slices.Equal(g.Seeds, []uint64{1, 2, 3}) {
			t.Errorf("group %s: seeds %v, want 1, 2, 3", shortLabel(g.Row), g.Seeds)
		}
	}
}

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

func TestSummarySeedTable(t *testing.T) {
	var b strings.Builder
	if err := summary(&b, "sweep", sweepRows()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, w := range []string{
		"## Over seeds",
		// k=1 split 0: accuracies 97.2, 97.4, 97.6 → 97.40 ± 0.20, CI t(0.975,2)·0.2/√3 = 0.50.
		"| datamix | 0 | 1 | dirichlet | true | 3 | 97.40 ± 0.20% | ±0.50 | -0.80 ± 0.10 | 5.0 ± 0.0% |",
		// The NaN cell (seed 1, k=4, split 0) leaves two seeds.
		"(n=2)",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("summary lacks %q:\n%s", w, s)
		}
	}
	// One seed per configuration: no seed table.
	b.Reset()
	summary(&b, "one", sweepRows()[:7])
	if strings.Contains(b.String(), "Over seeds") {
		t.Errorf("seed table for single seeds:\n%s", b.String())
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
