package results

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// defenceRows are a hand-made defence sweep at split 1, k = 2, shuffled, two seeds, with a
// baseline per seed: no defence, Gaussian noise at two strengths and 4-bit quantisation (which
// cuts the upload 8×), and no defence at split 0. Each cell carries a reconstruction attack
// with its recovered shares (inversion), one without (ica, with an oracle-aligned column the
// matrix leaves out), two inference attacks with chance levels (attr_label, output) and group
// matching (no chance level). Seed 2's attack metrics are 2% lower but for the chance levels.
func defenceRows() []Row {
	rows := []Row{fixtureBaseline(1, 0.9931), fixtureBaseline(2, 0.9925)}
	for _, c := range []struct {
		defence string
		split   int
		acc     [2]float64 // seeds 1 and 2
		edge    int64      // edge FLOPs per input
		upload  int64
		inv     [3]float64 // inversion SSIM, share ≥ 0.30, share ≥ 0.90
		ica     float64
		attr    float64
		output  float64
		match   float64
	}{
		{"", 0, [2]float64{0.9675, 0.9689}, 6_220, 3136, [3]float64{0.76, 0.99, 0.31}, 0.74, 0.76, 0.93, 1},
		{"", 1, [2]float64{0.9876, 0.9862}, 677_000, 12544, [3]float64{0.71, 0.96, 0.10}, 0.82, 0.86, 0.95, 1},
		{"gaussian σ=0.5", 1, [2]float64{0.9810, 0.9795}, 690_000, 12544, [3]float64{0.52, 0.80, 0}, 0.40, 0.70, 0.91, 0.35},
		{"gaussian σ=1", 1, [2]float64{0.9650, 0.9630}, 690_000, 12544, [3]float64{0.35, 0.45, 0}, 0.22, 0.52, 0.84, 0.05},
		{"quant 4 bit", 1, [2]float64{0.9860, 0.9851}, 684_000, 1568, [3]float64{0.69, 0.95, 0.08}, 0.75, 0.84, 0.95, 1},
	} {
		for i, acc := range c.acc {
			seed := uint64(i + 1)
			f := 1 - 0.02*float64(i)
			r := fixtureRow(c.split, 2, seed, acc, map[string]float64{
				"inversion_ssim": f * c.inv[0], "inversion_recovered30": f * c.inv[1], "inversion_recovered90": f * c.inv[2],
				"ica_ssim": f * c.ica, "ica_oracle_ssim": math.Min(1, f*(c.ica+0.1)),
				"attr_label_acc": f * c.attr, "attr_label_chance": 0.131,
				"output_acc": f * c.output, "output_chance": 0.131,
				"group_match_acc": f * c.match, "group_match_ari": f * c.match,
			})
			r.Defence = c.defence
			r.Cell = strings.ReplaceAll(r.Cell, "k2", "k2-"+strings.ReplaceAll(strings.ReplaceAll(c.defence, " ", ""), "σ=", ""))
			r.EdgeFLOPs, r.UploadBytesPerSample = c.edge, c.upload
			r.EdgeFLOPsFrac = float64(c.edge) / 6.1e6
			rows = append(rows, r)
		}
	}
	return rows
}

func TestAttackColumns(t *testing.T) {
	rows := []Row{{Variant: "datamix", Metrics: map[string]float64{
		"inversion_ssim": 1, "inversion_psnr": 1, "inversion_recovered90": 1, "inversion_recovered30": 1,
		"ica_ssim": 1, "ica_oracle_ssim": 1, "ica_strong_ssim": 1, "ica_strong_oracle_ssim": 1, "ica_corr": 1,
		"shadow_recovered30": 1, // a reconstruction attack reporting shares only
		"attr_male_acc":      1, "attr_male_chance": 0.5, "output_acc": 1, "output_chance": 0.1,
		"group_match_acc": 1, "group_match_ari": 1,
	}}}
	type col struct{ stem, cell, unit, measures string }
	var got []col
	for _, c := range attackColumns(rows) {
		var ms []string
		for _, m := range c.measures {
			ms = append(ms, m.name)
		}
		got = append(got, col{c.stem, c.cell, c.unit, strings.Join(ms, " ")})
	}
	want := []col{
		{"ica", "ica_ssim", "SSIM", "ica_ssim"},
		{"ica_strong", "ica_strong_ssim", "SSIM", "ica_strong_ssim"},
		{"inversion", "inversion_recovered30", "share ≥ 0.30", "inversion_ssim inversion_recovered30 inversion_recovered90"},
		{"shadow", "shadow_recovered30", "share ≥ 0.30", "shadow_recovered30"},
		{"attr_male", "attr_male_advantage", "advantage", "attr_male_acc attr_male_chance attr_male_advantage"},
		{"output", "output_advantage", "advantage", "output_acc output_chance output_advantage"},
		{"group_match", "group_match_acc", "accuracy", "group_match_acc"},
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
	row := func(defence string, seed uint64, acc float64, m map[string]float64) Row {
		r := fixtureRow(1, 2, seed, acc, m)
		r.Defence, r.EdgeFLOPs = defence, 1000
		return r
	}
	rows := []Row{
		fixtureBaseline(1, 0.875), fixtureBaseline(2, 0.875),
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
		"worst_ssim worst_recovered30 worst_advantage " +
		"x_ssim x_recovered30 y_ssim a_acc a_chance a_advantage g_acc"
	if got := strings.Join(recs[0], " "); got != wantHeader {
		t.Fatalf("header\n%s\nwant\n%s", got, wantHeader)
	}
	if len(recs) != 3 {
		t.Fatalf("%d lines, want the header and 2", len(recs))
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

	// No attack, no matrix.
	var plain []Row
	for _, r := range rows {
		r.Metrics = nil
		plain = append(plain, r)
	}
	path2 := filepath.Join(t.TempDir(), DefenceMatrixFile)
	if ok, err := WriteDefenceMatrix(path2, plain); ok || err != nil {
		t.Errorf("without attacks: %v, %v; want no matrix", ok, err)
	}
	if _, err := os.Stat(path2); !os.IsNotExist(err) {
		t.Errorf("without attacks a file was written: %v", err)
	}
}

// TestMatrixFigure draws defence_matrix (and the frontier) of the defence sweep and compares
// them with their golden images, with a NaN cell left out of both.
func TestMatrixFigure(t *testing.T) {
	rows := defenceRows()
	cellNamed(rows, "s1-k2-gaussian1-2").Metrics["ica_ssim"] = math.NaN()
	plotCase{
		name:  "a NaN cell left out",
		rows:  rows,
		plots: []string{"edge_cost_vs_split", "privacy_attr_vs_split", "privacy_group_vs_split", "privacy_ica_vs_split", "privacy_inversion_vs_split", "privacy_output_vs_split", "defence_matrix", "frontier"},
		notes: []string{
			"cell s1-k2-gaussian1-2 (datamix split 1 k=2, seed 2): ica_ssim is NaN, left out of privacy_ica_vs_split, defence_matrix, frontier",
		},
		golden: []string{"defence_matrix", "frontier"},
	}.run(t)
}
