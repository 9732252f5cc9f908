package experiments

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/results"
)

// TestAttacksRunInCells runs every attack on tiny DataMix cells at split 0 and 1, k 1 and 2,
// shuffled: each cell gets the attack columns that apply, with values in their ranges, a
// recorded reason for those that do not, and an image grid; the baseline gets none. The
// values also show what the attacks are known to do (attacks/README.md): group matching
// undoes the shuffle at k = 2, the strong ICA variant recovers the raw images at split 0,
// label and output inference beat chance by far, and inversion does worse on mixtures than
// on unmixed uploads.
func TestAttacksRunInCells(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, `baseline: true
attacks:
  - {kind: inversion, aux: 200, victims: 50}
  - {kind: ica, aux: 200, victims: 50}
  - {kind: group_matching, victims: 50}
  - {kind: attribute, aux: 200, victims: 50}
  - {kind: output, aux: 200, victims: 50}
sweep: {model.split: [0, 1], mixing.group_size: [1, 2]}
`)
	out := t.TempDir()
	rows, err := Run(cfg, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 5 (a baseline and 4 DataMix cells)", len(rows))
	}
	for _, r := range rows {
		if r.Variant == config.VariantBaseline {
			if len(r.Metrics) != 0 {
				t.Errorf("baseline has attack columns %v", r.Metrics)
			}
			continue
		}
		want := []string{"inversion_psnr", "inversion_ssim", "attr_label_acc", "attr_label_chance", "attr_ink_acc", "output_acc", "output_chance"}
		if r.GroupSize == 2 {
			want = append(want, "ica_corr", "ica_psnr", "ica_ssim", "ica_oracle_psnr", "ica_strong_corr", "ica_strong_psnr", "group_match_acc", "group_match_ari")
		}
		for _, m := range want {
			if _, ok := r.Metrics[m]; !ok {
				t.Errorf("cell split %d k %d: no column %s (have %v)", r.Split, r.GroupSize, m, r.Metrics)
			}
		}
		checkAttackRanges(t, r)
		if r.GroupSize == 1 {
			for _, a := range []string{"ica", "group_match"} {
				if !strings.HasPrefix(r.Notes[a], "skipped: k = 1") {
					t.Errorf("cell split %d k 1: note %s = %q, want skipped", r.Split, a, r.Notes[a])
				}
			}
		}
		if !strings.HasPrefix(r.Notes["inversion"], "setting: ") {
			t.Errorf("inversion note %q", r.Notes["inversion"])
		}
		if fi, err := os.Stat(filepath.Join(out, "cells", r.Cell, AttackGridFile)); err != nil || fi.Size() == 0 {
			t.Errorf("cell %s: no grid: %v", r.Cell, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(string(b), "\n"); !strings.Contains(header, "ica_strong_corr") || !strings.Contains(header, "group_match_ari") {
		t.Errorf("results.csv header lacks attack columns: %s", header)
	}

	// What the attacks achieve on these cells (measured: the values in parentheses; 50
	// victims, so an accuracy's s.d. is at most 0.07 and each margin below is 4σ or more).
	cell := map[[2]int]map[string]float64{} // (split, k) → metrics
	for _, r := range rows {
		if r.Variant == config.VariantDataMix {
			cell[[2]int{r.Split, r.GroupSize}] = r.Metrics
		}
	}
	for split := range 2 {
		k1, k2 := cell[[2]int{split, 1}], cell[[2]int{split, 2}]
		if v := k2["group_match_acc"]; v < 0.9 {
			t.Errorf("split %d k 2: group_match_acc %.3f, want ≥ 0.9: the groups of k = 2 are recovered (1.0)", split, v)
		}
		if v := k2["ica_strong_corr"]; v < 0.99 {
			t.Errorf("split %d k 2: ica_strong_corr %.4f, want ≥ 0.99: convex rows make the sources exact (1.000)", split, v)
		}
		for _, m := range []map[string]float64{k1, k2} {
			for _, a := range []string{"attr_label", "output"} {
				if acc, c := m[a+"_acc"], m[a+"_chance"]; !(acc >= c+0.3) {
					t.Errorf("split %d: %s_acc %.3f, want ≥ chance %.3f + 0.3 (0.66–0.82 against 0.18–0.22)", split, a, acc, c)
				}
			}
		}
		if a, b := k1["inversion_ssim"], k2["inversion_ssim"]; !(a >= 0.6 && b < a-0.05) {
			t.Errorf("split %d: inversion SSIM %.3f unmixed, %.3f mixed: want ≥ 0.6 unmixed (0.73–0.78) and lower mixed (0.60–0.63)", split, a, b)
		}
	}
	if v := cell[[2]int{0, 2}]["ica_strong_ssim"]; v < 0.99 {
		t.Errorf("split 0 k 2: ica_strong_ssim %.4f, want ≥ 0.99: the private images themselves (1.000)", v)
	}
}

// checkAttackRanges checks that every attack column of r is a number in its range: rates,
// correlations and chance levels in [0, 1], SSIM and the adjusted Rand index in [−1, 1],
// PSNR in (0, 100] (100 dB is the cap of a perfect reconstruction); a column of another kind
// must at least be finite.
func checkAttackRanges(t *testing.T, r results.Row) {
	t.Helper()
	for name, v := range r.Metrics {
		lo, hi := 0.0, 1.0
		switch {
		case strings.HasSuffix(name, "_ssim"), strings.HasSuffix(name, "_ari"):
			lo = -1
		case strings.HasSuffix(name, "_psnr"):
			lo, hi = math.SmallestNonzeroFloat64, 100
		case strings.HasSuffix(name, "_acc"), strings.HasSuffix(name, "_chance"), strings.HasSuffix(name, "_corr"):
		default:
			lo, hi = math.Inf(-1), math.Inf(1)
			if math.IsInf(v, 0) {
				v = math.NaN() // fails below
			}
		}
		if !(v >= lo && v <= hi) {
			t.Errorf("cell split %d k %d: %s = %v, want a value in [%g, %g]", r.Split, r.GroupSize, name, v, lo, hi)
		}
	}
}

// A shuffling pool of two evaluation batches: evaluation and the attacks' victims go through
// the protocol in pools of 100, which the row and the notes report; shuffle_pool: 0 is the
// default (the same cell), any other pool a cell of its own.
func TestShufflePool(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	src := func(pool string) string {
		return `name: tiny
seed: 3
dataset: {name: mnist, train_limit: 256, test_limit: 100}
model: {arch: mnist-cnn, split: 0}
mixing: {group_size: 2, shuffle: true` + pool + `}
train: {epochs: 1, batch_size: 32, lr: 0.002, eval_batch_size: 50}
attacks: [{kind: group_matching, victims: 50}]
`
	}
	parse := func(s string) *config.Config {
		cfg, err := config.Parse("tiny.yaml", []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	ids := map[string]string{}
	for _, pool := range []string{"", ", shuffle_pool: 0", ", shuffle_pool: 100"} {
		cells, err := config.Expand(parse(src(pool)))
		if err != nil {
			t.Fatal(err)
		}
		ids[pool] = cells[0].ID
	}
	if ids[""] != ids[", shuffle_pool: 0"] || ids[""] == ids[", shuffle_pool: 100"] {
		t.Errorf("cell IDs %v: want 0 to be the default and 100 a cell of its own", ids)
	}
	rows, err := Run(parse(src(", shuffle_pool: 100")), Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.ShufflePool != 100 {
		t.Errorf("shuffle_pool column %d, want 100", r.ShufflePool)
	}
	for _, topic := range []string{"attacks", "group_match"} {
		if !strings.Contains(r.Notes[topic], "pools of 100") {
			t.Errorf("note %s = %q, want pools of 100", topic, r.Notes[topic])
		}
	}
	if acc := r.Metrics["group_match_acc"]; acc != 1 {
		t.Errorf("group matching recovered %.3f of the groups of a pool of 100 mixed digits, want all", acc)
	}
}
