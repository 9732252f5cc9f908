package models

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestBuiltinFusion checks what the built-in descriptions compile to: the fused layers, in the
// blocks and tail the Go definitions they replaced had.
func TestBuiltinFusion(t *testing.T) {
	conv := Layer{Kind: Conv, ReLU: true, Bias: true}
	pool := Layer{Kind: MaxPool, Kernel: 2, Stride: 2}
	kinds := func(ls []Layer) string {
		var s []string
		for _, l := range ls {
			k := l.Kind.String()
			if l.ReLU {
				k += "+relu"
			}
			s = append(s, k)
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		arch   string
		blocks []string
		tail   string
	}{
		{"mnist-cnn", []string{"conv+relu maxpool", "conv+relu maxpool", "dense+relu"}, "dense"},
		{"cifar-cnn", []string{"conv+relu maxpool", "conv+relu maxpool", "conv+relu maxpool", "dense+relu"}, "dense"},
		{"speech-cnn", []string{"conv+relu maxpool", "conv+relu maxpool", "conv+relu maxpool", "dense+relu"}, "dense"},
		{"mnist-resnet8", []string{"conv-bn+relu", "residual", "residual", "residual"}, "gap dense"},
		{"cifar-resnet20", append([]string{"conv-bn+relu"}, slices.Repeat([]string{"residual"}, 9)...), "gap dense"},
	} {
		a, err := Lookup(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range a.Blocks {
			got = append(got, kinds(b))
		}
		if !slices.Equal(got, tc.blocks) || kinds(a.Tail) != tc.tail {
			t.Errorf("%s: blocks %q tail %q, want %q tail %q", tc.arch, got, kinds(a.Tail), tc.blocks, tc.tail)
		}
	}
	a, _ := Lookup("mnist-cnn")
	if l := a.Blocks[0][0]; l.Kind != conv.Kind || l.Out != 16 || l.Kernel != 5 || l.Pad != 2 || !l.Bias || !slices.Equal(l.Src, []int{0, 1}) {
		t.Errorf("mnist-cnn's first layer %+v", l)
	}
	if l := a.Blocks[0][1]; l.Kind != pool.Kind || l.Kernel != pool.Kernel || l.Stride != pool.Stride {
		t.Errorf("mnist-cnn's pool %+v", l)
	}
	r, _ := Lookup("mnist-resnet8")
	if l := r.Blocks[2][0]; l.Out != 32 || l.Stride != 2 || l.Shortcut != ShortcutPad || l.Kernel != 3 {
		t.Errorf("mnist-resnet8's second block %+v", l)
	}
}

// TestDescriptionErrors checks that every kind of fault in an architecture file is one line
// naming the file, the line of the offending value, the layer and field, and the shapes or
// values involved.
func TestDescriptionErrors(t *testing.T) {
	const head = "input: [1, 8, 8]\nlayers:\n" // the layers start at line 3
	for _, tc := range []struct {
		name, text string
		want       string // the whole message, or a prefix ending in "…"
	}{
		{"unknown kind", head + "  - {kind: convolution, channels: 4, kernel: 3}\n  - {kind: dense}\n",
			`models: net.yaml:3: layers[0].kind: "convolution", need one of conv, batchnorm, relu, maxpool, avgpool, residual, gap, flatten, dense, dropout`},
		{"missing kind", head + "  - {channels: 4}\n  - {kind: dense}\n",
			"models: net.yaml:3: layers[0].kind: missing, need one of …"},
		{"missing field", head + "  - {kind: conv, channels: 4}\n  - {kind: dense}\n",
			"models: net.yaml:3: layers[0].kernel: missing, a conv layer needs it"},
		{"field of another kind", head + "  - {kind: conv, channels: 4, kernel: 3}\n  - kind: relu\n    units: 3\n  - {kind: dense}\n",
			"models: net.yaml:5: layers[1].units: given, but a relu layer reads no fields besides kind and name"},
		{"unknown field", head + "  - {kind: conv, channels: 4, kernal: 3}\n  - {kind: dense}\n",
			"models: net.yaml:3: layers[0].kernal: unknown field, want one of kind, name, channels, kernel, stride, padding, bias, shortcut, units, rate"},
		{"wrong type", head + "  - {kind: conv, channels: four, kernel: 3}\n  - {kind: dense}\n",
			`models: net.yaml:3: layers[0].channels: "four", need an integer`},
		{"unknown top-level key", "inputs: [1, 8, 8]\nlayers: []\n",
			"models: net.yaml:1: inputs: unknown field, want one of doc, input, layers"},
		{"kernel too large", head + "  - {kind: conv, channels: 4, kernel: 9}\n  - {kind: flatten}\n  - {kind: dense}\n",
			"models: net.yaml:3: layers[0].kernel: 9 does not fit the input 1×8×8 with padding 0 (the padded input is 8×8)"},
		{"pool too large after a conv", head + "  - {kind: conv, channels: 4, kernel: 5}\n  - {kind: maxpool, kernel: 5}\n  - {kind: flatten}\n  - {kind: dense}\n",
			"models: net.yaml:4: layers[1].kernel: 5 does not fit the input 4×4×4 with padding 0 (the padded input is 4×4)"},
		{"conv after flatten", head + "  - {kind: flatten}\n  - {kind: conv, channels: 4, kernel: 3}\n  - {kind: dense}\n",
			"models: net.yaml:4: layers[1].kind: a conv layer needs C×H×W maps, but its input is 64 values (after a flatten, dense or gap layer)"},
		{"dense on maps", head + "  - {kind: conv, channels: 2, kernel: 3, padding: 1}\n  - {kind: dense}\n",
			"models: net.yaml:4: layers[1].kind: a dense layer needs a flat input, but its input is 2×8×8; put {kind: flatten} (or gap) before it (PyTorch's nn.Linear would act on the last axis alone)"},
		{"shortcut missing", head + "  - {kind: residual, channels: 4, stride: 2}\n  - {kind: gap}\n  - {kind: dense}\n",
			"models: net.yaml:3: layers[0].shortcut: missing: the block changes the shape 1×8×8 → 4×4×4, so the shortcut must too; …"},
		{"pad shortcut, odd channel change", head + "  - {kind: residual, channels: 4, shortcut: pad}\n  - {kind: gap}\n  - {kind: dense}\n",
			"models: net.yaml:3: layers[0].shortcut: pad from 1 to 4 channels: …"},
		{"does not end with dense", head + "  - {kind: conv, channels: 4, kernel: 3}\n  - {kind: relu}\n",
			"models: net.yaml:4: layers[1].kind: the last layer is a relu; a network ends with its classifier, a dense layer"},
		{"nothing before the classifier", head + "  - {kind: flatten}\n  - {kind: dense}\n",
			"models: net.yaml:4: layers[1]: nothing before the classifier but pooling, flatten or dropout: the cloud's body needs a layer to run"},
		{"name repeated", head + "  - {kind: conv, name: a, channels: 4, kernel: 3}\n  - {kind: flatten, name: a}\n  - {kind: dense}\n",
			`models: net.yaml:4: layers[1].name: "a" again (also layers[0]); names must be unique`},
		{"name of digits", head + "  - {kind: conv, name: '2', channels: 4, kernel: 3}\n  - {kind: flatten}\n  - {kind: dense}\n",
			`models: net.yaml:3: layers[0].name: "2", need 1 to 64 letters, …`},
		{"dropout rate", head + "  - {kind: flatten}\n  - {kind: dense, units: 4}\n  - {kind: dropout, rate: 1.5}\n  - {kind: dense}\n",
			"models: net.yaml:5: layers[2].rate: 1.5, need a number with 0 < rate < 1"},
		{"pool padding", head + "  - {kind: maxpool, kernel: 2, padding: 2}\n  - {kind: flatten}\n  - {kind: dense}\n",
			"models: net.yaml:3: layers[0].padding: 2, need at most half the kernel (1), as PyTorch does"},
		{"hidden dense without units", head + "  - {kind: flatten}\n  - {kind: dense}\n  - {kind: dense}\n",
			"models: net.yaml:4: layers[1].units: missing, a dense layer needs it"},
		{"no layers", "input: [1, 8, 8]\n", "models: net.yaml:1: layers: missing, need the list of layers"},
		{"bad input", "input: [1, 8]\nlayers:\n  - {kind: flatten}\n  - {kind: dense, units: 2}\n  - {kind: dense}\n",
			"models: net.yaml:1: input: [1 8], need [channels, height, width]"},
		{"YAML syntax", head + "  - {kind: conv\n", "models: net.yaml:…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseDescription("net.yaml", []byte(tc.text))
			if err == nil {
				_, err = d.Build("net", 0, 0, 0)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			got := err.Error()
			if strings.Contains(got, "\n") {
				t.Errorf("error spans lines: %q", got)
			}
			if prefix, ok := strings.CutSuffix(tc.want, "…"); ok {
				if !strings.HasPrefix(got, prefix) {
					t.Errorf("got  %q\nwant %q", got, tc.want)
				}
			} else if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestSplitOf checks split points given by a layer's name: the block holding it ends the head.
func TestSplitOf(t *testing.T) {
	a, err := Lookup("mnist-resnet8")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"stem": 1, "res1.1": 2, "res2.1": 3} {
		if got, err := a.SplitOf(name); err != nil || got != want {
			t.Errorf("SplitOf(%q) = %d, %v; want %d", name, got, err, want)
		}
	}
	for name, want := range map[string]string{
		"res3.1":     "res3.1 is in the last block (3 of 3); a split after it leaves the cloud nothing to run",
		"classifier": "classifier is in the edge tail (the classifier and the pooling before it); a split must leave the cloud at least one block",
		"res4":       `no layer is named "res4"; the names that can end the head are stem, res1.1, res2.1`,
	} {
		if _, err := a.SplitOf(name); err == nil || err.Error() != want {
			t.Errorf("SplitOf(%q): %v, want %q", name, err, want)
		}
	}
	// A name inside a block (here the relu after conv2) ends the head with that block.
	m := mustArch("input: [1, 8, 8]\nlayers:\n  - {kind: conv, channels: 2, kernel: 3}\n  - {kind: conv, channels: 2, kernel: 3}\n  - {kind: relu, name: act2}\n  - {kind: flatten}\n  - {kind: dense, units: 3}\n  - {kind: dense}\n")
	if got, err := m.SplitOf("act2"); err != nil || got != 2 {
		t.Errorf("SplitOf(act2) = %d, %v; want 2", got, err)
	}
}

// dropoutArch is a small network with dropout, fused and general layers.
var dropoutArch = mustArch(`
input: [1, 10, 10]
layers:
  - {kind: conv, name: c1, channels: 4, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: maxpool, kernel: 2}
  - {kind: dropout, rate: 0.25}
  - {kind: conv, channels: 6, kernel: 3, stride: 2}
  - {kind: flatten}
  - {kind: dense, units: 8}
  - {kind: relu}
  - {kind: dropout, rate: 0.5}
  - {kind: dense}
`)

// TestDescribedNetTrainsAndReloads trains a described network with dropout, mixed at split 1:
// two runs from one seed give the same weights bit for bit, the loss falls, inference (no
// dropout) through head, body and tail gives what the checkpoint's reload gives, and the
// checkpoint carries the description.
func TestDescribedNetTrainsAndReloads(t *testing.T) {
	const batch, classes = 8, 3
	train := func() (*Net, []float64) {
		n, err := New(dropoutArch, classes, 1, newRNG(95))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTrainer(n, batch, true, 1e-2)
		if err != nil {
			t.Fatal(err)
		}
		rng := newRNG(96)
		x, y := randomBatch(rng, n, batch)
		var losses []float64
		for range 60 {
			mix, demix, _ := blockDiag2(rng, batch)
			loss, _, err := tr.Step(x, y, mix, demix)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, loss)
		}
		return n, losses
	}
	a, la := train()
	b, lb := train()
	var ca, cb bytes.Buffer
	if err := a.Save(&ca); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(&cb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ca.Bytes(), cb.Bytes()) || !slices.Equal(la, lb) {
		t.Fatal("two trainings from one seed differ")
	}
	if !(la[len(la)-1] < 0.5*la[0]) {
		t.Errorf("loss %v → %v: the net does not learn a fixed batch", la[0], la[len(la)-1])
	}
	if !strings.Contains(ca.String(), `"description":{"input":[1,10,10],"layers":[{"kind":"conv","name":"c1"`) {
		t.Errorf("the checkpoint header does not carry the description: %.300s", ca.String())
	}
	m, err := Load(bytes.NewReader(ca.Bytes()), "mem")
	if err != nil {
		t.Fatal(err)
	}
	x, _ := randomBatch(newRNG(97), a, batch)
	la2, lm := inferLogits(t, a, x, batch), inferLogits(t, m, x, batch)
	for i := range la2 {
		if math.Float32bits(la2[i]) != math.Float32bits(lm[i]) {
			t.Fatalf("logit %d: %v before save, %v after load", i, la2[i], lm[i])
		}
	}
}

// FuzzDescription feeds ParseDescription and Build arbitrary text: they must never panic, and
// a description they accept must make a net that New can build and that saves and reloads.
func FuzzDescription(f *testing.F) {
	for _, name := range Names() {
		text, err := BuiltinDescription(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Add([]byte("input: [2, 9, 8]\nlayers:\n  - {kind: conv, channels: 4, kernel: 3, stride: 2, padding: 1, bias: false}\n  - {kind: avgpool, kernel: 2}\n  - {kind: residual, channels: 6, stride: 2, shortcut: projection}\n  - {kind: flatten}\n  - {kind: batchnorm}\n  - {kind: dropout, rate: 0.5}\n  - {kind: dense}\n"))
	f.Add([]byte("layers: [{kind: flatten}, {kind: dense, units: 3}, {kind: dense}]\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		d, err := ParseDescription("fuzz.yaml", text)
		if err != nil {
			return
		}
		a, err := d.Build("fuzz", 1, 8, 8)
		if err != nil {
			return
		}
		if a.H*a.W*a.C > 1<<16 {
			return // a large input is valid but slow to allocate here
		}
		n, err := New(a, 3, 0, newRNG(1))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := n.Save(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bytes.NewReader(b.Bytes()), "fuzz"); err != nil {
			t.Fatalf("a saved described net does not load: %v", err)
		}
	})
}
