package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/models"
)

// publicFields returns a copy of c without what Load remembers of the file, for comparisons.
func publicFields(c *Config) Config {
	p := *c
	p.src, p.cell, p.arch, p.digests = nil, nil, nil, digests{}
	p.Sweep = nil
	for _, ax := range c.Sweep {
		p.Sweep = append(p.Sweep, Axis{Key: ax.Key, Values: ax.Values})
	}
	return p
}

// smallHead is the start of a small valid config, for error cases to append to: the errors'
// line numbers count from its first line (line 6 is the first appended).
const smallHead = `name: tiny
dataset: {name: mnist, train_limit: 256, test_limit: 100}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 32, eval_batch_size: 50}
`

// errorCase is a config that fails to load or validate: src, after a common head, and a part
// of the error it must give.
type errorCase struct{ name, src, want string }

// checkErrors parses head+c.src of each case as tiny.yaml and validates it: the error must be
// one line containing c.want.
func checkErrors(t *testing.T, head string, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("tiny.yaml", []byte(head+c.src))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v\nwant one line containing %q", err, c.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse("x.yaml", []byte("name: d\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Name = "d"
	if got := publicFields(c); !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(name only) = %+v, want the defaults %+v", got, want)
	}
	// The documented defaults, one by one (doc.go and the field comments).
	d := Defaults()
	checks := []struct {
		field     string
		got, want any
	}{
		{"seed", d.Seed, uint64(0)},
		{"dataset.name", d.Dataset.Name, "mnist"},
		{"dataset.path", d.Dataset.Path, ""},
		{"dataset.train_limit", d.Dataset.TrainLimit, 0},
		{"dataset.test_limit", d.Dataset.TestLimit, 0},
		{"model.arch", d.Model.Arch, models.DefaultArch},
		{"model.split", d.Model.Split, 1},
		{"mixing.group_size", d.Mixing.GroupSize, 2},
		{"mixing.coefficients", d.Mixing.Coefficients, "dirichlet"},
		{"mixing.alpha", d.Mixing.Alpha, 1.0},
		{"mixing.matrix", d.Mixing.Matrix, [][]float64(nil)},
		{"mixing.shuffle", d.Mixing.Shuffle, true},
		{"mixing.max_cond", d.Mixing.MaxCond, 100.0},
		{"train.epochs", d.Train.Epochs, 2},
		{"train.batch_size", d.Train.BatchSize, 64},
		{"train.lr", d.Train.LR, 0.001},
		{"train.eval_batch_size", d.Train.EvalBatchSize, 500},
		{"baseline", d.Baseline, false},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("default %s = %v, want %v", ch.field, ch.got, ch.want)
		}
	}
	// The defaults with a name are a valid config.
	d.Name = "d"
	if err := d.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

// TestExplicitZeroes checks that values equal to a type's zero override the defaults: there
// is no truthiness check anywhere (seed 0 is a valid seed).
func TestExplicitZeroes(t *testing.T) {
	c, err := Parse("x.yaml", []byte("name: z\nseed: 0\nmodel: {split: 0}\nmixing: {shuffle: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Seed != 0 || c.Model.Split != 0 || c.Mixing.Shuffle {
		t.Errorf("explicit zeroes lost: seed %d split %d shuffle %v", c.Seed, c.Model.Split, c.Mixing.Shuffle)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestLoad(t *testing.T) {
	c, err := Load("testdata/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Name: "quickstart", Seed: 1,
		Dataset:  Dataset{Name: "mnist", TrainLimit: 10000, TestLimit: 2000},
		Model:    Model{Arch: "mnist-cnn", Split: 1},
		Mixing:   Mixing{GroupSize: 2, Coefficients: "dirichlet", Alpha: 1, Shuffle: true, MaxCond: 100},
		Train:    Train{Epochs: 2, BatchSize: 64, LR: 0.001, LRSchedule: "constant", EvalBatchSize: 500},
		Baseline: true,
		Sweep:    Sweep{{Key: "mixing.group_size", Values: []string{"1", "2", "4"}}},
	}
	if got := publicFields(c); !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v\nwant %+v", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

// TestLoadFileErrors checks the error of Load for the files in testdata and a missing file:
// the path, the line and the field.
func TestLoadFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, path, want string
	}{
		{"unknown key", "testdata/unknown_key.yaml",
			"testdata/unknown_key.yaml:7: mixing.grup_size: unknown field, want one of group_size, coefficients, alpha, matrix, shuffle, shuffle_pool, max_cond"},
		{"bad sweep path", "testdata/bad_sweep_path.yaml",
			"testdata/bad_sweep_path.yaml:6: sweep: model.splits: no such field, model has arch, file, layers, split, weights"},
		{"missing file", "testdata/no-such-file.yaml",
			"testdata/no-such-file.yaml: cannot read config: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.path)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Load(%s) error\n got %v\nwant %s", tc.path, err, tc.want)
			}
		})
	}
	_, err := Load("testdata/no-such-file.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}

	// A value out of range is a Validate error, at its line.
	c, err := Load("testdata/bad_value.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "testdata/bad_value.yaml:7: mixing.group_size: 0, need an integer ≥ 1"
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate error\n got %v\nwant %s", err, want)
	}
	var fe *FieldError
	if err := c.Validate(); !errors.As(err, &fe) || fe.Line != 7 || fe.Field != "mixing.group_size" || fe.File != "testdata/bad_value.yaml" {
		t.Errorf("Validate error %#v, want a *FieldError at line 7 of mixing.group_size", err)
	}
}

// TestParseErrors checks every kind of error Load reports before validation.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty", "", "x.yaml: empty config, need a YAML mapping with at least name:"},
		{"comments only", "# nothing\n\n", "x.yaml: empty config, need a YAML mapping with at least name:"},
		{"null document", "~\n", "x.yaml:1: empty config, need a YAML mapping with at least name:"},
		{"syntax error", "name: a\nseed: [1\n", "x.yaml:2: did not find expected ',' or ']'"},
		// An unclosed flow collection is reported at its opening bracket, on line 1 too (where
		// yaml.v3 itself reports the line it gave up at: 2 and 4 here).
		{"syntax error on line 1", "name: [a\n", "x.yaml:1: did not find expected ',' or ']'"},
		{"unclosed list over lines", "sweep: {seed: [1,\n  2,\n  3}\n", "x.yaml:1: did not find expected ',' or ']'"},
		{"unclosed mapping on line 1", "dataset: {name: mnist\n", "x.yaml:1: did not find expected ',' or '}'"},
		{"unclosed list in a second document", "name: a\n---\n[1, 2\n", "x.yaml:3: did not find expected ',' or ']'"},
		{"syntax error in a block", "name: a\nmixing:\n  alpha: 1\n - 2\n", "x.yaml:4: did not find expected key"},
		{"scanner error", "name: a\nseed: @1\n", "x.yaml:2: found character that cannot start any token"},
		{"tab indentation", "name: a\n\tseed: 1\n", "x.yaml:2: found a tab character that violates indentation"},
		{"unknown anchor", "name: *a\n", "x.yaml: unknown anchor 'a' referenced"},
		{"two documents", "name: a\n---\nname: b\n", "x.yaml:2: a second YAML document, need exactly one config per file"},
		{"top-level list", "- name: a\n", "x.yaml:1: a list, need a mapping of config fields (name:, dataset:, model:, ...)"},
		{"top-level scalar", "hello\n", `x.yaml:1: "hello", need a mapping of config fields (name:, dataset:, model:, ...)`},
		{"unknown top-level key", "name: a\nseed: 1\ndatset: {name: mnist}\n",
			"x.yaml:3: datset: unknown field, want one of name, seed, dataset, model, mixing, defences, train, baseline, attacks, sweep, wire"},
		{"unknown nested key, flow style", "name: a\ntrain: {epochs: 1, batchsize: 8}\n",
			"x.yaml:2: train.batchsize: unknown field, want one of epochs, batch_size, lr, lr_schedule, augment_shift, eval_batch_size"},
		{"repeated key", "name: a\nseed: 1\nseed: 2\n", "x.yaml:3: seed: given twice, first at line 2"},
		{"non-scalar key", "name: a\n[1]: 2\n", "x.yaml:2: a list as a key, need a field name"},
		{"string for int", "name: a\nmixing:\n  group_size: two\n", `x.yaml:3: mixing.group_size: "two", need an integer`},
		{"fraction for int", "name: a\nmixing:\n  group_size: 2.5\n", "x.yaml:3: mixing.group_size: 2.5, need an integer"},
		{"negative seed", "name: a\nseed: -1\n", "x.yaml:2: seed: -1, need an integer ≥ 0"},
		{"seed overflow", "name: a\nseed: 18446744073709551616\n", "x.yaml:2: seed: 18446744073709551616 overflows, need an integer from 0 to 18446744073709551615"},
		{"negative seed overflow", "name: a\nseed: -18446744073709551616\n", "x.yaml:2: seed: -18446744073709551616, need an integer ≥ 0"},
		// Beyond int64, YAML resolves a decimal integer as a float (and up to MaxUint64 as an
		// unsigned integer): the message still says what it is.
		{"int overflow", "name: a\ntrain: {epochs: 99999999999999999999}\n",
			"x.yaml:2: train.epochs: 99999999999999999999 overflows, need an integer from -9223372036854775808 to 9223372036854775807"},
		{"int overflow by one", "name: a\ntrain: {epochs: 9223372036854775808}\n",
			"x.yaml:2: train.epochs: 9223372036854775808 overflows, need an integer from -9223372036854775808 to 9223372036854775807"},
		{"negative int overflow", "name: a\ntrain: {epochs: -9223372036854775809}\n",
			"x.yaml:2: train.epochs: -9223372036854775809 overflows, need an integer from -9223372036854775808 to 9223372036854775807"},
		{"quoted big integer", "name: a\ntrain: {epochs: '99999999999999999999'}\n", `x.yaml:2: train.epochs: "99999999999999999999", need an integer`},
		{"string for float", "name: a\ntrain: {lr: fast}\n", `x.yaml:2: train.lr: "fast", need a number`},
		{"int for bool", "name: a\nmixing: {shuffle: 1}\n", "x.yaml:2: mixing.shuffle: 1, need true or false"},
		{"list for string", "name: [a]\n", "x.yaml:1: name: a list, need a string"},
		{"scalar for section", "name: a\nmixing: 3\n",
			"x.yaml:2: mixing: 3, need a mapping of fields (group_size, coefficients, alpha, matrix, shuffle, shuffle_pool, max_cond)"},
		{"key with no value", "name: a\nseed:\n", "x.yaml:2: seed: no value, need an integer ≥ 0 (leave the key out to use the default)"},
		{"matrix not a list", "name: a\nmixing: {matrix: 1}\n",
			"x.yaml:2: mixing.matrix: 1, need a matrix (a list of rows, each a list of numbers)"},
		{"matrix entry not a number", "name: a\nmixing:\n  matrix:\n    - [1, 0]\n    - [0, x]\n",
			`x.yaml:5: mixing.matrix: "x", need a number`},
		{"sweep not a mapping", "name: a\nsweep: [seed]\n",
			"x.yaml:2: sweep: a list, need a mapping from field paths to lists of values, e.g. {mixing.group_size: [1, 2, 4]}"},
		{"sweep unknown section", "name: a\nsweep:\n  mixin.group_size: [1]\n",
			"x.yaml:3: sweep: mixin.group_size: no such field, the config has name, seed, dataset, model, mixing, defences, train, baseline, attacks, sweep, wire"},
		{"sweep below a leaf", "name: a\nsweep:\n  seed.x: [1]\n", `x.yaml:3: sweep: seed.x: seed is not a section, it has no field "x"`},
		{"sweep name", "name: a\nsweep:\n  name: [a, b]\n", "x.yaml:3: sweep: name: name cannot be swept: it names the experiment's run directory"},
		{"sweep baseline", "name: a\nsweep:\n  baseline: [true, false]\n", "x.yaml:3: sweep: baseline: baseline cannot be swept: it is a switch for the whole experiment"},
		{"sweep scalar", "name: a\nsweep:\n  seed: 3\n", "x.yaml:3: sweep: seed: 3, need a non-empty list of values, e.g. [a, b]"},
		{"sweep empty list", "name: a\nsweep:\n  seed: []\n", "x.yaml:3: sweep: seed: a list, need a non-empty list of values, e.g. [a, b]"},
		{"sweep repeated key", "name: a\nsweep:\n  seed: [1]\n  seed: [2]\n", "x.yaml:4: sweep: seed: given twice, first at line 3"},
		{"sweep value of the wrong type", "name: a\nsweep:\n  seed: [1, 2]\n  mixing.group_size:\n    - 2\n    - two\n",
			`x.yaml:6: sweep: mixing.group_size: "two", need an integer`},
		{"sweep section with an unknown key", "name: a\nsweep:\n  mixing: [{group_size: 2}, {k: 4}]\n",
			"x.yaml:3: sweep: mixing.k: unknown field, want one of group_size, coefficients, alpha, matrix, shuffle, shuffle_pool, max_cond"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error %s", publicFields(c), tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	data := []byte("name: a\n" + strings.Repeat("# padding\n", maxConfigBytes/10+1))
	_, err := Parse("x.yaml", data)
	if err == nil || !strings.HasPrefix(err.Error(), "x.yaml: ") || !strings.Contains(err.Error(), "at most") {
		t.Errorf("error %v, want a size error", err)
	}
}

// TestAliases checks that anchors, aliases and merge keys work, and that aliases cannot
// smuggle in unknown keys or blow up.
func TestAliases(t *testing.T) {
	c, err := Parse("x.yaml", []byte(`name: a
train: &t {epochs: 3, batch_size: 32}
dataset: {name: mnist, train_limit: &n 100, test_limit: *n}
mixing:
  <<: {group_size: 4, shuffle: false}
  group_size: 8
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Dataset.TestLimit != 100 || c.Mixing.GroupSize != 8 || c.Mixing.Shuffle || c.Train.Epochs != 3 {
		t.Errorf("aliases and merges decoded wrong: %+v", publicFields(c))
	}
	_, err = Parse("x.yaml", []byte("name: a\nmixing:\n  <<: {k: 4}\n"))
	if want := "x.yaml:3: mixing.k: unknown field, want one of group_size, coefficients, alpha, matrix, shuffle, shuffle_pool, max_cond"; err == nil || err.Error() != want {
		t.Errorf("merged unknown key: error %v, want %s", err, want)
	}
	// A row of 1000 entries, a matrix of 1000 such rows, a sweep over 1000 such matrices:
	// 10⁹ values from 12 kB.
	row := "&r [" + strings.Repeat("1, ", 999) + "1]"
	matrix := "&m [" + row + strings.Repeat(", *r", 999) + "]"
	bomb := "name: a\nsweep:\n  mixing.matrix: [" + matrix + strings.Repeat(", *m", 999) + "]\n"
	want := fmt.Sprintf("x.yaml:3: sweep: mixing.matrix: more than %d values after expanding aliases", maxNodes)
	if _, err := Parse("x.yaml", []byte(bomb)); err == nil || err.Error() != want {
		t.Errorf("alias bomb: error %v, want %s", err, want)
	}
	if _, err := Parse("x.yaml", []byte("name: a\nmixing: {matrix: &m [*m]}\n")); err == nil {
		t.Error("self-referencing matrix accepted")
	}
}

// baseConfig is a valid config whose lines the validation cases replace by number.
var baseConfig = []string{
	"",                          // lines are 1-based
	"name: t",                   // 1
	"seed: 1",                   // 2
	"dataset:",                  // 3
	"  name: mnist",             // 4
	"  train_limit: 100",        // 5
	"  test_limit: 50",          // 6
	"model:",                    // 7
	"  arch: mnist-cnn",         // 8
	"  split: 1",                // 9
	"mixing:",                   // 10
	"  group_size: 2",           // 11
	"  coefficients: dirichlet", // 12
	"  alpha: 1",                // 13
	"  shuffle: true",           // 14
	"  max_cond: 100",           // 15
	"train:",                    // 16
	"  epochs: 1",               // 17
	"  batch_size: 64",          // 18
	"  lr: 0.001",               // 19
	"  eval_batch_size: 500",    // 20
	"baseline: true",            // 21
}

// configText returns baseConfig with the given lines replaced ("" deletes the line's text,
// keeping the numbering) and extra lines appended.
func configText(repl map[int]string, extra ...string) string {
	lines := append([]string(nil), baseConfig[1:]...)
	for n, s := range repl {
		lines[n-1] = s
	}
	return strings.Join(append(lines, extra...), "\n") + "\n"
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	maxSplit := func(name string) int {
		a, err := models.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return a.MaxSplit()
	}
	for _, tc := range []struct {
		name  string
		repl  map[int]string
		extra []string
		want  string // "" for a valid config
	}{
		{"valid", nil, nil, ""},
		{"no name", map[int]string{1: ""}, nil, "x.yaml: name: missing, need a name for the experiment (it names the run directory)"},
		{"empty name", map[int]string{1: `name: ""`}, nil, "x.yaml:1: name: missing, need a name for the experiment (it names the run directory)"},
		{"name with a slash", map[int]string{1: "name: a/b"}, nil,
			`x.yaml:1: name: "a/b", need letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100 characters (it names the run directory)`},
		{"name ..", map[int]string{1: "name: .."}, nil,
			`x.yaml:1: name: "..", need letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100 characters (it names the run directory)`},
		{"unknown dataset", map[int]string{4: "  name: imagenet"}, nil,
			`x.yaml:4: dataset.name: "imagenet", want one of ` + strings.Join(datasets.Names(), ", ")},
		{"dataset on disk without a path", map[int]string{4: "  name: cifar10", 8: "  arch: cifar-cnn"}, nil,
			"x.yaml: dataset.path: missing, dataset cifar10 is read from disk (only mnist is embedded)"},
		{"dataset path missing on disk", map[int]string{4: "  name: cifar10\n  path: no-such-dir", 8: "  arch: cifar-cnn"}, nil,
			`x.yaml:5: dataset.path: "no-such-dir": no such file or directory`},
		{"dataset path present", map[int]string{4: "  name: cifar10\n  path: " + dir, 8: "  arch: cifar-cnn"}, nil, ""},
		{"mnist from a path", map[int]string{4: "  name: mnist\n  path: " + dir}, nil, ""},
		{"negative train limit", map[int]string{5: "  train_limit: -1"}, nil, "x.yaml:5: dataset.train_limit: -1, need an integer ≥ 0 (0 = all)"},
		{"negative test limit", map[int]string{6: "  test_limit: -5"}, nil, "x.yaml:6: dataset.test_limit: -5, need an integer ≥ 0 (0 = all)"},
		{"zero limits", map[int]string{5: "  train_limit: 0", 6: "  test_limit: 0"}, nil, ""},
		{"unknown arch", map[int]string{8: "  arch: resnet"}, nil, `x.yaml:8: model.arch: "resnet", want one of ` + strings.Join(models.Names(), ", ") + " (or give your own network: model.file or model.layers)"},
		{"arch shape mismatch", map[int]string{8: "  arch: cifar-cnn"}, nil,
			"x.yaml:8: model.arch: cifar-cnn takes 3×32×32 inputs, but dataset mnist has 1×28×28"},
		{"negative split", map[int]string{9: "  split: -1"}, nil,
			fmt.Sprintf("x.yaml:9: model.split: -1, need 0 ≤ split ≤ %d for mnist-cnn (or the name of a layer)", maxSplit("mnist-cnn"))},
		{"split past the body", map[int]string{9: fmt.Sprintf("  split: %d", maxSplit("mnist-cnn")+1)}, nil,
			fmt.Sprintf("x.yaml:9: model.split: %d, need 0 ≤ split ≤ %d for mnist-cnn (or the name of a layer)", maxSplit("mnist-cnn")+1, maxSplit("mnist-cnn"))},
		{"split 0", map[int]string{9: "  split: 0"}, nil, ""},
		{"max split", map[int]string{9: fmt.Sprintf("  split: %d", maxSplit("mnist-cnn"))}, nil, ""},
		{"group size 0", map[int]string{11: "  group_size: 0"}, nil, "x.yaml:11: mixing.group_size: 0, need an integer ≥ 1"},
		{"group size 65", map[int]string{11: "  group_size: 65"}, nil, "x.yaml:11: mixing.group_size: 65, need at most 64"},
		{"group size 1", map[int]string{11: "  group_size: 1"}, nil, ""},
		{"group size 64", map[int]string{11: "  group_size: 64", 20: "  eval_batch_size: 512"}, nil, ""},
		{"unknown coefficients", map[int]string{12: "  coefficients: beta"}, nil,
			`x.yaml:12: mixing.coefficients: "beta", want one of dirichlet, uniform, gaussian, fixed`},
		{"uniform", map[int]string{12: "  coefficients: uniform"}, nil, ""},
		{"gaussian", map[int]string{12: "  coefficients: gaussian"}, nil, ""},
		{"alpha 0", map[int]string{13: "  alpha: 0"}, nil, "x.yaml:13: mixing.alpha: 0, need a finite number > 0 for dirichlet coefficients"},
		{"alpha negative", map[int]string{13: "  alpha: -0.5"}, nil, "x.yaml:13: mixing.alpha: -0.5, need a finite number > 0 for dirichlet coefficients"},
		{"alpha infinite", map[int]string{13: "  alpha: .inf"}, nil, "x.yaml:13: mixing.alpha: +Inf, need a finite number > 0 for dirichlet coefficients"},
		{"alpha NaN", map[int]string{13: "  alpha: .nan"}, nil, "x.yaml:13: mixing.alpha: NaN, need a finite number > 0 for dirichlet coefficients"},
		{"alpha ignored for uniform", map[int]string{12: "  coefficients: uniform", 13: "  alpha: 0"}, nil, ""},
		{"max cond 1", map[int]string{15: "  max_cond: 1"}, nil, "x.yaml:15: mixing.max_cond: 1, need a number > 1"},
		{"max cond NaN", map[int]string{15: "  max_cond: .nan"}, nil, "x.yaml:15: mixing.max_cond: NaN, need a number > 1"},
		{"fixed without matrix", map[int]string{12: "  coefficients: fixed"}, nil,
			"x.yaml:12: mixing.matrix: missing, coefficients: fixed needs a 2×2 matrix (group_size × group_size)"},
		{"fixed with matrix", map[int]string{12: "  coefficients: fixed", 13: "  matrix: [[0.7, 0.3], [0.6, 0.4]]"}, nil, ""},
		{"matrix without fixed", map[int]string{13: "  matrix: [[1, 0], [0, 1]]"}, nil,
			"x.yaml:13: mixing.matrix: given, but a matrix is used only with coefficients: fixed (have dirichlet)"},
		{"matrix of the wrong size", map[int]string{12: "  coefficients: fixed", 13: "  matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]"}, nil,
			"x.yaml:13: mixing.matrix: 3×3, need 2×2 (group_size × group_size)"},
		{"ragged matrix", map[int]string{12: "  coefficients: fixed", 13: "  matrix: [[1, 0], [1]]"}, nil,
			"x.yaml:13: mixing.matrix: 2 rows of unequal length, need 2×2 (group_size × group_size)"},
		{"epochs 0", map[int]string{17: "  epochs: 0"}, nil, "x.yaml:17: train.epochs: 0, need an integer ≥ 1"},
		{"batch 0", map[int]string{18: "  batch_size: 0"}, nil, "x.yaml:18: train.batch_size: 0, need an integer ≥ 1"},
		{"batch not a multiple of k", map[int]string{18: "  batch_size: 63"}, nil,
			"x.yaml:18: train.batch_size: 63, need a multiple of mixing.group_size (2): batches are mixed in whole groups"},
		{"default batch not a multiple of k", map[int]string{11: "  group_size: 3", 18: ""}, nil,
			"x.yaml:11: train.batch_size: 64, need a multiple of mixing.group_size (3): batches are mixed in whole groups"},
		{"lr 0", map[int]string{19: "  lr: 0"}, nil, "x.yaml:19: train.lr: 0, need a finite number > 0"},
		{"lr negative", map[int]string{19: "  lr: -0.1"}, nil, "x.yaml:19: train.lr: -0.1, need a finite number > 0"},
		{"lr infinite", map[int]string{19: "  lr: .inf"}, nil, "x.yaml:19: train.lr: +Inf, need a finite number > 0"},
		{"eval batch 0", map[int]string{20: "  eval_batch_size: 0"}, nil, "x.yaml:20: train.eval_batch_size: 0, need an integer ≥ 1"},
		{"eval batch not a multiple of k", map[int]string{20: "  eval_batch_size: 501"}, nil,
			"x.yaml:20: train.eval_batch_size: 501, need a multiple of mixing.group_size (2): batches are mixed in whole groups"},
		{"shuffle pool not whole batches", map[int]string{15: "  shuffle_pool: 750"}, nil,
			"x.yaml:15: mixing.shuffle_pool: 750, need 0 (one evaluation batch) or a multiple of train.eval_batch_size (500): a pool runs through the network batch by batch"},
		{"shuffle pool negative", map[int]string{15: "  shuffle_pool: -500"}, nil,
			"x.yaml:15: mixing.shuffle_pool: -500, need 0 (one evaluation batch) or a multiple of train.eval_batch_size (500): a pool runs through the network batch by batch"},
		{"shuffle pool", map[int]string{15: "  shuffle_pool: 10000"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(configText(tc.repl, tc.extra...)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v, want nil", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Validate error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestValidateMatrixCheck checks that a fixed matrix goes through mixing.CheckMatrix; the
// wording after the field is the mixing package's.
func TestValidateMatrixCheck(t *testing.T) {
	c, err := Parse("x.yaml", []byte(configText(map[int]string{12: "  coefficients: fixed", 13: "  matrix: [[1, 1], [1, 1]]"})))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "x.yaml:13: mixing.matrix: ") {
		t.Errorf("singular matrix: error %v, want one at x.yaml:13 on mixing.matrix", err)
	}
}

// TestValidateInGo checks errors of configs built or changed in Go: no file, or no line for
// a value the file no longer holds.
func TestValidateInGo(t *testing.T) {
	c := Defaults()
	if err := c.Validate(); err == nil || err.Error() != "config: name: missing, need a name for the experiment (it names the run directory)" {
		t.Errorf("unnamed defaults: error %v", err)
	}
	c.Name = "go"
	c.Train.LR = math.NaN()
	if err := c.Validate(); err == nil || err.Error() != "config: train.lr: NaN, need a finite number > 0" {
		t.Errorf("NaN lr: error %v", err)
	}

	l, err := Parse("x.yaml", []byte(configText(nil)))
	if err != nil {
		t.Fatal(err)
	}
	l.Train.BatchSize = 63 // the file says 64 at line 18: that line is not the culprit
	if err := l.Validate(); err == nil || err.Error() != "x.yaml: train.batch_size: 63, need a multiple of mixing.group_size (2): batches are mixed in whole groups" {
		t.Errorf("changed in Go: error %v", err)
	}
}

// TestRelativeDatasetPath checks that a relative dataset path is resolved against the config
// file's directory, not the working directory.
func TestRelativeDatasetPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.yaml")
	text := "name: rel\ndataset: {name: cifar10, path: data}\nmodel: {arch: cifar-cnn}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "data"); c.Dataset.Path != want {
		t.Errorf("dataset.path = %q, want %q", c.Dataset.Path, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	// The line of a resolved path is still found.
	if err := os.Remove(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s:2: dataset.path: %q: no such file or directory", path, filepath.Join(dir, "data"))
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, path := range []string{"testdata/quickstart.yaml", "testdata/fixed.yaml"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("resolved.yaml", out)
			if err != nil {
				t.Fatalf("Parse(Marshal()): %v\n%s", err, out)
			}
			if got, want := publicFields(back), publicFields(c); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the config:\n got %+v\nwant %+v\n%s", got, want, out)
			}
			again, err := back.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(out) {
				t.Errorf("Marshal is not stable:\n%s\nthen\n%s", out, again)
			}
			// Every field is explicit in the resolved config.
			for _, key := range []string{"seed:", "path:", "split:", "max_cond:", "eval_batch_size:", "baseline:"} {
				if !strings.Contains(string(out), key) {
					t.Errorf("resolved config lacks %s:\n%s", key, out)
				}
			}
			// The resolved config expands to the same cells.
			a, err := Expand(c)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Expand(back)
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != len(b) {
				t.Fatalf("%d cells, then %d", len(a), len(b))
			}
			for i := range a {
				if a[i].ID != b[i].ID {
					t.Errorf("cell %d: ID %s, then %s", i, a[i].ID, b[i].ID)
				}
			}
		})
	}
}

func TestMarshalFormat(t *testing.T) {
	c, err := Load("testdata/fixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  matrix:\n    - [0.7, 0.3]\n    - [0.6, 0.4]\n",
		"sweep:\n  mixing.matrix: [[[0.7, 0.3], [0.6, 0.4]], [[1, 0], [0, 1]]]\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("resolved config lacks %q:\n%s", want, out)
		}
	}
}

// FuzzLoadConfig checks that Load never panics, and that a config it accepts expands without
// panicking and survives Marshal and Parse.
func FuzzLoadConfig(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(configText(nil, "sweep: {mixing: [{group_size: 4}, {coefficients: uniform}], seed: [1, 2]}")))
	f.Add([]byte("name: a\nmixing: {<<: &m {group_size: 2}, alpha: 2}\ntrain: *m\n"))
	f.Add([]byte("name: a\nsweep: {mixing.matrix: [[[1]], [[1, 0], [0, 1]]], mixing.group_size: [1, 2]}\n"))
	path := filepath.Join(f.TempDir(), "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		_, _ = Expand(c) // must not panic; most fuzzed configs are invalid
		out, err := c.Marshal()
		if err != nil {
			return // a sweep value may not re-encode; that is an error, not a panic
		}
		back, err := Parse(path, out)
		if err != nil {
			t.Fatalf("Parse(Marshal()) failed: %v\n%s", err, out)
		}
		again, err := back.Marshal()
		if err != nil || string(again) != string(out) {
			t.Fatalf("Marshal not stable (%v):\n%s\nthen\n%s", err, out, again)
		}
	})
}
