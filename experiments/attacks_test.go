package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttacksRunInCells runs every attack on tiny DataMix cells at split 0 and 1, k 1 and 2,
// shuffled: each cell gets the attack columns that apply, a recorded reason for those that do
// not, and an image grid; the baseline gets none.
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
		if r.Variant == VariantBaseline {
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
}

func TestAttackConfigValidation(t *testing.T) {
	for _, c := range []struct {
		name, attacks, want string
	}{
		{"unknown kind", "[{kind: telepathy}]", `tiny.yaml:7: attacks[0].kind: "telepathy", want one of inversion`},
		{"missing kind", "[{aux: 10}]", "attacks[0].kind: missing"},
		{"duplicate columns", "[{kind: ica}, {kind: ica}]", "attacks[1].name: column ica_corr is also written by attacks[0]"},
		{"overlapping prefixes", "[{kind: ica}, {kind: ica, name: ica_oracle}]", "attacks[1].name: column ica_oracle_psnr is also written by attacks[0]"},
		{"bad name", "[{kind: ica, name: Bad-Name}]", `attacks[0].name: "Bad-Name", need lowercase`},
		{"aux beyond train_limit", "[{kind: inversion, aux: 300}]", "attacks[0].aux: 300 auxiliary images, but dataset.train_limit keeps only 256"},
		{"grouping on the wrong kind", "[{kind: inversion, grouping: oracle}]", "attacks[0].grouping: given, but only kinds decoder, ica and rmle use it"},
		{"bad grouping", "[{kind: ica, grouping: psychic}]", `attacks[0].grouping: "psychic", want auto or oracle`},
		{"colour on grey images", "[{kind: attribute, attributes: [colour]}]", "colour needs 3-channel images"},
		{"bad head", "[{kind: output, head: maybe}]", `attacks[0].head: "maybe", want known or unknown`},
		{"fixed coefficients", "[{kind: output, coefficients: fixed}]", `attacks[0].coefficients: "fixed"`},
		{"unknown key", "[{kind: ica, strength: 11}]", "unknown field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := `name: tiny
dataset: {name: mnist, train_limit: 256, test_limit: 100}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 32, eval_batch_size: 50}
attacks:
  ` + c.attacks + "\n"
			cfg, err := Parse("tiny.yaml", []byte(src))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// An empty attacks list leaves cell IDs as they were before attacks existed; a non-empty one
// changes the DataMix cells' IDs (their rows differ) but not the baseline's.
func TestAttacksAndCellIDs(t *testing.T) {
	base := tinyConfig(t, "baseline: true\n")
	with := tinyConfig(t, "baseline: true\nattacks: [{kind: ica}]\n")
	a, err := Expand(base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Expand(with)
	if err != nil {
		t.Fatal(err)
	}
	if a[0].ID != b[0].ID {
		t.Errorf("baseline IDs differ: %s vs %s", a[0].ID, b[0].ID)
	}
	if a[1].ID == b[1].ID {
		t.Errorf("DataMix cells with and without attacks share ID %s", a[1].ID)
	}
	empty := tinyConfig(t, "baseline: true\nattacks: []\n")
	c, err := Expand(empty)
	if err != nil {
		t.Fatal(err)
	}
	if c[1].ID != a[1].ID {
		t.Errorf("an empty attacks list changed the ID: %s vs %s", c[1].ID, a[1].ID)
	}
	// The resolved config keeps the attacks and reads back the same.
	m, err := with.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.yaml", m)
	if err != nil {
		t.Fatalf("%v\n%s", err, m)
	}
	if len(back.Attacks) != 1 || back.Attacks[0].Kind != "ica" {
		t.Errorf("attacks after a round trip: %+v", back.Attacks)
	}
}
