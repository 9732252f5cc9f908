package config

import (
	"strings"
	"testing"
)

// TestTrainingKey: cells that differ only in what evaluation reads (shuffling, the evaluation
// batch, the test split's size, the attacks) share a training key; so do the identity-mixing
// cells (k = 1 with Dirichlet coefficients, at any split) and their baseline; anything that
// training reads gives another key.
func TestTrainingKey(t *testing.T) {
	const head = `name: k
seed: 1
dataset: {name: mnist, path: "", train_limit: 128, test_limit: 64}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2, coefficients: dirichlet, alpha: 1.0, shuffle: true}
train: {epochs: 1, batch_size: 32, eval_batch_size: 32}
baseline: true
`
	// keys returns the training key of each cell of the config, by the cell's label.
	keys := func(t *testing.T, text string) map[string]string {
		t.Helper()
		cfg, err := Parse("k.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		cells, err := Expand(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range cells {
			out[c.Label()] = c.TrainingKey()
		}
		return out
	}
	k := keys(t, head+`sweep:
  model.split: [1, 2]
  mixing.group_size: [1, 2]
  mixing.shuffle: [false, true]
`)
	cell := func(split, g int, shuffle string) string {
		t.Helper()
		for l, v := range k {
			if strings.Contains(l, "model.split="+string(rune('0'+split))+" ") && strings.Contains(l, "group_size="+string(rune('0'+g))+" ") && strings.HasSuffix(l, "shuffle="+shuffle) {
				return v
			}
		}
		t.Fatalf("no cell split %d k %d shuffle %s among %v", split, g, shuffle, k)
		return ""
	}
	check := func(what string, a, b string, same bool) {
		t.Helper()
		if (a == b) != same {
			t.Errorf("%s: same key %v, want %v", what, a == b, same)
		}
	}
	check("shuffled or not", cell(1, 2, "false"), cell(1, 2, "true"), true)
	check("k = 2 at splits 1 and 2", cell(1, 2, "true"), cell(2, 2, "true"), false)
	check("k = 1 and k = 2", cell(1, 1, "true"), cell(1, 2, "true"), false)
	check("k = 1 at splits 1 and 2", cell(1, 1, "true"), cell(2, 1, "false"), true)
	check("k = 1 and the baseline", cell(1, 1, "true"), k["baseline"], true)

	base := keys(t, head)["datamix"]
	for _, tc := range []struct {
		from, to string
		same     bool
	}{
		{"shuffle: true}", "shuffle: true, shuffle_pool: 64}", true},
		{"eval_batch_size: 32", "eval_batch_size: 16", true},
		{"test_limit: 64", "test_limit: 32", true},
		{"baseline: true\n", "baseline: true\nattacks: [{kind: inversion}]\n", true},
		{"seed: 1", "seed: 2", false},
		{"epochs: 1", "epochs: 2", false},
		{"batch_size: 32", "batch_size: 16", false},
		{"train_limit: 128", "train_limit: 96", false},
		{"alpha: 1.0", "alpha: 0.5", false},
		{"split: 1", "split: 2", false},
		{"baseline: true\n", "baseline: true\ndefences: [{kind: gaussian, scale: 0.1}]\n", false},
	} {
		if !strings.Contains(head, tc.from) {
			t.Fatalf("test bug: %q not in the config", tc.from)
		}
		check(tc.to, keys(t, strings.Replace(head, tc.from, tc.to, 1))["datamix"], base, tc.same)
	}
	// k = 1 with coefficients that are not always 1, or with a defence, is not the baseline.
	for _, mix := range []string{
		"mixing: {group_size: 1, coefficients: gaussian, shuffle: false}",
		"mixing: {group_size: 1, coefficients: dirichlet, shuffle: false}\ndefences: [{kind: gaussian, scale: 0.1}]",
	} {
		kk := keys(t, strings.Replace(head, "mixing: {group_size: 2, coefficients: dirichlet, alpha: 1.0, shuffle: true}", mix, 1))
		check(mix, kk["datamix"], kk["baseline"], false)
	}
	kk := keys(t, strings.Replace(head, "group_size: 2", "group_size: 1", 1))
	check("k = 1, Dirichlet", kk["datamix"], kk["baseline"], true)
}
