package models

import (
	"bytes"
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPyTorchCrossCheck builds every built-in architecture, and the test networks with the
// general ops, in PyTorch from the same description (bench/torch_crosscheck.py), loads the
// weights exported here (WriteNPZ; after two training steps, so the batch norms' running
// statistics are not their initial values) and compares the logits of 8 random inputs with
// the ones this package computes through head, body and tail. The tolerance, 1e-4 of the
// largest logit, covers float32 sums taken in another order through up to 20 layers (the
// differences measured are a few 1e-7). It needs Debian's python3-torch (PYTHON overrides
// /usr/bin/python3) and is skipped, saying so, without it.
func TestPyTorchCrossCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PyTorch")
	}
	python := cmp.Or(os.Getenv("PYTHON"), "/usr/bin/python3")
	if out, err := exec.Command(python, "-c", "import torch, numpy, yaml").CombinedOutput(); err != nil {
		t.Skipf("PyTorch cross-check skipped: %s cannot import torch, numpy and yaml (apt-get install python3-torch python3-yaml): %v %s",
			python, err, strings.TrimSpace(string(out)))
	}
	const batch, classes = 8, 10
	archs := []Arch{generalArch, dropoutArch}
	for _, name := range Names() {
		a, _ := Lookup(name)
		archs = append(archs, a)
	}
	root := t.TempDir()
	var dirs []string
	for _, a := range archs {
		n := trainedNet(t, a, classes)
		dir := filepath.Join(root, a.Name)
		if a.Name == "test" {
			dir = filepath.Join(root, map[*Description]string{generalArch.Desc: "general-ops", dropoutArch.Desc: "dropout"}[a.Desc])
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		text, err := a.DescriptionText()
		if err != nil {
			t.Fatal(err)
		}
		var npz bytes.Buffer
		if err := n.WriteNPZ(&npz, Whole); err != nil {
			t.Fatal(err)
		}
		x, _ := randomBatch(newRNG(105), n, batch)
		logits := inferLogits(t, n, x, batch)
		var in, out bytes.Buffer
		if err := writeNPY(&in, []int{batch, a.C, a.H, a.W}, x); err != nil {
			t.Fatal(err)
		}
		if err := writeNPY(&out, []int{batch, classes}, logits); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"arch.yaml": text, "model.npz": npz.Bytes(), "inputs.npy": in.Bytes(), "logits.npy": out.Bytes()} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, dir)
	}
	cmd := exec.Command(python, append([]string{"../bench/torch_crosscheck.py", "--tolerance", "1e-4"}, dirs...)...)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		t.Log(strings.TrimPrefix(line, root+string(filepath.Separator)))
	}
	if err != nil {
		t.Fatalf("bench/torch_crosscheck.py: %v", err)
	}
	if got := strings.Count(string(out), "max |logit"); got != len(dirs) {
		t.Fatalf("%d comparisons reported, want %d", got, len(dirs))
	}
}
