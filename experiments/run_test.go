package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyConfig is a config small enough to train in a few seconds.
func tinyConfig(t *testing.T, extra string) *Config {
	t.Helper()
	src := `name: tiny
seed: 3
dataset: {name: mnist, train_limit: 256, test_limit: 100}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2, coefficients: dirichlet, alpha: 1.0, shuffle: true}
train: {epochs: 1, batch_size: 32, lr: 0.002, eval_batch_size: 50}
` + extra
	cfg, err := Parse("tiny.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRunReproducible runs the same config twice into different directories: the accuracies
// and the trained weights must be identical.
func TestRunReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, "baseline: true\nsweep: {mixing.group_size: [1, 2]}\n")
	a, b := t.TempDir(), t.TempDir()
	rowsA, err := Run(cfg, Options{Out: a})
	if err != nil {
		t.Fatal(err)
	}
	rowsB, err := Run(cfg, Options{Out: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(rowsA) != 3 || len(rowsB) != 3 {
		t.Fatalf("got %d and %d rows, want 3", len(rowsA), len(rowsB))
	}
	for i := range rowsA {
		if rowsA[i].Accuracy != rowsB[i].Accuracy || rowsA[i].TrainLoss != rowsB[i].TrainLoss {
			t.Errorf("cell %s: accuracy %v vs %v, loss %v vs %v", rowsA[i].Cell,
				rowsA[i].Accuracy, rowsB[i].Accuracy, rowsA[i].TrainLoss, rowsB[i].TrainLoss)
		}
		ca, _ := os.ReadFile(filepath.Join(a, "cells", rowsA[i].Cell, "model.ckpt"))
		cb, _ := os.ReadFile(filepath.Join(b, "cells", rowsB[i].Cell, "model.ckpt"))
		if len(ca) == 0 || !bytes.Equal(ca, cb) {
			t.Errorf("cell %s: checkpoints differ between runs", rowsA[i].Cell)
		}
	}
	// A run learns something: 256 examples, one epoch, well above 10% chance.
	for _, r := range rowsA {
		if r.Accuracy < 0.3 {
			t.Errorf("cell %s (%s k=%d): accuracy %.3f, want > 0.3", r.Cell, r.Variant, r.GroupSize, r.Accuracy)
		}
	}
	for _, f := range []string{"config.yaml", "results.csv", "results.json", "summary.md"} {
		if _, err := os.Stat(filepath.Join(a, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
}

// TestRunResume re-runs a finished config into the same directory: nothing is recomputed.
func TestRunResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, "")
	dir := t.TempDir()
	first, err := Run(cfg, Options{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	second, err := Run(cfg, Options{Out: dir, Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	if rec.steps != 0 {
		t.Errorf("resumed run trained %d steps, want 0", rec.steps)
	}
	if len(first) != 1 || len(second) != 1 || first[0].TrainSeconds != second[0].TrainSeconds {
		t.Errorf("resumed rows differ: %+v vs %+v", first, second)
	}
}

type recorder struct {
	nopObserver
	steps int
}

func (r *recorder) Progress(_ int, _ *Cell, p Progress) {
	if p.Phase == "train" {
		r.steps++
	}
}

// TestRunDivergence: an absurd learning rate makes the loss explode; the cell fails with a
// clear error and writes no row.
func TestRunDivergence(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, "")
	cfg.Train.LR = 1e6
	dir := t.TempDir()
	rows, err := Run(cfg, Options{Out: dir})
	if err == nil || len(rows) != 0 {
		t.Fatalf("rows %d, err %v: want a failure", len(rows), err)
	}
	if !strings.Contains(err.Error(), "loss") {
		t.Errorf("error %q does not mention the loss", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "cells", "*", "row.json")); len(m) != 0 {
		t.Errorf("failed cell left %v", m)
	}
}

// TestConfigsRunTiny runs every committed config in configs/ with tiny limits.
func TestConfigsRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	paths, err := filepath.Glob("../configs/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no configs found: %v", err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit, cfg.Train.Epochs = 128, 64, 1
			rows, err := Run(cfg, Options{Out: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				t.Fatal("no rows")
			}
		})
	}
}
