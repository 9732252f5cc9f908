package config

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/models"
)

// ownHead is a config with its own network (model.layers) on MNIST: conv1 (block 0) | conv2
// (block 1) | fc (block 2) | classifier. Line 6 holds the first layer.
const ownHead = `name: own
dataset: {name: mnist, train_limit: 256, test_limit: 100}
train: {epochs: 1, batch_size: 32, eval_batch_size: 50}
model:
  layers:
    - {kind: conv, name: conv1, channels: 4, kernel: 3, padding: 1}
    - {kind: relu}
    - {kind: maxpool, kernel: 2}
    - {kind: conv, name: conv2, channels: 8, kernel: 3, padding: 1}
    - {kind: relu}
    - {kind: maxpool, kernel: 2}
    - {kind: flatten}
    - {kind: dense, name: fc, units: 16}
    - {kind: relu}
    - {kind: dense}
`

// TestOwnNetwork checks a network given in the config: it is built for the dataset, named
// "layers" in results, split by number or by a layer's name with one cell ID for both, and
// survives the resolved config's round trip.
func TestOwnNetwork(t *testing.T) {
	byNumber := expandCells(t, parseText(t, ownHead+"  split: 2\n"))
	byName := expandCells(t, parseText(t, ownHead+"  split: conv2\n"))
	if byNumber[0].ID != byName[0].ID || byName[0].Config.Model.Split != 2 {
		t.Errorf("split conv2: cell %s split %d; split 2: cell %s", byName[0].ID, byName[0].Config.Model.Split, byNumber[0].ID)
	}
	cfg := &byName[0].Config
	a, err := cfg.Architecture()
	if err != nil || a.MaxSplit() != 2 || a.C != 1 || a.H != 28 || a.W != 28 {
		t.Fatalf("architecture %+v, %v", a, err)
	}
	if cfg.Model.Name() != InlineArch || cfg.Model.Arch != "" {
		t.Errorf("name %q, arch %q; want %q and none", cfg.Model.Name(), cfg.Model.Arch, InlineArch)
	}
	c := parseText(t, ownHead+"  split: conv2\n")
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "split: conv2") || strings.Contains(string(out), "arch:") {
		t.Errorf("resolved config:\n%s\nwant split: conv2 and no arch", out)
	}
	again := parseText(t, string(out))
	if cells := expandCells(t, again); cells[0].ID != byName[0].ID {
		t.Errorf("the resolved config gives cell %s, the file %s", cells[0].ID, byName[0].ID)
	}
	// A sweep may mix numbers and names; an override may name a layer.
	sw := expandCells(t, parseText(t, ownHead+"sweep: {model.split: [0, conv1, conv2]}\n"))
	for i, want := range []int{0, 1, 2} {
		if got := sw[i].Config.Model.Split; got != want {
			t.Errorf("sweep cell %d: split %d, want %d", i, got, want)
		}
	}
	over, err := ParseWith("x.yaml", []byte(ownHead), Overrides{"model.split=conv2"})
	if err != nil {
		t.Fatal(err)
	}
	if cells := expandCells(t, over); cells[0].Config.Model.Split != 2 {
		t.Errorf("-set model.split=conv2: split %d, want 2", cells[0].Config.Model.Split)
	}
	if _, err := ParseWith("x.yaml", []byte(ownHead), Overrides{"model.split=fc"}); err == nil {
		if _, err = Expand(over); err != nil {
			t.Fatal(err)
		}
	}
	bad, err := ParseWith("x.yaml", []byte(ownHead), Overrides{"model.split=fc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Expand(bad); err == nil || err.Error() != "-set model.split=fc: model.split: fc is in the last block (2 of 2); a split after it leaves the cloud nothing to run" {
		t.Errorf("-set model.split=fc: %v", err)
	}
	// A built-in network's cells keep their IDs: none of the new fields enter them (the IDs
	// the harness gave these configs before networks could be described).
	for text, want := range map[string][]string{
		"name: b\nmodel: {arch: mnist-cnn, split: 1}\n": {"5890499aec25"},
		"name: b\ndataset: {name: mnist}\nmodel: {arch: mnist-resnet8, split: 2}\nsweep: {mixing.group_size: [1, 2]}\nbaseline: true\n": {
			"456a62cf1ed6", "143129784f8a", "e1185b590007"},
	} {
		for i, c := range expandCells(t, parseText(t, text)) {
			if c.ID != want[i] {
				t.Errorf("%q: cell %d has ID %s, before described networks %s", text, i, c.ID, want[i])
			}
		}
	}
}

// TestOwnNetworkFile checks model.file: resolved against the config's directory, named after
// the file, its content (not its place) in the cell ID; a fault in it names both files.
func TestOwnNetworkFile(t *testing.T) {
	dir := t.TempDir()
	net := "input: [1, 28, 28]\nlayers:\n  - {kind: conv, name: c, channels: 2, kernel: 5}\n  - {kind: flatten}\n  - {kind: dense}\n"
	if err := os.MkdirAll(filepath.Join(dir, "archs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(dir, "archs", "tiny-net.yaml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(net)
	cfgPath := filepath.Join(dir, "x.yaml")
	text := "name: f\ndataset: {name: mnist}\nmodel:\n  file: archs/tiny-net.yaml\n  split: 0\n"
	os.WriteFile(cfgPath, []byte(text), 0o644)
	load := func() []Cell {
		c, err := Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		return expandCells(t, c)
	}
	cells := load()
	if m := cells[0].Config.Model; m.Name() != "tiny-net" || m.File != filepath.Join(dir, "archs", "tiny-net.yaml") || m.Arch != "" {
		t.Errorf("model %+v (name %q)", m, m.Name())
	}
	write(strings.Replace(net, "channels: 2", "channels: 3", 1))
	if again := load(); again[0].ID == cells[0].ID {
		t.Error("editing the architecture file kept the cell ID")
	}
	write(strings.Replace(net, "kernel: 5", "kernel: 29", 1))
	c, err := Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	want := "x.yaml:4: model.file: " + filepath.Join(dir, "archs", "tiny-net.yaml") + ":3: layers[0].kernel: 29 does not fit the input 1×28×28 with padding 0 (the padded input is 28×28)"
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err %v\nwant …%s", err, want)
	}
}

// TestOwnNetworkErrors checks that every bad model section is one line naming the config
// line, the field and the shapes involved.
func TestOwnNetworkErrors(t *testing.T) {
	dir := t.TempDir()
	cifarNet := filepath.Join(dir, "cifar-net.yaml")
	os.WriteFile(cifarNet, []byte("input: [3, 32, 32]\nlayers:\n  - {kind: conv, channels: 2, kernel: 3}\n  - {kind: flatten}\n  - {kind: dense}\n"), 0o644)
	layers := func(ls ...string) string {
		return "model:\n  layers:\n    - " + strings.Join(ls, "\n    - ") + "\n"
	}
	head := "name: e\ndataset: {name: mnist}\n" // the model section starts at line 3, its first layer at 5
	for _, tc := range []struct{ name, src, want string }{
		{"unknown layer kind", layers("{kind: convolution, channels: 4, kernel: 3}", "{kind: flatten}", "{kind: dense}"),
			`x.yaml:5: model.layers[0].kind: "convolution", need one of conv, batchnorm, relu, maxpool, avgpool, residual, gap, flatten, dense, dropout`},
		{"unknown layer key", layers("{kind: conv, channels: 4, kernal: 3}", "{kind: dense}"),
			"x.yaml:5: model.layers[0].kernal: unknown field, want one of kind, name, channels, kernel, stride, padding, bias, shortcut, units, rate"},
		{"missing field", layers("{kind: conv, channels: 4}", "{kind: flatten}", "{kind: dense}"),
			"x.yaml:5: model.layers[0].kernel: missing, a conv layer needs it"},
		{"wrong type", layers("{kind: conv, channels: 4, kernel: 3, bias: yes please}", "{kind: flatten}", "{kind: dense}"),
			`x.yaml:5: model.layers[0].bias: "yes please", need true or false`},
		{"shape does not fit", layers("{kind: conv, channels: 4, kernel: 3}", "{kind: maxpool, kernel: 2}", "{kind: conv, channels: 4, kernel: 15}", "{kind: flatten}", "{kind: dense}"),
			"x.yaml:7: model.layers[2].kernel: 15 does not fit the input 4×13×13 with padding 0 (the padded input is 13×13)"},
		{"dense on maps", layers("{kind: conv, channels: 4, kernel: 3}", "{kind: dense}"),
			"x.yaml:6: model.layers[1].kind: a dense layer needs a flat input, but its input is 4×26×26; put {kind: flatten} (or gap) before it (PyTorch's nn.Linear would act on the last axis alone)"},
		{"classifier units against classes", layers("{kind: conv, channels: 4, kernel: 3}", "{kind: flatten}", "{kind: dense, units: 3}") + "  split: 0\n",
			"x.yaml:7: model.layers[2].units: layers's last layer has 3 units, but dataset mnist has 10 classes (leave units out: one per class)"},
		{"split past the last block", layers("{kind: conv, channels: 4, kernel: 3}", "{kind: flatten}", "{kind: dense}") + "  split: 1\n",
			"x.yaml:8: model.split: 1, need 0 ≤ split ≤ 0 for layers (or the name of a layer)"},
		{"split by an unknown name", layers("{kind: conv, name: a, channels: 4, kernel: 3}", "{kind: conv, name: b, channels: 4, kernel: 3}", "{kind: flatten}", "{kind: dense}") + "  split: c\n",
			`x.yaml:9: model.split: no layer is named "c"; the names that can end the head are a`},
		{"split by a name in the last block", layers("{kind: conv, name: a, channels: 4, kernel: 3}", "{kind: conv, name: b, channels: 4, kernel: 3}", "{kind: flatten}", "{kind: dense}") + "  split: b\n",
			"x.yaml:9: model.split: b is in the last block (1 of 1); a split after it leaves the cloud nothing to run"},
		{"arch and layers", "model:\n  arch: mnist-cnn\n" + strings.TrimPrefix(layers("{kind: flatten}", "{kind: dense}"), "model:\n"),
			"x.yaml:6: model.layers: given with model.arch; give the network one way: arch (built in), file or layers"},
		{"missing file", "model: {file: nowhere.yaml}\n", `x.yaml:3: model.file: "nowhere.yaml": no such file or directory`},
		{"file input against the data", "model: {file: " + cifarNet + "}\n",
			"x.yaml:3: model.file: " + cifarNet + " takes 3×32×32 inputs (its input:), but dataset mnist has 1×28×28"},
		{"missing weights", "model: {arch: mnist-cnn, weights: none.npz}\n", `x.yaml:3: model.weights: "none.npz": no such file or directory`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("x.yaml", []byte(head+tc.src))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
	// The dataset's own fields.
	checkErrors(t, "name: d\n", []errorCase{
		{"size on a fixed dataset", "dataset: {name: mnist, size: [28, 28]}\n", "tiny.yaml:2: dataset.size: given, but only dataset image-folder reads it (mnist has a fixed shape)"},
		{"channels on a fixed dataset", "dataset: {name: cifar10, path: " + dir + ", channels: 3}\n", "dataset.channels: given, but only dataset image-folder reads it (cifar10 has a fixed shape)"},
		{"image folder without size", "dataset: {name: image-folder, path: " + dir + "}\n", "tiny.yaml:2: dataset.size: missing, dataset image-folder needs [height, width]"},
		{"image folder size", "dataset: {name: image-folder, path: " + dir + ", size: [0, 8]}\n", "tiny.yaml:2: dataset.size: [0 8], need [height, width], each in 1..4096"},
		{"image folder channels", "dataset: {name: image-folder, path: " + dir + ", size: [8, 8], channels: 2}\n", "tiny.yaml:2: dataset.channels: 2, need 1 (grey) or 3 (RGB)"},
		{"image folder without class folders", "dataset: {name: image-folder, path: " + dir + ", size: [8, 8]}\n", "tiny.yaml:2: dataset.path: datasets: image-folder: " + dir + "/train: no such directory"},
	})
}

// TestModelWeights checks model.weights: an archive of the network's weights validates and
// its content enters the cell ID; one of another network is refused with the array at fault.
func TestModelWeights(t *testing.T) {
	dir := t.TempDir()
	a, err := models.Lookup("mnist-cnn")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, arch models.Arch, seed uint64) {
		n, err := models.New(arch, 10, 1, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := n.WriteNPZ(&b, models.Whole); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
	}
	write("a.npz", a, 1)
	write("b.npz", a, 2)
	r, _ := models.Lookup("mnist-resnet8")
	write("resnet.npz", r, 1)
	cell := func(weights string) (Cell, error) {
		os.WriteFile(filepath.Join(dir, "x.yaml"), []byte("name: w\nmodel: {arch: mnist-cnn, weights: "+weights+"}\n"), 0o644)
		c, err := Load(filepath.Join(dir, "x.yaml"))
		if err != nil {
			return Cell{}, err
		}
		cells, err := Expand(c)
		if err != nil {
			return Cell{}, err
		}
		return cells[0], nil
	}
	ca, err := cell("a.npz")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := cell("b.npz")
	if err != nil {
		t.Fatal(err)
	}
	if ca.ID == cb.ID {
		t.Error("two weight files give one cell ID")
	}
	if _, err := cell("resnet.npz"); err == nil || !strings.Contains(err.Error(), "x.yaml:2: model.weights: "+filepath.Join(dir, "resnet.npz")+": layers.0.weight has shape [16 1 3 3], mnist-cnn needs [16 1 5 5]") {
		t.Errorf("weights of another network: %v", err)
	}
}
