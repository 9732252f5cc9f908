package experiments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLearnedAttacksInCells runs the gradient-trained attacks on tiny DataMix cells at split
// 1, k 1 and 2, with the head's weights known and withheld: every cell gets their columns (the
// separated-member columns at k = 2 only) and notes saying which head was inverted.
func TestLearnedAttacksInCells(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, `attacks:
  - {kind: decoder, aux: 128, victims: 50, epochs: 1}
  - {kind: rmle, aux: 128, victims: 50, iterations: 3, init: decoder, epochs: 1}
  - {kind: decoder, name: decoder_shadow, head: unknown, aux: 128, victims: 50, epochs: 1, shadow_epochs: 1}
  - {kind: rmle, name: rmle_shadow, head: unknown, aux: 128, victims: 50, iterations: 3, shadow_epochs: 1}
sweep: {mixing.group_size: [1, 2]}
`)
	rows, err := Run(cfg, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	for _, r := range rows {
		want := []string{"decoder_psnr", "decoder_ssim", "decoder_psnr_median", "decoder_recovered30", "decoder_best_ssim",
			"rmle_psnr", "rmle_ssim", "rmle_recovered90", "decoder_shadow_ssim", "rmle_shadow_ssim"}
		sep := []string{"decoder_sep_psnr", "decoder_sep_ssim", "decoder_sep_recovered30", "decoder_shadow_sep_ssim"}
		if r.GroupSize == 2 {
			want = append(want, sep...)
		}
		for _, m := range want {
			if v, ok := r.Metrics[m]; !ok || !(v >= -1) {
				t.Errorf("k %d: column %s = %v, %v (have %v)", r.GroupSize, m, v, ok, r.Metrics)
			}
		}
		if r.GroupSize == 1 {
			for _, m := range sep {
				if _, ok := r.Metrics[m]; ok {
					t.Errorf("k 1: column %s written", m)
				}
			}
		}
		for name, want := range map[string]string{"decoder": "head weights known", "rmle": "start: a decoder",
			"decoder_shadow": "shadow head and tail trained through the frozen body", "rmle_shadow": "shadow head"} {
			if !strings.HasPrefix(r.Notes[name], "setting: ") || !strings.Contains(r.Notes[name], want) {
				t.Errorf("k %d: note %s = %q, want a setting mentioning %q", r.GroupSize, name, r.Notes[name], want)
			}
		}
	}
}

func TestLearnedAttackConfigValidation(t *testing.T) {
	for _, c := range []struct {
		name, attacks, want string
	}{
		{"epochs on the wrong kind", "[{kind: ica, epochs: 3}]", "tiny.yaml:7: attacks[0].epochs: given, but only kinds decoder and rmle use it (have ica)"},
		{"negative epochs", "[{kind: decoder, epochs: -1}]", "attacks[0].epochs: -1, need an integer from 0 to 100000 (0 = "},
		{"iterations on the decoder", "[{kind: decoder, iterations: 10}]", "attacks[0].iterations: given, but only kind rmle uses it"},
		{"too many iterations", "[{kind: rmle, iterations: 1000000}]", "attacks[0].iterations: 1000000, need an integer from 0 to 100000"},
		{"bad init", "[{kind: rmle, init: black}]", `attacks[0].init: "black", want grey or decoder`},
		{"init on the decoder", "[{kind: decoder, init: grey}]", "attacks[0].init: given, but only kind rmle uses it"},
		{"shadow epochs on ica", "[{kind: ica, shadow_epochs: 2}]", "attacks[0].shadow_epochs: given, but only kinds decoder and rmle use it"},
		{"fractional iterations", "[{kind: rmle, iterations: 2.5}]", "iterations"},
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

// Attack settings added after cells with attacks were first run leave those cells' IDs alone
// while unset — the committed privacy run's config expands to the IDs of its manifest — and
// change them when set.
func TestLearnedAttackFieldsAndCellIDs(t *testing.T) {
	dir := filepath.Join("..", "results", "paper", "privacy")
	cfg, err := Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Cells []struct{ ID string } }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != len(cells) {
		t.Fatalf("%d cells, the manifest has %d", len(cells), len(m.Cells))
	}
	for i, c := range cells {
		if c.ID != m.Cells[i].ID {
			t.Errorf("cell %d: ID %s, the committed manifest says %s", i, c.ID, m.Cells[i].ID)
		}
	}
	id := func(attacks string) string {
		cells, err := Expand(tinyConfig(t, "attacks: "+attacks+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		return cells[0].ID
	}
	if id("[{kind: rmle}]") == id("[{kind: rmle, iterations: 50}]") {
		t.Error("iterations does not change the cell ID")
	}
}
