package results

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// attackedCell is a DataMix cell at split 1, k = 2, with the accuracy acc, the defence and the
// attack metrics m.
func attackedCell(defence string, seed uint64, acc float64, m map[string]float64) Row {
	return Row{Cell: fmt.Sprintf("s1-k2-%s-%d", defence, seed), Variant: "datamix", Dataset: "mnist",
		Arch: "mnist-cnn", Split: 1, GroupSize: 2, Coefficients: "dirichlet", Alpha: 1, Shuffle: true,
		Defence: defence, Seed: seed, Epochs: 3, BatchSize: 48, LR: 0.001, Accuracy: acc,
		EdgeFLOPs: 1000, EdgeFLOPsFrac: 0.111, UploadBytesPerSample: 12544, DownloadBytesPerSample: 40,
		Metrics: m}
}

// matrixBaseline is the baseline of the seed, with the accuracy acc.
func matrixBaseline(seed uint64, acc float64) Row {
	return Row{Cell: fmt.Sprintf("base-%d", seed), Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn",
		GroupSize: 1, Coefficients: "none", Seed: seed, Epochs: 3, BatchSize: 48, LR: 0.001, Accuracy: acc,
		EdgeFLOPsFrac: 1}
}

func TestAttackColumns(t *testing.T) {
	rows := []Row{{Variant: "datamix", Metrics: map[string]float64{
		"inversion_ssim": 1, "inversion_psnr": 1, "inversion_recovered90": 1, "inversion_recovered30": 1,
		"ica_ssim": 1, "ica_oracle_ssim": 1, "ica_strong_ssim": 1, "ica_strong_oracle_ssim": 1, "ica_corr": 1,
		"shadow_recovered30": 1, // a reconstruction attack reporting shares only
		"attr_male_acc":      1, "attr_male_chance": 0.5, "output_acc": 1, "output_chance": 0.1,
		"group_match_acc": 1, "group_match_ari": 1,
	}}}
	type col struct {
		stem, cell, measures string
		bound                bool
	}
	var got []col
	for _, c := range attackColumns(rows) {
		var ms []string
		for _, m := range c.measures {
			ms = append(ms, m.name)
		}
		got = append(got, col{c.Stem, c.Cell, strings.Join(ms, " "), c.Bound})
	}
	want := []col{
		{"ica", "ica_ssim", "ica_ssim", false},
		{"ica_oracle", "ica_oracle_ssim", "ica_oracle_ssim", true},
		{"ica_strong", "ica_strong_ssim", "ica_strong_ssim", false},
		{"ica_strong_oracle", "ica_strong_oracle_ssim", "ica_strong_oracle_ssim", true},
		{"inversion", "inversion_recovered30", "inversion_ssim inversion_recovered30 inversion_recovered90", false},
		{"shadow", "shadow_recovered30", "shadow_recovered30", false},
		{"attr_male", "attr_male_advantage", "attr_male_acc attr_male_chance attr_male_advantage", false},
		{"output", "output_advantage", "output_acc output_chance output_advantage", false},
		{"group_match", "group_match_acc", "group_match_acc", false},
	}
	if !slices.Equal(got, want) {
		t.Errorf("columns\n%v\nwant\n%v", got, want)
	}
}

func TestAdvantage(t *testing.T) {
	for _, tc := range []struct{ acc, chance, want float64 }{
		{0.131, 0.131, 0}, // at chance
		{1, 0.5, 1},       // perfect
		{0.75, 0.5, 0.5},  // halfway from chance to perfect
		{0.4, 0.5, -0.2},  // below chance
	} {
		if got := advantage(tc.acc, tc.chance); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("advantage(%v, %v) = %v, want %v", tc.acc, tc.chance, got, tc.want)
		}
	}
	if !math.IsNaN(advantage(1, 1)) {
		t.Error("advantage with chance 1 is not NaN")
	}
}

// TestDefenceMatrixCSV writes the matrix of two configurations over two seeds and checks every
// value against its hand computation.
func TestDefenceMatrixCSV(t *testing.T) {
	row := attackedCell
	rows := []Row{
		matrixBaseline(1, 0.875), matrixBaseline(2, 0.875),
		row("", 1, 0.75, map[string]float64{"x_ssim": 0.5, "x_recovered30": 0.75, "y_ssim": 0.25, "a_acc": 0.5, "a_chance": 0.25, "g_acc": 1}),
		row("", 2, 0.875, map[string]float64{"x_ssim": 0.25, "x_recovered30": 0.5, "y_ssim": 0.5, "a_acc": 0.625, "a_chance": 0.25, "g_acc": 0.5}),
		row("noise σ=1", 1, 0.5, map[string]float64{"x_ssim": 0.125, "x_recovered30": 0, "a_acc": 0.25, "a_chance": 0.25}),
		row("noise σ=1", 2, 0.625, map[string]float64{"x_ssim": math.NaN(), "x_recovered30": 0.25, "a_acc": 0.5, "a_chance": 0.5}),
	}
	path := filepath.Join(t.TempDir(), DefenceMatrixFile)
	ok, err := WriteDefenceMatrix(path, rows)
	if err != nil || !ok {
		t.Fatalf("WriteDefenceMatrix: %v, %v", ok, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "defence dataset arch split group_size coefficients alpha shuffle train_limit test_limit epochs batch_size lr " +
		"seeds accuracy accuracy_sd accuracy_gap_pp edge_flops edge_flops_frac upload_bytes_per_sample " +
		"worst_ssim worst_recovered30 worst_advantage verdict verdict_by " +
		"x_ssim x_recovered30 y_ssim a_acc a_chance a_advantage g_acc"
	if got := strings.Join(recs[0], " "); got != wantHeader {
		t.Fatalf("header\n%s\nwant\n%s", got, wantHeader)
	}
	if len(recs) != 3 {
		t.Fatalf("%d lines, want the header and 2", len(recs))
	}
	// The verdicts on the means: every criterion met without a defence (the advantage 0.417
	// most, by its margin over 0.10), none with the noise.
	vi := slices.Index(recs[0], "verdict")
	if got := recs[1][vi : vi+2]; got[0] != Broken || !strings.HasPrefix(got[1], "a_advantage 0.417 ≥ 0.10; ") || !strings.HasSuffix(got[1], "; and 1 more") {
		t.Errorf("no defence: verdict %q", got)
	}
	if got := recs[2][vi : vi+2]; got[0] != Holds || got[1] != "" {
		t.Errorf("noise: verdict %q, want holds", got)
	}
	nan := math.NaN()
	for i, want := range []map[string]float64{
		{ // no defence: the means of the two seeds
			"seeds": 2, "accuracy": 0.8125, "accuracy_sd": 0.125 / math.Sqrt2, "accuracy_gap_pp": -6.25,
			"edge_flops": 1000, "edge_flops_frac": 0.111, "upload_bytes_per_sample": 12544,
			"x_ssim": 0.375, "x_recovered30": 0.625, "y_ssim": 0.375, "a_acc": 0.5625, "a_chance": 0.25,
			"a_advantage": (1.0/3 + 0.5) / 2, "g_acc": 0.75,
			"worst_ssim": 0.375, "worst_recovered30": 0.625, "worst_advantage": (1.0/3 + 0.5) / 2,
		},
		{ // the noise: seed 2's NaN SSIM left out; no y or g attack
			"seeds": 2, "accuracy": 0.5625, "accuracy_sd": 0.125 / math.Sqrt2, "accuracy_gap_pp": -31.25,
			"edge_flops": 1000, "edge_flops_frac": 0.111, "upload_bytes_per_sample": 12544,
			"x_ssim": 0.125, "x_recovered30": 0.125, "y_ssim": nan, "a_acc": 0.375, "a_chance": 0.375,
			"a_advantage": 0, "g_acc": nan,
			"worst_ssim": 0.125, "worst_recovered30": 0.125, "worst_advantage": 0,
		},
	} {
		rec := recs[i+1]
		if rec[0] != []string{"", "noise σ=1"}[i] || rec[3] != "1" || rec[4] != "2" || rec[7] != "true" {
			t.Errorf("line %d: configuration %q", i+2, rec[:13])
		}
		for name, w := range want {
			j := slices.Index(recs[0], name)
			if math.IsNaN(w) {
				if rec[j] != "" {
					t.Errorf("line %d: %s = %q, want empty", i+2, name, rec[j])
				}
				continue
			}
			got, err := strconv.ParseFloat(rec[j], 64)
			// 1e-12: a handful of float64 roundings (percent and back) on values of order 1–100.
			if err != nil || math.Abs(got-w) > 1e-12*math.Max(1, math.Abs(w)) {
				t.Errorf("line %d: %s = %q, want %v", i+2, name, rec[j], w)
			}
		}
	}

	// No attack, no matrix: none is written, and the one written above, now stale, goes.
	var plain []Row
	for _, r := range rows {
		r.Metrics = nil
		plain = append(plain, r)
	}
	if ok, err := WriteDefenceMatrix(path, plain); ok || err != nil {
		t.Errorf("without attacks: %v, %v; want no matrix", ok, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("without attacks the stale matrix was kept: %v", err)
	}
	if ok, err := WriteDefenceMatrix(path, plain); ok || err != nil {
		t.Errorf("without attacks and without a file: %v, %v; want no matrix and no error", ok, err)
	}
}
