package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseText parses a config for a test, failing it on error.
func parseText(t *testing.T, text string) *Config {
	t.Helper()
	c, err := Parse("x.yaml", []byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// expandCells expands a config for a test, failing it on error.
func expandCells(t *testing.T, c *Config) []Cell {
	t.Helper()
	cells, err := Expand(c)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	return cells
}

// cellLabels describes cells as "variant{params}" strings, for comparing orders.
func cellLabels(cells []Cell) []string {
	var s []string
	for _, c := range cells {
		s = append(s, c.Variant+c.Params.String())
	}
	return s
}

func TestExpandNoSweep(t *testing.T) {
	cells := expandCells(t, parseText(t, "name: one\n"))
	if len(cells) != 1 {
		t.Fatalf("%d cells, want 1", len(cells))
	}
	c := cells[0]
	if c.Variant != VariantDataMix || c.Params != nil || len(c.ID) != 12 {
		t.Errorf("cell %+v, want one datamix cell with no params and a 12-digit ID", c)
	}
	want := Defaults()
	want.Name = "one"
	if got := publicFields(&c.Config); !reflect.DeepEqual(got, want) {
		t.Errorf("cell config %+v, want %+v", got, want)
	}
}

func TestExpandQuickstart(t *testing.T) {
	c, err := Load("testdata/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cells := expandCells(t, c)
	want := []string{
		"baseline{}",
		"datamix{mixing.group_size: 1}",
		"datamix{mixing.group_size: 2}",
		"datamix{mixing.group_size: 4}",
	}
	if got := cellLabels(cells); !reflect.DeepEqual(got, want) {
		t.Fatalf("cells %q, want %q", got, want)
	}
	for i, k := range []int{1, 2, 4} {
		cfg := cells[i+1].Config
		if cfg.Mixing.GroupSize != k || cfg.Sweep != nil || cfg.Name != "quickstart" || cfg.Train.Epochs != 2 {
			t.Errorf("cell %d: config %+v, want group size %d and the rest as in the file", i+1, publicFields(&cfg), k)
		}
	}
	b := cells[0].Config
	if b.Model.Split != 0 || b.Mixing.GroupSize != 1 || b.Mixing.Coefficients != "fixed" ||
		!reflect.DeepEqual(b.Mixing.Matrix, [][]float64{{1}}) || b.Mixing.Shuffle {
		t.Errorf("baseline config %+v, want split 0 and the identity mixing", publicFields(&b))
	}
	if b.Train != cells[1].Config.Train || !reflect.DeepEqual(b.Dataset, cells[1].Config.Dataset) || b.Seed != 1 || b.Model.Arch != "mnist-cnn" {
		t.Errorf("baseline config %+v differs from the datamix cells in data, arch, seed or training", publicFields(&b))
	}
}

func TestExpandCartesianOrder(t *testing.T) {
	c := parseText(t, "name: grid\nsweep:\n  mixing.group_size: [1, 2]\n  model.split: [0, 1, 2]\n")
	cells := expandCells(t, c)
	var want []string
	for _, k := range []int{1, 2} {
		for _, s := range []int{0, 1, 2} {
			want = append(want, fmt.Sprintf("datamix{mixing.group_size: %d, model.split: %d}", k, s))
		}
	}
	if got := cellLabels(cells); !reflect.DeepEqual(got, want) {
		t.Fatalf("cells\n %q\nwant (first key slowest)\n %q", got, want)
	}
	for i, cell := range cells {
		if k, s := cell.Config.Mixing.GroupSize, cell.Config.Model.Split; k != 1+i/3 || s != i%3 {
			t.Errorf("cell %d: group size %d split %d, want %d and %d", i, k, s, 1+i/3, i%3)
		}
	}
}

func TestExpandSize(t *testing.T) {
	for _, tc := range []struct {
		name, sweep string
		baseline    bool
		want        int
	}{
		{"one key", "{seed: [1, 2, 3]}", false, 3},
		{"two keys", "{seed: [1, 2, 3], mixing.group_size: [1, 2]}", false, 6},
		{"three keys", "{seed: [1, 2], mixing.group_size: [1, 2], model.split: [0, 1, 2]}", false, 12},
		// A baseline per seed, shared by the k and split cells: 12 + 2.
		{"three keys with baselines", "{seed: [1, 2], mixing.group_size: [1, 2], model.split: [0, 1, 2]}", true, 14},
		// Baselines depend on train.*: 2 × 2 datamix cells, 2 baselines.
		{"train sweep with baselines", "{train.epochs: [1, 2], mixing.shuffle: [true, false]}", true, 6},
		// mixing.* does not change the baseline: one baseline for all.
		{"mixing sweep with baselines", "{mixing.coefficients: [dirichlet, uniform, gaussian], mixing.alpha: [0.5, 1]}", true, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells := expandCells(t, parseText(t, fmt.Sprintf("name: n\nbaseline: %v\nsweep: %s\n", tc.baseline, tc.sweep)))
			if len(cells) != tc.want {
				t.Errorf("%d cells, want %d: %q", len(cells), tc.want, cellLabels(cells))
			}
		})
	}
}

// TestExpandBaselines checks that a baseline comes once per distinct seed/dataset/arch/train
// combination, right before the first datamix cell that needs it, with only the params it
// depends on.
func TestExpandBaselines(t *testing.T) {
	c := parseText(t, "name: b\nbaseline: true\nsweep:\n  mixing.group_size: [1, 2]\n  seed: [1, 2]\n  model.split: [0, 1]\n")
	got := cellLabels(expandCells(t, c))
	want := []string{
		"baseline{seed: 1}",
		"datamix{mixing.group_size: 1, seed: 1, model.split: 0}",
		"datamix{mixing.group_size: 1, seed: 1, model.split: 1}",
		"baseline{seed: 2}",
		"datamix{mixing.group_size: 1, seed: 2, model.split: 0}",
		"datamix{mixing.group_size: 1, seed: 2, model.split: 1}",
		"datamix{mixing.group_size: 2, seed: 1, model.split: 0}",
		"datamix{mixing.group_size: 2, seed: 1, model.split: 1}",
		"datamix{mixing.group_size: 2, seed: 2, model.split: 0}",
		"datamix{mixing.group_size: 2, seed: 2, model.split: 1}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells\n %q\nwant\n %q", got, want)
	}

	// Sweeping the arch (with the dataset it needs) gives a baseline per arch.
	dir := t.TempDir()
	c = parseText(t, fmt.Sprintf("name: b\nbaseline: true\nsweep:\n  model: [{arch: mnist-cnn}, {arch: cifar-cnn}]\n  dataset: [{name: mnist}, {name: cifar10, path: %q}]\n", dir))
	if _, err := Expand(c); err == nil || !strings.Contains(err.Error(), "model.arch: mnist-cnn takes 1×28×28 inputs, but dataset cifar10") {
		t.Errorf("mismatched arch and dataset cell: error %v", err)
	}
}

func TestExpandIDs(t *testing.T) {
	text := "name: ids\nseed: 7\nbaseline: true\nsweep: {mixing.group_size: [1, 2]}\n"
	a := expandCells(t, parseText(t, text))
	b := expandCells(t, parseText(t, text))
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("cell %d: ID %s then %s for the same config", i, a[i].ID, b[i].ID)
		}
	}
	seen := map[string]bool{}
	for _, c := range a {
		if seen[c.ID] {
			t.Errorf("ID %s repeated", c.ID)
		}
		seen[c.ID] = true
	}

	// The name is not part of the ID; the seed is.
	renamed := expandCells(t, parseText(t, strings.Replace(text, "name: ids", "name: other", 1)))
	reseeded := expandCells(t, parseText(t, strings.Replace(text, "seed: 7", "seed: 8", 1)))
	for i := range a {
		if renamed[i].ID != a[i].ID {
			t.Errorf("cell %d: renaming the experiment changed the ID", i)
		}
		if reseeded[i].ID == a[i].ID {
			t.Errorf("cell %d: a different seed kept the ID %s", i, a[i].ID)
		}
	}

	// The same cell reached without a sweep, with baseline off, or in a different sweep has
	// the same ID.
	single := expandCells(t, parseText(t, "name: x\nseed: 7\nmixing: {group_size: 2}\n"))
	if single[0].ID != a[2].ID {
		t.Errorf("the k=2 cell on its own: ID %s, in the sweep %s", single[0].ID, a[2].ID)
	}

	// Golden: the canonical form, and so every finished cell's ID, must not change by accident
	// (a resumed sweep would recompute everything). Update only on a deliberate schema change.
	if got, want := single[0].ID, goldenID; got != want {
		t.Errorf("ID of the defaults with seed 7 = %s, want %s (canonical form changed?)", got, want)
	}
	if a[0].Variant != VariantBaseline || a[0].ID == a[1].ID {
		t.Errorf("baseline and datamix cells share an ID")
	}
}

// goldenID is the ID of the defaults with seed 7 (see TestExpandIDs).
const goldenID = "d88a203c149f"

func TestExpandDuplicate(t *testing.T) {
	c := parseText(t, "name: dup\nsweep:\n  seed: [1, 2, 1]\n")
	_, err := Expand(c)
	want := "x.yaml:3: sweep: cells {seed: 1} and {seed: 1} are the same experiment"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v, want one starting %s", err, want)
	}
	if err := c.Validate(); err == nil {
		t.Error("Validate accepted a sweep with a repeated cell")
	}
}

func TestExpandCellErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"swept value out of range, at its line in the sweep",
			"name: e\nsweep:\n  mixing.group_size: [2, 4]\n  model.split:\n    - 1\n    - 5\n",
			"x.yaml:6: sweep cell {mixing.group_size: 2, model.split: 5}: model.split: 5, need 0 ≤ split ≤ 2 for mnist-cnn (or the name of a layer)"},
		{"base value at its line, naming the cell",
			"name: e\ntrain:\n  batch_size: 64\nsweep:\n  mixing.group_size: [2, 3]\n",
			"x.yaml:3: sweep cell {mixing.group_size: 3}: train.batch_size: 64, need a multiple of mixing.group_size (3): batches are mixed in whole groups"},
		{"default value, at the line of the related field",
			"name: e\nsweep:\n  mixing.group_size: [2, 3]\n",
			"x.yaml:3: sweep cell {mixing.group_size: 3}: train.batch_size: 64, need a multiple of mixing.group_size (3): batches are mixed in whole groups"},
		{"section sweep",
			"name: e\nsweep:\n  mixing:\n    - {coefficients: uniform}\n    - {coefficients: fixed}\n",
			"x.yaml:5: sweep cell {mixing: {coefficients: fixed}}: mixing.matrix: missing, coefficients: fixed needs a 2×2 matrix (group_size × group_size)"},
		{"too many cells",
			"name: e\nsweep:\n  seed: [" + strings.Repeat("1, ", 100) + "1]\n  dataset.train_limit: [" + strings.Repeat("1, ", 100) + "1]\n",
			"x.yaml:3: sweep: more than 10000 cells, the most one experiment may have"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Expand(parseText(t, tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestExpandSections checks sweeps over whole sections, which vary fields together.
func TestExpandSections(t *testing.T) {
	c := parseText(t, `name: s
mixing: {group_size: 2, alpha: 0.5}
sweep:
  mixing:
    - {coefficients: dirichlet}
    - {coefficients: fixed, matrix: [[0.7, 0.3], [0.6, 0.4]]}
  mixing.alpha: [2]
`)
	cells := expandCells(t, c)
	if len(cells) != 2 {
		t.Fatalf("%d cells, want 2", len(cells))
	}
	m0, m1 := cells[0].Config.Mixing, cells[1].Config.Mixing
	if m0.Coefficients != "dirichlet" || m0.Matrix != nil || m0.GroupSize != 2 || m0.Alpha != 2 {
		t.Errorf("cell 0 mixing %+v", m0)
	}
	if m1.Coefficients != "fixed" || !reflect.DeepEqual(m1.Matrix, [][]float64{{0.7, 0.3}, {0.6, 0.4}}) || m1.GroupSize != 2 {
		t.Errorf("cell 1 mixing %+v", m1)
	}
	if want := "{coefficients: fixed, matrix: [[0.7, 0.3], [0.6, 0.4]]}"; cells[1].Params[0].Value != want {
		t.Errorf("param value %q, want %q", cells[1].Params[0].Value, want)
	}
}

func TestExpandMatrix(t *testing.T) {
	c, err := Load("testdata/fixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cells := expandCells(t, c)
	if len(cells) != 2 {
		t.Fatalf("%d cells, want 2", len(cells))
	}
	for i, want := range []struct {
		text string
		m    [][]float64
	}{
		{"[[0.7, 0.3], [0.6, 0.4]]", [][]float64{{0.7, 0.3}, {0.6, 0.4}}},
		{"[[1, 0], [0, 1]]", [][]float64{{1, 0}, {0, 1}}},
	} {
		if p := cells[i].Params; len(p) != 1 || p[0] != (Param{"mixing.matrix", want.text}) {
			t.Errorf("cell %d params %v, want mixing.matrix = %s", i, p, want.text)
		}
		if !reflect.DeepEqual(cells[i].Config.Mixing.Matrix, want.m) {
			t.Errorf("cell %d matrix %v, want %v", i, cells[i].Config.Mixing.Matrix, want.m)
		}
	}
}

// TestExpandUsesCurrentValues checks that changes made in Go after Load reach the cells: the
// CLI's tiny mode, for one, shrinks a loaded config.
func TestExpandUsesCurrentValues(t *testing.T) {
	c, err := Load("testdata/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c.Train.Epochs = 1
	c.Dataset.TrainLimit = 128
	c.Sweep[0].Values = []string{"2", "4"}
	cells := expandCells(t, c)
	if len(cells) != 3 {
		t.Fatalf("%d cells, want 3: %q", len(cells), cellLabels(cells))
	}
	for _, cell := range cells {
		if cell.Config.Train.Epochs != 1 || cell.Config.Dataset.TrainLimit != 128 {
			t.Errorf("cell %s: epochs %d train limit %d, want 1 and 128", cell, cell.Config.Train.Epochs, cell.Config.Dataset.TrainLimit)
		}
	}
	if k := cells[2].Config.Mixing.GroupSize; k != 4 {
		t.Errorf("last cell group size %d, want 4", k)
	}
}

// TestExpandInGo checks sweeps built in Go: values are YAML text, errors name no file.
func TestExpandInGo(t *testing.T) {
	c := Defaults()
	c.Name = "go"
	c.Sweep = Sweep{{Key: "seed", Values: []string{"1", "2"}}, {Key: "mixing.coefficients", Values: []string{"uniform"}}}
	cells := expandCells(t, &c)
	if len(cells) != 2 || cells[1].Config.Seed != 2 || cells[1].Config.Mixing.Coefficients != "uniform" {
		t.Errorf("cells %q", cellLabels(cells))
	}
	for _, tc := range []struct {
		name  string
		sweep Sweep
		want  string
	}{
		{"unknown field", Sweep{{Key: "train.lrate", Values: []string{"1"}}},
			"config: sweep: train.lrate: no such field, train has epochs, batch_size, lr, lr_schedule, augment_shift, eval_batch_size"},
		{"no values", Sweep{{Key: "seed"}}, "config: sweep: seed: a list, need a non-empty list of values, e.g. [a, b]"},
		{"wrong type", Sweep{{Key: "seed", Values: []string{"x"}}}, `config: sweep: seed: "x", need an integer ≥ 0`},
		{"bad YAML", Sweep{{Key: "seed", Values: []string{"[1"}}}, `config: sweep: seed: value "[1": line 1: did not find expected ',' or ']'`},
		{"swept twice", Sweep{{Key: "seed", Values: []string{"1"}}, {Key: "seed", Values: []string{"2"}}}, "config: sweep: seed: swept twice"},
		{"invalid cell", Sweep{{Key: "train.epochs", Values: []string{"1", "0"}}}, "config: sweep cell {train.epochs: 0}: train.epochs: 0, need an integer ≥ 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			c.Name = "go"
			c.Sweep = tc.sweep
			if _, err := Expand(&c); err == nil || err.Error() != tc.want {
				t.Errorf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestExpandRelativePathInSweep checks that swept dataset paths are resolved against the
// config file's directory too.
func TestExpandRelativePathInSweep(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "c.yaml")
	text := "name: p\ndataset: {name: cifar10, path: a}\nmodel: {arch: cifar-cnn}\nsweep: {dataset.path: [a, b]}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// dataset.path is not part of the ID, so the two cells are the same experiment.
	if _, err := Expand(c); err == nil || !strings.Contains(err.Error(), "are the same experiment") {
		t.Errorf("two copies of one dataset: error %v, want a repeated-cell error", err)
	}
	c.Sweep = Sweep{{Key: "dataset.path", Values: []string{"b"}}}
	cells := expandCells(t, c)
	if want := filepath.Join(dir, "b"); cells[0].Config.Dataset.Path != want {
		t.Errorf("swept path %q, want %q", cells[0].Config.Dataset.Path, want)
	}
}

// TestExpandRelativeConfigPath checks that a relative path in a config named by a relative
// path (as on the command line: -config configs/x.yaml) is resolved once, not once more per cell.
func TestExpandRelativeConfigPath(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"configs", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	text := "name: p\ndataset: {name: cifar10, path: ../data}\nmodel: {arch: cifar-cnn}\nsweep: {seed: [1, 2]}\n"
	if err := os.WriteFile(filepath.Join(dir, "configs", "c.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	c, err := Load(filepath.Join("configs", "c.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range expandCells(t, c) {
		if cell.Config.Dataset.Path != "data" {
			t.Errorf("cell %s: dataset.path %q, want %q", cell.Label(), cell.Config.Dataset.Path, "data")
		}
	}
}

func TestCellString(t *testing.T) {
	c := Cell{ID: "0123456789ab", Variant: VariantDataMix, Params: []Param{{"mixing.group_size", "4"}, {"seed", "1"}}}
	if got, want := c.String(), "0123456789ab datamix {mixing.group_size: 4, seed: 1}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestExpandZip checks paired lists: the zip group is one axis of the product, at the place
// of its key, and each of its positions assigns the paired values together.
func TestExpandZip(t *testing.T) {
	c := parseText(t, `name: z
baseline: true
train: {eval_batch_size: 480}
sweep:
  seed: [1, 2]
  zip:
    mixing.group_size: [1, 3, 6]
    train.batch_size: [64, 48, 96]
  model.split: [0, 1]
`)
	cells := expandCells(t, c)
	var want []string
	for _, seed := range []int{1, 2} {
		want = append(want, fmt.Sprintf("baseline{seed: %d}", seed))
		for i, k := range []int{1, 3, 6} {
			b := []int{64, 48, 96}[i]
			if k != 1 { // the baselines depend on train.batch_size
				want = append(want, fmt.Sprintf("baseline{seed: %d, train.batch_size: %d}", seed, b))
			}
			for _, s := range []int{0, 1} {
				want = append(want, fmt.Sprintf("datamix{seed: %d, mixing.group_size: %d, train.batch_size: %d, model.split: %d}", seed, k, b, s))
			}
		}
	}
	// The seed-1 baseline at batch 64 has the params of the first cell that needs it.
	want[0] = "baseline{seed: 1, train.batch_size: 64}"
	want[9] = "baseline{seed: 2, train.batch_size: 64}"
	if got := cellLabels(cells); !reflect.DeepEqual(got, want) {
		t.Fatalf("cells\n %q\nwant\n %q", got, want)
	}
	for _, cell := range cells {
		if cell.Variant == VariantDataMix && cell.Config.Train.BatchSize%cell.Config.Mixing.GroupSize != 0 {
			t.Errorf("cell %s: batch %d and k %d not paired", cell, cell.Config.Train.BatchSize, cell.Config.Mixing.GroupSize)
		}
	}

	// The same cell reached through zip or a plain sweep has the same ID.
	plain := expandCells(t, parseText(t, "name: p\nseed: 2\nmixing: {group_size: 3}\ntrain: {batch_size: 48, eval_batch_size: 480}\nmodel: {split: 1}\n"))
	var zipped Cell
	for _, cell := range cells {
		if cell.Config.Seed == 2 && cell.Config.Mixing.GroupSize == 3 && cell.Config.Model.Split == 1 && cell.Variant == VariantDataMix {
			zipped = cell
		}
	}
	if zipped.ID != plain[0].ID {
		t.Errorf("zipped cell ID %s, plain %s", zipped.ID, plain[0].ID)
	}

	// The resolved config keeps the zip group and parses back to the same cells.
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again := expandCells(t, parseText(t, string(out)))
	if !reflect.DeepEqual(cellLabels(again), cellLabels(cells)) {
		t.Errorf("after Marshal and Parse: cells %q", cellLabels(again))
	}
	if !strings.Contains(string(out), "zip:") {
		t.Errorf("marshalled config lacks the zip group:\n%s", out)
	}
}

func TestExpandZipErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unequal lengths",
			"name: z\nsweep:\n  zip:\n    mixing.group_size: [1, 3]\n    train.batch_size: [64, 48, 96]\n",
			"x.yaml:5: sweep: zip: train.batch_size: 3 values, but mixing.group_size has 2: zipped lists are paired value by value and need equal lengths"},
		{"swept twice",
			"name: z\nsweep:\n  seed: [1]\n  zip:\n    seed: [1, 2]\n    model.split: [0, 1]\n",
			"x.yaml:5: sweep: zip: seed: swept twice, first at line 3"},
		{"not a mapping",
			"name: z\nsweep:\n  zip: [1, 2]\n",
			"x.yaml:3: sweep: zip: a list, need a mapping from field paths to lists of equal length, e.g. {mixing.group_size: [3, 6], train.batch_size: [48, 96]}"},
		{"unknown field",
			"name: z\nsweep:\n  zip:\n    mixing.groupsize: [1]\n",
			"x.yaml:4: sweep: zip: mixing.groupsize: no such field, mixing has group_size, coefficients, alpha, matrix, shuffle, shuffle_pool, max_cond"},
		{"nested zip",
			"name: z\nsweep:\n  zip:\n    zip: {seed: [1]}\n",
			"x.yaml:4: sweep: zip: zip inside zip, need field paths"},
		{"invalid pair",
			"name: z\nsweep:\n  zip:\n    mixing.group_size: [2, 3]\n    train.batch_size: [64, 64]\n",
			"x.yaml:5: sweep cell {mixing.group_size: 3, train.batch_size: 64}: train.batch_size: 64, need a multiple of mixing.group_size (3): batches are mixed in whole groups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(tc.yaml))
			if err == nil {
				_, err = Expand(c)
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}

	// Built in Go.
	c := Defaults()
	c.Name = "go"
	c.Sweep = Sweep{{Key: ZipKey, Zip: []Axis{{Key: "seed", Values: []string{"1", "2"}}, {Key: "model.split", Values: []string{"0"}}}}}
	want := "config: sweep: zip: model.split: 1 values, but seed has 2: zipped lists are paired value by value and need equal lengths"
	if _, err := Expand(&c); err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}
	c.Sweep[0].Zip[1].Values = []string{"0", "1"}
	if cells := expandCells(t, &c); len(cells) != 2 || cells[1].Config.Seed != 2 || cells[1].Config.Model.Split != 1 {
		t.Errorf("cells %q", cellLabels(cells))
	}
}
