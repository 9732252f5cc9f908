package experiments

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/results"
)

// TestTrainingReuse: a sweep over the split, k ∈ {1, 2} and shuffling, with a baseline, has
// three networks to train — the baseline's (which every k = 1 cell trains too), and one per
// split at k = 2 (shuffled or not) — and runs them three times, on two jobs; every other cell
// takes one of them (its training record names another cell), and its row is the one the cell
// gives when it trains its own network, bit for bit. A second run that may reuse the first's
// directory trains nothing.
func TestTrainingReuse(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, `baseline: true
attacks: [{kind: inversion, victims: 50, aux: 64}, {kind: attribute, victims: 50, aux: 64}]
sweep:
  model.split: [1, 2]
  mixing.group_size: [1, 2]
  mixing.shuffle: [false, true]
`)
	out := t.TempDir()
	rows, err := Run(cfg, Options{Out: out, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	cells, err := config.Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(cells) || len(cells) != 9 {
		t.Fatalf("%d rows of %d cells, want 9", len(rows), len(cells))
	}
	// reused says whether cell r of run directory dir took another cell's network.
	reused := func(dir string, r results.Row) bool {
		t.Helper()
		rec, ok := readTraining(filepath.Join(dir, "cells", r.Cell))
		if !ok {
			t.Fatalf("cell %s of %s: no training record", r.Cell, dir)
		}
		return rec.Cell != r.Cell
	}
	trained := 0
	for _, r := range rows {
		if !reused(out, r) {
			trained++
		}
	}
	if trained != 3 {
		t.Errorf("%d cells trained a network, want 3", trained)
	}

	d := cfg.Dataset
	ds, err := datasets.Load(datasets.Spec{Name: d.Name, Path: d.Path, TrainLimit: d.TrainLimit, TestLimit: d.TestLimit})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, r := range rows {
		if !reused(out, r) || (checked > 0 && cells[i].Config.Mixing.GroupSize == 1 && cells[i].Config.Model.Split == 1) {
			continue // three reused cells are enough: k = 1 at split 2, k = 2 at both splits
		}
		res, err := RunCell(context.Background(), &cells[i], ds, func(Progress) {})
		if err != nil {
			t.Fatal(err)
		}
		sameRow(t, cells[i].Label(), r, res.Row)
		checked++
	}
	if checked < 3 {
		t.Errorf("checked %d reused cells against their own training, want 3", checked)
	}

	// Another directory that may reuse the first one's networks trains none.
	second := t.TempDir()
	again, err := Run(cfg, Options{Out: second, Jobs: 2, Reuse: []string{out}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if rec, _ := readTraining(filepath.Join(second, "cells", r.Cell)); rec.Seconds != rows[i].TrainSeconds {
			t.Errorf("%s: trained again (%v s, the first run's training took %v s)", cells[i].Label(), rec.Seconds, rows[i].TrainSeconds)
		}
		sameRow(t, cells[i].Label(), r, rows[i])
	}
	if _, err := readEpochs(filepath.Join(out, "cells", rows[0].Cell, "epochs.csv")); err != nil {
		t.Error(err)
	}
}

// sameRow checks that two rows of one cell hold the same numbers bit for bit, the times aside.
func sameRow(t *testing.T, what string, got, want results.Row) {
	t.Helper()
	eq := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	if !eq(got.Accuracy, want.Accuracy) || !eq(got.TrainLoss, want.TrainLoss) || !eq(got.TrainAccuracy, want.TrainAccuracy) {
		t.Errorf("%s: accuracy %v, loss %v, training accuracy %v; trained itself: %v, %v, %v", what,
			got.Accuracy, got.TrainLoss, got.TrainAccuracy, want.Accuracy, want.TrainLoss, want.TrainAccuracy)
	}
	if len(got.Metrics) != len(want.Metrics) {
		t.Errorf("%s: %d metrics, want %d", what, len(got.Metrics), len(want.Metrics))
	}
	for k, v := range want.Metrics {
		if !eq(got.Metrics[k], v) {
			t.Errorf("%s: %s = %v, trained itself %v", what, k, got.Metrics[k], v)
		}
	}
}
