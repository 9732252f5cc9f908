// Command bnstats measures what the choice of batch-norm statistics at evaluation costs or
// gains: it re-evaluates the finished cells of a run directory whose networks have batch
// norms, through each cell's own evaluation pipeline (the same scheme and the same seeded
// secrets as the run), once with the running statistics collected in training — what the
// harness reports; the figure must equal the stored accuracy, which checks that the
// checkpoint is the cell's — and once with every evaluation batch's own statistics (the head's
// batch norms over the batch of inputs, the body's over the batch of shuffled, mixed uploads).
//
//	go run ./bench/bnstats runs/mnist-resnet8
//
// It prints a Markdown table per cell and, per variant and group size, the mean ± s.d. over
// the cells. It needs the checkpoints (cells/<id>/model.ckpt), which results/ does not keep:
// run the config first.
package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bnstats RUN_DIR")
		os.Exit(2)
	}
	if err := run(os.Stdout, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "bnstats:", err)
		os.Exit(1)
	}
}

// measure is one cell evaluated both ways.
type measure struct {
	cell             config.Cell
	row              results.Row
	running, batchSt float64
}

func run(w io.Writer, dir string) error {
	cfg, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return err
	}
	cells, err := config.Expand(cfg)
	if err != nil {
		return err
	}
	rows, err := results.ReadJSON(filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	byID := map[string]results.Row{}
	for _, r := range rows {
		byID[r.Cell] = r
	}
	data := map[datasets.Spec]*datasets.Dataset{}
	var ms []measure
	for _, c := range cells {
		row, ok := byID[c.ID]
		if !ok {
			fmt.Fprintf(os.Stderr, "bnstats: cell %s (%s) has no row in %s: skipped\n", c.ID, c.Label(), dir)
			continue
		}
		path := filepath.Join(dir, "cells", c.ID, "model.ckpt")
		net, err := load(path)
		if err != nil {
			return err
		}
		if !net.HasBN() {
			fmt.Fprintf(os.Stderr, "bnstats: %s: %s has no batch norms: skipped\n", path, net.Arch.Name)
			continue
		}
		d := c.Config.Dataset
		spec := datasets.Spec{Name: d.Name, Path: d.Path, Label: d.Label, TrainLimit: d.TrainLimit, TestLimit: d.TestLimit}
		ds, ok := data[spec]
		if !ok {
			if ds, err = datasets.Load(spec); err != nil {
				return err
			}
			data[spec] = ds
		}
		m := measure{cell: c, row: row}
		pool := c.Config.Mixing.ShufflePool // as the run evaluated: 0 = one evaluation batch
		if pool == 0 {
			pool = c.Config.Train.EvalBatchSize
		}
		for _, s := range []models.BNStats{models.RunningStats, models.BatchStats} {
			p, err := experiments.EvalPipeline(&c, net.WithBNStats(s))
			if err != nil {
				return err
			}
			acc, err := experiments.Evaluate(p, ds.Test, pool, c.Config.Train.EvalBatchSize, func(int, int) {})
			if err != nil {
				return err
			}
			if s == models.RunningStats {
				m.running = acc
			} else {
				m.batchSt = acc
			}
		}
		if m.running != float64(row.Accuracy) {
			return fmt.Errorf("%s: accuracy with running statistics %.4f, the run stored %.4f: not this cell's checkpoint", path, m.running, float64(row.Accuracy))
		}
		ms = append(ms, m)
	}
	if len(ms) == 0 {
		return errors.New("no finished cell with batch norms in " + dir)
	}
	fmt.Fprintf(w, "Test accuracy of %s with running statistics (as reported) and with each evaluation batch's own statistics (%d test images, evaluation batch %d).\n\n",
		dir, ms[0].row.TestLimit, ms[0].cell.Config.Train.EvalBatchSize)
	fmt.Fprintln(w, "| cell | variant | k | split | seed | last-epoch train accuracy | test, running stats | test, batch stats | batch − running |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, m := range ms {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %.2f%% | %.2f%% | %.2f%% | %+.2f pp |\n", m.cell.ID, m.row.Variant, m.row.GroupSize, m.row.Split, m.row.Seed,
			100*float64(m.row.TrainAccuracy), 100*m.running, 100*m.batchSt, 100*(m.batchSt-m.running))
	}
	type key struct {
		variant string
		k       int
	}
	groups := map[key][]measure{}
	for _, m := range ms {
		groups[key{m.row.Variant, m.row.GroupSize}] = append(groups[key{m.row.Variant, m.row.GroupSize}], m)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].variant != keys[j].variant {
			return keys[i].variant < keys[j].variant
		}
		return keys[i].k < keys[j].k
	})
	fmt.Fprintln(w, "\n| variant | k | cells | test, running stats | test, batch stats | batch − running |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for _, k := range keys {
		g := groups[k]
		var run, bat, diff []float64
		for _, m := range g {
			run = append(run, 100*m.running)
			bat = append(bat, 100*m.batchSt)
			diff = append(diff, 100*(m.batchSt-m.running))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s%% | %s%% | %s pp |\n", k.variant, k.k, len(g), meanSD(run), meanSD(bat), meanSD(diff))
	}
	return nil
}

func load(path string) (*models.Net, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (the checkpoints are not committed: run the config first)", err)
	}
	defer f.Close()
	return models.Load(f, path)
}

// meanSD formats the mean ± sample standard deviation (the mean alone for one value).
func meanSD(x []float64) string {
	var m float64
	for _, v := range x {
		m += v / float64(len(x))
	}
	if len(x) < 2 {
		return fmt.Sprintf("%.2f", m)
	}
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return fmt.Sprintf("%.2f ± %.2f", m, math.Sqrt(ss/float64(len(x)-1)))
}
