package config

import (
	"strings"
	"testing"

	"github.com/datamix/harness/internal/runtest"
)

func TestCelebAConfigErrors(t *testing.T) {
	dir := runtest.CelebA(t, 8, 4)
	checkErrors(t, "", []errorCase{
		{"label on mnist", "name: x\ndataset:\n  name: mnist\n  label: Male\n",
			`tiny.yaml:4: dataset.label: "Male", but only dataset celeba has attributes to take a label from (mnist has classes)`},
		{"unknown label", runtest.CelebAConfig(dir, ", label: Mail", ""),
			`tiny.yaml:3: dataset.label: "Mail" is not an attribute of the CelebA folder ` + dir + `, want one of 5_o_Clock_Shadow, `},
		{"no attribute file", runtest.CelebAConfig(t.TempDir(), "", ""), "tiny.yaml:3: dataset.path: datasets: celeba: "},
		{"unknown attack attribute", runtest.CelebAConfig(dir, "", "attacks:\n  - kind: attribute\n    attributes: [Male, Smilling]\n"),
			`tiny.yaml:9: attacks[0].attributes: "Smilling", want label, ink, colour or an attribute of the CelebA folder ` + dir + ": 5_o_Clock_Shadow, "},
		{"celeba attribute on mnist", "name: x\nattacks:\n  - {kind: attribute, attributes: [Male]}\n",
			`tiny.yaml:3: attacks[0].attributes: "Male", want one of label, ink, colour (attributes such as Male need dataset celeba; gender and speaker a speech dataset)`},
		{"attribute twice", runtest.CelebAConfig(dir, "", "attacks: [{kind: attribute, attributes: [Male, label, Male]}]\n"),
			`attacks[0].attributes: "Male" and "Male" both give columns attr_male_acc; list each attribute once`},
	})
}

// Leaving the label out means Male, with the same cell ID as naming it; another label is
// another cell.
func TestCelebALabelDefaultAndIDs(t *testing.T) {
	dir := runtest.CelebA(t, 8, 4)
	id := func(dataset string) (string, string) {
		t.Helper()
		cells := expandCells(t, parseText(t, runtest.CelebAConfig(dir, dataset, "")))
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
	dir := runtest.CelebA(t, 8, 4)
	cells := expandCells(t, parseText(t, runtest.CelebAConfig(dir, "", "baseline: true\nsweep:\n  dataset.label: [Male, Smiling]\n")))
	var labels []string
	for _, c := range cells {
		labels = append(labels, c.Variant+":"+c.Config.Dataset.Label)
	}
	if got := strings.Join(labels, " "); got != "baseline:Male datamix:Male baseline:Smiling datamix:Smiling" {
		t.Errorf("cells %s, want a baseline and a DataMix cell per label", got)
	}
	cfg := parseText(t, runtest.CelebAConfig(dir, "", "sweep:\n  dataset.label: [Male,\n    Grumpy]\n"))
	if _, err := Expand(cfg); err == nil || !strings.Contains(err.Error(), `x.yaml:9: sweep cell {dataset.label: Grumpy}: dataset.label: "Grumpy" is not an attribute`) {
		t.Errorf("err = %v", err)
	}
}
