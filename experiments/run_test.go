package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/internal/runtest"
	"github.com/datamix/harness/results"
)

// tinyConfig is runtest.TinyConfig(extra), parsed and validated: a config small enough to
// train in a few seconds.
func tinyConfig(t *testing.T, extra string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("tiny.yaml", []byte(runtest.TinyConfig(extra)))
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

func (r *recorder) Progress(_ int, _ *config.Cell, p Progress) {
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

// maxTinyCells bounds the cells one config runs in TestConfigsRunTiny: a larger sweep runs a
// covering subset of itself (coverSweep), so that the suite stays within minutes (a tiny cell
// takes about half a second of CPU with attacks).
const maxTinyCells = 60

// coverSweep replaces c's sweep by one zip group in which every swept field takes each of its
// values at least once: position j takes value j mod n of every axis of n values, and the
// fields of c's own zip group stay paired. It has as many cells as the longest axis, each a
// cell of the full sweep.
func coverSweep(c *config.Config) {
	var groups [][]config.Axis
	n := 0
	for _, ax := range c.Sweep {
		g := []config.Axis{ax}
		if ax.Key == config.ZipKey {
			g = ax.Zip
		}
		groups = append(groups, g)
		n = max(n, len(g[0].Values))
	}
	zip := config.Axis{Key: config.ZipKey}
	for _, g := range groups {
		for _, f := range g {
			cover := config.Axis{Key: f.Key}
			for j := range n {
				cover.Values = append(cover.Values, f.Values[j%len(f.Values)])
			}
			zip.Zip = append(zip.Zip, cover)
		}
	}
	c.Sweep = config.Sweep{zip}
}

// TestCoverSweep: the covering subset of a sweep holds every value of every swept field, in
// cells of the full sweep, with zipped fields still paired.
func TestCoverSweep(t *testing.T) {
	cfg := tinyConfig(t, "sweep:\n  zip: {model.split: [0, 1, 1], train.batch_size: [32, 64, 32]}\n  mixing.group_size: [1, 2]\n  seed: [1, 2, 3, 4]\n")
	full, err := config.Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range full {
		ids[c.ID] = true
	}
	coverSweep(cfg)
	cells, err := config.Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 4 {
		t.Fatalf("%d cells, want 4 (the longest axis)", len(cells))
	}
	seen := map[string]bool{}
	for _, c := range cells {
		if !ids[c.ID] {
			t.Errorf("cell %v is not a cell of the full sweep", c)
		}
		k := c.Config
		seen[fmt.Sprint("split", k.Model.Split, "batch", k.Train.BatchSize)] = true
		seen[fmt.Sprint("k", k.Mixing.GroupSize)] = true
		seen[fmt.Sprint("seed", k.Seed)] = true
	}
	for _, want := range []string{"split0batch32", "split1batch64", "split1batch32", "k1", "k2", "seed1", "seed2", "seed3", "seed4"} {
		if !seen[want] {
			t.Errorf("no covering cell has %s (have %v)", want, seen)
		}
	}
}

// TestConfigsRunTiny runs every committed config in configs/ and configs/paper/ in tiny mode
// (Config.Tiny); a config of more than maxTinyCells cells runs its covering subset
// (coverSweep). A config whose data is absent runs on synthetic files of the tiny sizes
// instead: a celeba config without its folder (CelebA cannot be downloaded here) on a
// synthetic CelebA, a spoken-digits config without the espeak-ng corpus on a corpus of tones,
// an image-folder config without its folder on a synthetic one (runtest.ImageFolder), a
// fashion-mnist config without the Debian package on synthetic IDX files; every other config
// runs on its own data. Every cell must come back, in order, with the settings it asked for
// and numbers in their ranges (checkTinyRow).
func TestConfigsRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	paths, err := filepath.Glob("../configs/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no configs found: %v", err)
	}
	paper, err := filepath.Glob("../configs/paper/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, paper...)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			cfg, err := config.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			switch d := cfg.Dataset; d.Name {
			case "celeba":
				if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
					cfg.Tiny() // the sizes the synthetic folder must hold
					cfg.Dataset.Path = runtest.CelebA(t, cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit)
					t.Logf("%s is absent: running on a synthetic CelebA", d.Path)
				}
			case "spoken-digits":
				if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
					cfg.Tiny()
					cfg.Dataset.Path = runtest.SpokenDigits(t, cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit)
					t.Logf("%s is absent (scripts/synth_spoken_digits.sh makes it): running on a synthetic corpus of tones", d.Path)
				}
			case datasets.ImageFolderName:
				if _, err := os.Stat(d.Path); errors.Is(err, os.ErrNotExist) {
					cfg.Tiny()
					cfg.Dataset.Path = runtest.ImageFolder(t, cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit)
					t.Logf("%s is absent: running on a synthetic image folder", d.Path)
				}
			case "fashion-mnist":
				if _, err := datasets.FashionMNISTDir(); d.Path == "" && err != nil {
					cfg.Tiny()
					t.Setenv(datasets.FashionMNISTEnv, syntheticIDX(t, cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit))
					t.Logf("real Fashion-MNIST absent (%v): running on synthetic IDX files", err)
				}
			}
			cells, err := config.Expand(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) > maxTinyCells {
				coverSweep(cfg)
				t.Logf("%d cells: running a covering subset", len(cells))
			}
			cfg.Tiny()
			if cells, err = config.Expand(cfg); err != nil {
				t.Fatal(err)
			}
			var rows []results.Row
			if cfg.Wire != nil { // a wire study: train, then serve every cell (clouds in process)
				var points []results.WireRow
				rows, points, err = RunWire(context.Background(), cfg, WireOptions{Options: Options{Out: t.TempDir()}})
				if err == nil {
					checkWirePoints(t, cfg, cells, points)
				}
			} else {
				rows, err = Run(cfg, Options{Out: t.TempDir()})
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(cells) {
				t.Fatalf("%d rows for %d cells", len(rows), len(cells))
			}
			for i := range rows {
				checkTinyRow(t, &cells[i], rows[i])
			}
		})
	}
}

// checkTinyRow checks the row of a tiny run of cell c: it is c's, with c's settings and the
// tiny sizes (one epoch, unless the config sweeps the epochs), and its numbers are in their
// ranges (attack columns as in TestAttacksRunInCells).
func checkTinyRow(t *testing.T, c *config.Cell, r results.Row) {
	t.Helper()
	cfg := c.Config
	where := c.ID + " " + c.Label()
	if r.Cell != c.ID || r.Variant != c.Variant || r.Arch != cfg.Model.Name() || r.Seed != cfg.Seed || r.Epochs != cfg.Train.Epochs ||
		r.TrainLimit != cfg.Dataset.TrainLimit || r.TestLimit != cfg.Dataset.TestLimit || r.BatchSize != cfg.Train.BatchSize {
		t.Errorf("%s: row %+v does not describe the cell (%+v)", where, r, cfg)
	}
	if c.Variant == config.VariantDataMix && (r.Split != cfg.Model.Split || r.GroupSize != cfg.Mixing.GroupSize) {
		t.Errorf("%s: row has split %d, k %d; the cell %d, %d", where, r.Split, r.GroupSize, cfg.Model.Split, cfg.Mixing.GroupSize)
	}
	for name, v := range map[string]float64{"accuracy": r.Accuracy, "train_accuracy": r.TrainAccuracy, "edge_flops_frac": r.EdgeFLOPsFrac} {
		if !(v >= 0 && v <= 1) {
			t.Errorf("%s: %s = %v, want a value in [0, 1]", where, name, v)
		}
	}
	// One epoch from a fresh network: the mean loss is near ln(classes) ≤ ln 100 ≈ 4.6; 20
	// catches an explosion, and the comparison fails for NaN and ±Inf.
	if !(r.TrainLoss > 0 && r.TrainLoss < 20) {
		t.Errorf("%s: train_loss %v, want a finite cross-entropy in (0, 20)", where, r.TrainLoss)
	}
	if r.EdgeFLOPs <= 0 || r.CloudFLOPs < 0 || !(r.TrainSeconds >= 0 && r.EvalSeconds >= 0) {
		t.Errorf("%s: FLOPs %d edge, %d cloud; %v s training, %v s evaluation", where, r.EdgeFLOPs, r.CloudFLOPs, r.TrainSeconds, r.EvalSeconds)
	}
	if c.Variant == config.VariantBaseline {
		if r.EdgeFLOPsFrac != 1 || r.CloudFLOPs != 0 || r.UploadBytesPerSample != 0 {
			t.Errorf("%s: the baseline is counted as edge-only inference, got edge share %v, cloud %d, upload %d", where, r.EdgeFLOPsFrac, r.CloudFLOPs, r.UploadBytesPerSample)
		}
	} else if r.UploadBytesPerSample <= 0 || r.DownloadBytesPerSample <= 0 || r.CloudFLOPs <= 0 {
		t.Errorf("%s: a DataMix cell uploads %d and downloads %d bytes per input, cloud FLOPs %d", where, r.UploadBytesPerSample, r.DownloadBytesPerSample, r.CloudFLOPs)
	}
	checkAttackRanges(t, r)
}

// interrupter records which cells a run computed, and cancels the run at the first training
// step of a cell that starts after `after` cells ended, so that the cancellation hits a cell
// in the middle of its training.
type interrupter struct {
	nopObserver
	cancel   context.CancelFunc
	after    int
	ended    int
	computed []string // IDs of the cells computed to the end
	stopped  []string // IDs of the cells stopped by the cancellation
	resumed  int
}

func (o *interrupter) CellResumed(int, int, *config.Cell, *results.Row) { o.resumed++ }

func (o *interrupter) Progress(_ int, c *config.Cell, p Progress) {
	if o.cancel != nil && o.ended >= o.after && p.Phase == "train" && p.Step == 1 {
		o.cancel()
	}
}

func (o *interrupter) CellEnd(_, _ int, c *config.Cell, _ *results.Row, err error) {
	o.ended++
	switch {
	case err == nil:
		o.computed = append(o.computed, c.ID)
	case errors.Is(err, context.Canceled):
		o.stopped = append(o.stopped, c.ID)
	}
}

// TestRunInterruptResume interrupts a sweep of 12 cells twice in the middle of a cell, then
// lets it finish: it ends with 12 rows, no cell computed twice, and an interrupted cell leaves
// no row (nor temporary files) behind.
func TestRunInterruptResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	// 3 steps a cell, so that a run can be interrupted between the steps of a cell; group
	// sizes 2 and 4, so that every cell trains (at k = 1 the split-0 and split-1 cells train
	// the same network, which the second takes from the first).
	cfg, err := config.Parse("sweep12.yaml", []byte(strings.Replace(runtest.Sweep12(96, 32), "mixing.group_size: [1, 2]", "mixing.group_size: [2, 4]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	times := map[string]int{}
	for run, after := range []int{3, 4, -1} {
		ctx, cancel := context.WithCancel(context.Background())
		obs := &interrupter{after: after}
		if after >= 0 {
			obs.cancel = cancel
		}
		rows, err := RunContext(ctx, cfg, Options{Out: dir, Observer: obs, Jobs: 2})
		cancel()
		for _, id := range obs.computed {
			times[id]++
		}
		var ie *InterruptedError
		if after < 0 {
			if err != nil || len(rows) != 12 {
				t.Fatalf("run %d: %d rows, error %v; want 12 rows", run, len(rows), err)
			}
			break
		}
		if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d: error %v, want an InterruptedError", run, err)
		}
		if len(obs.stopped) == 0 {
			t.Errorf("run %d: no cell was stopped mid-way", run)
		}
		if ie.Finished != len(rows) || ie.Total != 12 || len(rows) >= 12 {
			t.Errorf("run %d: %d rows, error %v", run, len(rows), err)
		}
		for _, id := range obs.stopped {
			if _, err := os.Stat(filepath.Join(dir, "cells", id, "row.json")); err == nil {
				t.Errorf("run %d: stopped cell %s has a row", run, id)
			}
		}
		// The results files hold the finished cells.
		stored, err := results.ReadJSON(filepath.Join(dir, "results.json"))
		if err != nil || len(stored) != len(rows) {
			t.Errorf("run %d: results.json has %d rows (%v), want %d", run, len(stored), err, len(rows))
		}
	}
	if len(times) != 12 {
		t.Errorf("%d cells computed over the three runs, want 12", len(times))
	}
	for id, n := range times {
		if n != 1 {
			t.Errorf("cell %s computed %d times", id, n)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "cells", "*", ".*")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestShardMerge runs a sweep as three shards and merges them: the rows equal those of the
// unsharded run (but for wall-clock times). Merging a directory of another experiment, or an
// incomplete set of shards, is refused.
func TestShardMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, "baseline: true\nsweep: {seed: [1, 2], mixing.group_size: [1, 2]}\n")
	cfg.Dataset.TrainLimit, cfg.Dataset.TestLimit = 64, 32
	whole := t.TempDir()
	want, err := Run(cfg, Options{Out: whole, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 6 {
		t.Fatalf("%d rows, want 6 (2 baselines, 4 DataMix cells)", len(want))
	}
	root := t.TempDir()
	var shards []string
	seen := map[string]bool{}
	for i := range 3 {
		d := filepath.Join(root, fmt.Sprintf("shard-%d", i))
		rows, err := Run(cfg, Options{Out: d, Jobs: 1, Shard: Shard{Index: i, Count: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Errorf("shard %d/3: %d rows, want 2", i, len(rows))
		}
		for _, r := range rows {
			if seen[r.Cell] {
				t.Errorf("cell %s in two shards", r.Cell)
			}
			seen[r.Cell] = true
		}
		shards = append(shards, d)
	}

	// Two of three shards: refused, nothing written.
	out := filepath.Join(root, "merged")
	_, err = Merge(out, shards[:2], false)
	var me *MissingError
	if !errors.As(err, &me) || len(me.Missing) != 2 {
		t.Fatalf("merge of 2 of 3 shards: error %v, want 2 missing cells", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("refused merge wrote %s", out)
	}

	got, err := Merge(out, shards, false)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := results.ReadJSON(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][]results.Row{got, stored} {
		if len(rows) != len(want) {
			t.Fatalf("merged %d rows, want %d", len(rows), len(want))
		}
		for i := range want {
			a, b := want[i], rows[i]
			a.TrainSeconds, a.EvalSeconds, b.TrainSeconds, b.EvalSeconds = 0, 0, 0, 0
			if !reflect.DeepEqual(a, b) {
				t.Errorf("row %d:\n merged %+v\nwhole  %+v", i, b, a)
			}
		}
	}
	// The merged directory is a finished run: running the config into it computes nothing.
	rec := &recorder{}
	if rows, err := Run(cfg, Options{Out: out, Observer: rec}); err != nil || len(rows) != 6 || rec.steps != 0 {
		t.Errorf("run into the merged directory: %d rows, %d steps, error %v", len(rows), rec.steps, err)
	}

	// A directory of another experiment.
	other := tinyConfig(t, "sweep: {seed: [5]}\n")
	other.Dataset.TrainLimit, other.Dataset.TestLimit = 64, 32
	od := filepath.Join(root, "other")
	if _, err := Run(other, Options{Out: od}); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(filepath.Join(root, "mixed"), append(shards, od), true); err == nil || !strings.Contains(err.Error(), "different experiment") {
		t.Errorf("merge with another experiment: error %v", err)
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/3", Shard{0, 3}, true},
		{"2/3", Shard{2, 3}, true},
		{"0/1", Shard{0, 1}, true},
		{"3/3", Shard{}, false},
		{"-1/3", Shard{}, false},
		{"1/0", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
	} {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseShard(%q) = %v, %v", tc.in, got, err)
		}
	}
	// Every index in exactly one shard.
	for i := range 10 {
		n := 0
		for j := range 3 {
			if (Shard{j, 3}).Has(i) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("cell %d in %d of 3 shards", i, n)
		}
	}
}

func TestLearningRate(t *testing.T) {
	cosine := config.Train{LR: 0.1, LRSchedule: "cosine"}
	constant := config.Train{LR: 0.1, LRSchedule: "constant"}
	cases := []struct {
		name        string
		cfg         config.Train
		step, total int
		want        float64
	}{
		{"constant", constant, 7, 10, 0.1},
		{"cosine start", cosine, 0, 10, 0.1},
		{"cosine middle", cosine, 5, 10, 0.05},
		{"cosine quarter", cosine, 25, 100, 0.1 * (0.5 + 0.5*math.Sqrt2/2)},
	}
	for _, c := range cases {
		// 1e-15: float64 round-off of one cosine.
		if got := learningRate(c.cfg, c.step, c.total); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
