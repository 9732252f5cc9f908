package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/datamix/harness/internal/runtest"
)

// tinyConfig parses and validates runtest.TinyConfig(extra), failing the test on an error.
func tinyConfig(t *testing.T, extra string) *Config {
	t.Helper()
	cfg := parseText(t, runtest.TinyConfig(extra))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestAttackConfigErrors: every bad attack setting is one error naming the file line, the
// entry and what is allowed; the settings of the learned attacks (epochs, iterations, init,
// shadow_epochs) included.
func TestAttackConfigErrors(t *testing.T) {
	checkErrors(t, smallHead+"attacks:\n  ", []errorCase{
		{"unknown kind", "[{kind: telepathy}]", `tiny.yaml:7: attacks[0].kind: "telepathy", want one of inversion`},
		{"missing kind", "[{aux: 10}]", "attacks[0].kind: missing"},
		{"duplicate columns", "[{kind: ica}, {kind: ica}]", "attacks[1].name: column ica_corr is also written by attacks[0]"},
		{"overlapping prefixes", "[{kind: ica}, {kind: ica, name: ica_oracle}]", "attacks[1].name: column ica_oracle_psnr is also written by attacks[0]"},
		{"bad name", "[{kind: ica, name: Bad-Name}]", `attacks[0].name: "Bad-Name", need lowercase`},
		{"aux beyond train_limit", "[{kind: inversion, aux: 300}]", "attacks[0].aux: 300 auxiliary images, but dataset.train_limit keeps only 256"},
		{"grouping on the wrong kind", "[{kind: inversion, grouping: oracle}]", "attacks[0].grouping: given, but only kinds decoder, ica, rmle and unsplit use it"},
		{"bad grouping", "[{kind: ica, grouping: psychic}]", `attacks[0].grouping: "psychic", want auto or oracle`},
		{"colour on grey images", "[{kind: attribute, attributes: [colour]}]", "colour needs 3-channel images"},
		{"bad head", "[{kind: output, head: maybe}]", `attacks[0].head: "maybe", want known or unknown`},
		{"fixed coefficients", "[{kind: output, coefficients: fixed}]", `attacks[0].coefficients: "fixed"`},
		{"unknown key", "[{kind: ica, strength: 11}]", "unknown field"},
		// The settings of the learned attacks.
		{"epochs on the wrong kind", "[{kind: ica, epochs: 3}]", "tiny.yaml:7: attacks[0].epochs: given, but only kinds decoder, fora and rmle use it (have ica)"},
		{"negative epochs", "[{kind: decoder, epochs: -1}]", "attacks[0].epochs: -1, need an integer from 0 to 100000 (0 = "},
		{"iterations on the decoder", "[{kind: decoder, iterations: 10}]", "attacks[0].iterations: given, but only kinds rmle and unsplit use it"},
		{"too many iterations", "[{kind: rmle, iterations: 1000000}]", "attacks[0].iterations: 1000000, need an integer from 0 to 100000"},
		{"bad init", "[{kind: rmle, init: black}]", `attacks[0].init: "black", want grey or decoder`},
		{"init on the decoder", "[{kind: decoder, init: grey}]", "attacks[0].init: given, but only kind rmle uses it"},
		{"shadow epochs on ica", "[{kind: ica, shadow_epochs: 2}]", "attacks[0].shadow_epochs: given, but only kinds decoder, fora and rmle use it"},
		{"an oracle without oracle in its name", "[{kind: ica, grouping: oracle}]", `attacks[0].name: "ica": an attack given an oracle (grouping) is an upper bound, never a verdict, and its columns must say so: put the word oracle in its name, e.g. ica_oracle`},
		{"a bound's name on an attack", "[{kind: inversion, name: inversion_best}]", `attacks[0].name: "inversion_best": the words oracle and best in a name mark upper bounds`},
		{"unsplit's own default", "[{kind: unsplit, iterations: -1}]", "attacks[0].iterations: -1, need an integer from 0 to 100000 (0 = 200)"},
		{"fractional iterations", "[{kind: rmle, iterations: 2.5}]", "iterations"},
	})
}

// An empty attacks list leaves cell IDs as they were before attacks existed; a non-empty one
// changes the DataMix cells' IDs (their rows differ) but not the baseline's.
func TestAttacksAndCellIDs(t *testing.T) {
	a := expandCells(t, tinyConfig(t, "baseline: true\n"))
	with := tinyConfig(t, "baseline: true\nattacks: [{kind: ica}]\n")
	b := expandCells(t, with)
	if a[0].ID != b[0].ID {
		t.Errorf("baseline IDs differ: %s vs %s", a[0].ID, b[0].ID)
	}
	if a[1].ID == b[1].ID {
		t.Errorf("DataMix cells with and without attacks share ID %s", a[1].ID)
	}
	if c := expandCells(t, tinyConfig(t, "baseline: true\nattacks: []\n")); c[1].ID != a[1].ID {
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

// Attack settings added after cells with attacks were first run leave those cells' IDs alone
// while unset — the committed privacy run's config expands to the IDs of its manifest — and
// change them when set.
func TestLearnedAttackFieldsAndCellIDs(t *testing.T) {
	dir := filepath.Join("..", "..", "results", "paper", "privacy")
	cfg, err := Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cells := expandCells(t, cfg)
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
		return expandCells(t, tinyConfig(t, "attacks: "+attacks+"\n"))[0].ID
	}
	if id("[{kind: rmle}]") == id("[{kind: rmle, iterations: 50}]") {
		t.Error("iterations does not change the cell ID")
	}
}
