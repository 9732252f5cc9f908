package config

import "testing"

// TestDefenceConfigErrors: every bad defence setting is one error naming the file line, the
// entry and what is allowed.
func TestDefenceConfigErrors(t *testing.T) {
	checkErrors(t, smallHead, []errorCase{
		{"negative noise scale", "defences:\n  - {kind: gaussian, scale: -0.5}\n",
			"tiny.yaml:7: defences[0].scale: -0.5, need a finite number > 0"},
		{"missing scale", "defences:\n  - {kind: laplace}\n",
			"tiny.yaml:7: defences[0].scale: missing, need a finite number > 0"},
		{"bits 0", "defences:\n  - {kind: quantise, bits: 0}\n",
			"tiny.yaml:7: defences[0].bits: missing, need an integer in 1..16"},
		{"bits 17", "defences:\n  - kind: quantise\n    bits: 17\n",
			"tiny.yaml:8: defences[0].bits: 17, need an integer in 1..16"},
		{"mask rate 1", "defences: [{kind: mask, rate: 1}]\n",
			"tiny.yaml:6: defences[0].rate: 1, need 0 < rate < 1"},
		{"mask rate negative", "defences: [{kind: mask, rate: -0.2}]\n",
			"defences[0].rate: -0.2, need 0 < rate < 1"},
		{"unknown kind", "defences: [{kind: blur, scale: 1}]\n",
			`tiny.yaml:6: defences[0].kind: "blur", want one of gaussian, laplace, offset, mask, quantise, nopeek`},
		{"missing kind", "defences: [{scale: 1}]\n", "defences[0].kind: missing"},
		{"strength of another kind", "defences: [{kind: mask, rate: 0.2, bits: 4}]\n",
			"defences[0].bits: given, but mask reads rate only (bits is for quantise)"},
		{"stage not allowed", "defences: [{kind: quantise, bits: 4, stage: before_mix}]\n",
			`defences[0].stage: "before_mix", quantise acts at after_mix only`},
		{"unknown stage", "defences: [{kind: gaussian, scale: 1, stage: cloud}]\n",
			`defences[0].stage: "cloud", gaussian acts at before_mix or after_mix`},
		{"quantise twice", "defences: [{kind: quantise, bits: 4}, {kind: quantise, bits: 8}]\n",
			"defences[1].kind: quantise given twice (defences[0])"},
		{"noise after quantise", "defences: [{kind: quantise, bits: 4}, {kind: gaussian, scale: 0.1}]\n",
			"defences[1].kind: gaussian after mixing comes after quantise (defences[0]), which must be the last after_mix defence"},
		{"nopeek at split 0", "defences: [{kind: nopeek, weight: 1}]\nsweep: {model.split: [1, 0]}\n",
			"tiny.yaml:6: sweep cell {model.split: 0}: defences[0].kind: nopeek at model.split 0 is meaningless: the head is empty"},
		{"swept defence", "sweep:\n  defences:\n    - [{kind: mask, rate: 0.5}]\n    - [{kind: mask, rate: 1.5}]\n",
			"tiny.yaml:9: sweep cell {defences: [{kind: mask, rate: 1.5}]}: defences[0].rate: 1.5"},
	})
}

// TestDefencesAndCellIDs: no defences keeps the IDs cells had before defences existed; a
// defence changes the DataMix cell's ID but not its baseline's; leaving a stage out and naming
// the kind's default give one cell; the baseline carries no defences.
func TestDefencesAndCellIDs(t *testing.T) {
	ids := func(extra string) []Cell {
		t.Helper()
		return expandCells(t, tinyConfig(t, "baseline: true\n"+extra))
	}
	none, empty := ids(""), ids("defences: []\n")
	noisy := ids("defences: [{kind: gaussian, scale: 0.5}]\n")
	named := ids("defences: [{kind: gaussian, scale: 0.5, stage: after_mix}]\n")
	before := ids("defences: [{kind: gaussian, scale: 0.5, stage: before_mix}]\n")
	if none[1].ID != empty[1].ID {
		t.Errorf("an empty defences list changed the ID: %s vs %s", empty[1].ID, none[1].ID)
	}
	if noisy[0].ID != none[0].ID || len(noisy[0].Config.Defences) != 0 {
		t.Errorf("the baseline changed with a defence: %s vs %s, defences %v", noisy[0].ID, none[0].ID, noisy[0].Config.Defences)
	}
	if noisy[1].ID == none[1].ID || before[1].ID == noisy[1].ID {
		t.Errorf("defended cells share IDs: none %s, after mixing %s, before %s", none[1].ID, noisy[1].ID, before[1].ID)
	}
	if named[1].ID != noisy[1].ID || noisy[1].Config.Defences[0].Stage != "after_mix" {
		t.Errorf("stage left out (%s, resolved %q) and named (%s) differ", noisy[1].ID, noisy[1].Config.Defences[0].Stage, named[1].ID)
	}
}
