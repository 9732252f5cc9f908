package experiments

import (
	"fmt"
	"strings"
	"testing"

	"github.com/datamix/harness/internal/celebatest"
)

// syntheticCelebA writes a tiny CelebA folder (official partition: train images, then 2
// validation images, then test images) and returns its path.
func syntheticCelebA(t *testing.T, train, test int) string {
	t.Helper()
	f, err := celebatest.Write(t.TempDir(), celebatest.Options{Train: train, Val: 2, Test: test, Partition: true, W: 16, H: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return f.Dir
}

// celebaConfig is a tiny celeba config; dataset and extra are spliced in.
func celebaConfig(dir, dataset, extra string) string {
	return fmt.Sprintf(`name: faces
seed: 2
dataset: {name: celeba, path: %q, train_limit: 128, test_limit: 64%s}
model: {arch: cifar-cnn, split: 0}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 32, eval_batch_size: 32}
`, dir, dataset) + extra
}

func TestCelebAConfigErrors(t *testing.T) {
	dir := syntheticCelebA(t, 8, 4)
	for _, c := range []struct{ name, src, want string }{
		{"label on mnist", "name: x\ndataset:\n  name: mnist\n  label: Male\n",
			`tiny.yaml:4: dataset.label: "Male", but only dataset celeba has attributes to take a label from (mnist has classes)`},
		{"unknown label", celebaConfig(dir, ", label: Mail", ""),
			`tiny.yaml:3: dataset.label: "Mail" is not an attribute of the CelebA folder ` + dir + `, want one of 5_o_Clock_Shadow, `},
		{"no attribute file", celebaConfig(t.TempDir(), "", ""), "tiny.yaml:3: dataset.path: datasets: celeba: "},
		{"unknown attack attribute", celebaConfig(dir, "", "attacks:\n  - kind: attribute\n    attributes: [Male, Smilling]\n"),
			`tiny.yaml:9: attacks[0].attributes: "Smilling", want label, ink, colour or an attribute of the CelebA folder ` + dir + ": 5_o_Clock_Shadow, "},
		{"celeba attribute on mnist", "name: x\nattacks:\n  - {kind: attribute, attributes: [Male]}\n",
			`tiny.yaml:3: attacks[0].attributes: "Male", want one of label, ink, colour (attributes such as Male need dataset celeba; gender and speaker a speech dataset)`},
		{"attribute twice", celebaConfig(dir, "", "attacks: [{kind: attribute, attributes: [Male, label, Male]}]\n"),
			`attacks[0].attributes: "Male" and "Male" both give columns attr_male_acc; list each attribute once`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("tiny.yaml", []byte(c.src))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// Leaving the label out means Male, with the same cell ID as naming it; another label is
// another cell.
func TestCelebALabelDefaultAndIDs(t *testing.T) {
	dir := syntheticCelebA(t, 8, 4)
	id := func(dataset string) (string, string) {
		t.Helper()
		cfg, err := Parse("tiny.yaml", []byte(celebaConfig(dir, dataset, "")))
		if err != nil {
			t.Fatal(err)
		}
		cells, err := Expand(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return cells[0].ID, cells[0].Config.Dataset.Label
	}
	none, label := id("")
	male, _ := id(", label: Male")
	smiling, _ := id(", label: Smiling")
	if label != "Male" || none != male || none == smiling {
		t.Errorf("label %q; IDs default %s, Male %s, Smiling %s: want the default resolved to Male, its ID Male's, Smiling's another", label, none, male, smiling)
	}
}

// The label can be swept like any field; a bad value names its line in the sweep.
func TestCelebALabelSweep(t *testing.T) {
	dir := syntheticCelebA(t, 8, 4)
	cfg, err := Parse("tiny.yaml", []byte(celebaConfig(dir, "", "baseline: true\nsweep:\n  dataset.label: [Male, Smiling]\n")))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, c := range cells {
		labels = append(labels, c.Variant+":"+c.Config.Dataset.Label)
	}
	if got := strings.Join(labels, " "); got != "baseline:Male datamix:Male baseline:Smiling datamix:Smiling" {
		t.Errorf("cells %s, want a baseline and a DataMix cell per label", got)
	}
	cfg, err = Parse("tiny.yaml", []byte(celebaConfig(dir, "", "sweep:\n  dataset.label: [Male,\n    Grumpy]\n")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Expand(cfg); err == nil || !strings.Contains(err.Error(), `tiny.yaml:9: sweep cell {dataset.label: Grumpy}: dataset.label: "Grumpy" is not an attribute`) {
		t.Errorf("err = %v", err)
	}
}

// A tiny DataMix run on a synthetic CelebA, where Smiling and Male show in the pixels and
// Young does not (package celebatest): the network learns the label attribute (Smiling) well
// above chance, and the attribute attack, whose columns name the CelebA attributes
// lower-cased, infers the label and Male from the uploads but not Young.
func TestCelebAAttributeAttackRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	dir := syntheticCelebA(t, 128, 64)
	// 3 epochs of 4 steps: one epoch leaves the network at chance (51.6% measured).
	src := strings.Replace(celebaConfig(dir, ", label: Smiling",
		"attacks:\n  - {kind: attribute, attributes: [label, Male, Young], aux: 128, victims: 64}\n"), "epochs: 1", "epochs: 3", 1)
	cfg, err := Parse("tiny.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Run(cfg, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Dataset != "celeba" || rows[0].Notes["label"] != "Smiling" {
		t.Fatalf("rows %+v, want one celeba row noting label Smiling", rows)
	}
	m := rows[0].Metrics
	for _, a := range []string{"label", "male", "young"} {
		// The chance level of a binary attribute is its majority rate: in [0.5, 1].
		if c, ok := m["attr_"+a+"_chance"]; !ok || !(c >= 0.5 && c <= 1) {
			t.Errorf("attr_%s_chance = %v (present %v), want a majority rate in [0.5, 1]", a, c, ok)
		}
		if v, ok := m["attr_"+a+"_acc"]; !ok || !(v >= 0 && v <= 1) {
			t.Errorf("attr_%s_acc = %v (present %v), want a rate in [0, 1]", a, v, ok)
		}
	}
	// Margins: on 64 test images an accuracy's standard deviation is at most
	// √(0.25/64) = 0.0625, so 0.25 above chance is 4σ from a guess (a false failure about 1 in
	// 30,000), and a signal-free attribute 0.2 above chance is 3.2σ (about 1 in 1,500). Measured:
	// test accuracy 1.0, label 1.0 and Male 0.95 against chance 0.53; Young 0.58 against 0.52.
	chance := m["attr_label_chance"] // the same 64 test images, Smiling's majority rate
	if acc := rows[0].Accuracy; !(acc >= chance+0.25) {
		t.Errorf("test accuracy %.3f, want the label learnt: at least chance %.3f + 0.25", acc, chance)
	}
	for _, a := range []string{"label", "male"} {
		if acc, c := m["attr_"+a+"_acc"], m["attr_"+a+"_chance"]; !(acc >= c+0.25) {
			t.Errorf("attr_%s_acc %.3f, want at least chance %.3f + 0.25: the attribute is in the pixels", a, acc, c)
		}
	}
	if acc, c := m["attr_young_acc"], m["attr_young_chance"]; !(acc <= c+0.2) {
		t.Errorf("attr_young_acc %.3f, want at most chance %.3f + 0.2: Young is not in the pixels", acc, c)
	}
}
