package experiments

import (
	"strings"
	"testing"

	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/internal/runtest"
)

// A tiny DataMix run on a synthetic CelebA, where Smiling and Male show in the pixels and
// Young does not (package celebatest): the network learns the label attribute (Smiling) well
// above chance, and the attribute attack, whose columns name the CelebA attributes
// lower-cased, infers the label and Male from the uploads but not Young.
func TestCelebAAttributeAttackRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	dir := runtest.CelebA(t, 128, 64)
	// 3 epochs of 4 steps: one epoch leaves the network at chance (51.6% measured).
	src := strings.Replace(runtest.CelebAConfig(dir, ", label: Smiling",
		"attacks:\n  - {kind: attribute, attributes: [label, Male, Young], aux: 128, victims: 64}\n"), "epochs: 1", "epochs: 3", 1)
	cfg, err := config.Parse("tiny.yaml", []byte(src))
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
