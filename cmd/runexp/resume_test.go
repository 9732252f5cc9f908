package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/internal/runtest"
	"github.com/datamix/harness/results"
)

// TestMain lets a test run this binary as runexp itself: with RUNEXP_MAIN=1 in the
// environment it runs main with the command-line arguments.
func TestMain(m *testing.M) {
	if os.Getenv("RUNEXP_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// sweepRun writes a sweep of 12 small cells (runtest.Sweep12 on train training and 64 test
// images; train 320 is 10 training steps a cell, about a tenth of a second) into a temporary
// directory, and returns the config's path, an output directory beside it and the arguments
// of runexp run from the one into the other, 2 jobs at a time.
func sweepRun(t *testing.T, train int) (cfg, out string, args []string) {
	t.Helper()
	dir := t.TempDir()
	cfg = filepath.Join(dir, "sweep12.yaml")
	if err := os.WriteFile(cfg, []byte(runtest.Sweep12(train, 64)), 0o644); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(dir, "out")
	return cfg, out, []string{"run", "-config", cfg, "-out", out, "-jobs", "2"}
}

// startRunexp starts runexp with args as a subprocess, its stderr going to errBuf.
func startRunexp(t *testing.T, errBuf *bytes.Buffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RUNEXP_MAIN=1")
	cmd.Stderr = errBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitRows waits until dir holds at least n finished cells, or the process exits.
func waitRows(t *testing.T, dir string, n int, done <-chan error) int {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(dir, "cells", "*", "row.json"))
		if len(m) >= n {
			return len(m)
		}
		select {
		case err := <-done:
			t.Fatalf("runexp exited (%v) before %d cells finished", err, n)
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Fatalf("no %d finished cells after 2 minutes", n)
	return 0
}

var (
	computedLine = regexp.MustCompile(`(?m)^cell \d+/12 ([0-9a-f]{12}): accuracy`)
	resumedLine  = regexp.MustCompile(`(?m)^cell \d+/12 ([0-9a-f]{12}): finished earlier`)
)

// TestKillAndResume kills a sweep of 12 cells with SIGKILL, then interrupts it with SIGINT,
// each in the middle of the run, and lets a third run finish it: 12 rows, no finished cell
// computed twice, and the SIGINT run exits 130 with a line counting the finished cells.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks in subprocesses")
	}
	_, out, args := sweepRun(t, 320)
	computed := map[string]int{}
	count := func(stderr string) {
		for _, m := range computedLine.FindAllStringSubmatch(stderr, -1) {
			computed[m[1]]++
		}
	}

	// 1: SIGKILL once 3 cells have finished; the cells in progress are lost.
	var e1 bytes.Buffer
	cmd := startRunexp(t, &e1, args...)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitRows(t, out, 3, done)
	cmd.Process.Signal(syscall.SIGKILL)
	err := <-done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("first run: %v, want killed by SIGKILL", err)
	}
	// The killed run's computed cells are those whose row.json it wrote: it may have been
	// killed between writing a row and logging it, so its stderr can miss the last one.
	afterKill, _ := filepath.Glob(filepath.Join(out, "cells", "*", "row.json"))
	for _, p := range afterKill {
		computed[filepath.Base(filepath.Dir(p))]++
	}
	if len(afterKill) >= 12 {
		t.Fatalf("the first run finished all cells before it was killed")
	}

	// 2: SIGINT once 3 more cells have finished.
	var e2 bytes.Buffer
	cmd = startRunexp(t, &e2, args...)
	go func() { done <- cmd.Wait() }()
	waitRows(t, out, len(afterKill)+3, done)
	cmd.Process.Signal(os.Interrupt)
	err = <-done
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("second run: %v, want exit code %d; stderr:\n%s", err, exitInterrupted, e2.String())
	}
	count(e2.String())
	if n := len(resumedLine.FindAllString(e2.String(), -1)); n != len(afterKill) {
		t.Errorf("second run resumed %d cells, want %d", n, len(afterKill))
	}
	if !regexp.MustCompile(`runexp: experiments: interrupted \(context canceled\) with \d+ of 12 cells finished`).MatchString(e2.String()) {
		t.Errorf("second run's stderr lacks the interruption note:\n%s", e2.String())
	}

	// 3: to the end.
	var e3 bytes.Buffer
	cmd = startRunexp(t, &e3, args...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("third run: %v\n%s", err, e3.String())
	}
	count(e3.String())
	rows, err := results.ReadJSON(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 {
		t.Errorf("%d rows, want 12", len(rows))
	}
	if len(computed) != 12 {
		t.Errorf("%d cells computed over the three runs, want 12", len(computed))
	}
	for id, n := range computed {
		if n != 1 {
			t.Errorf("cell %s computed %d times", id, n)
		}
	}
}

// TestShardMergePlot runs the sweep as three shards through the CLI, merges them and redraws
// the plots from the merged results.
func TestShardMergePlot(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg, _, _ := sweepRun(t, 64)
	dir := filepath.Dir(cfg)
	var shards []string
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		d := filepath.Join(dir, "shard"+s[:1])
		var o, e bytes.Buffer
		if code := run(context.Background(), []string{"run", "-config", cfg, "-out", d, "-shard", s, "-jobs", "2"}, &o, &e); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", s, code, e.String())
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	var o, e bytes.Buffer
	if code := run(context.Background(), append([]string{"merge", "-out", merged}, shards[:2]...), &o, &e); code != 1 ||
		!strings.Contains(e.String(), "4 of 12 cells have no row") {
		t.Errorf("merge of 2 of 3 shards: exit %d, stderr %q", code, e.String())
	}
	o.Reset()
	e.Reset()
	if code := run(context.Background(), append([]string{"merge", "-out", merged}, shards...), &o, &e); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, e.String())
	}
	rows, err := results.ReadJSON(filepath.Join(merged, "results.json"))
	if err != nil || len(rows) != 12 {
		t.Fatalf("merged results: %d rows, %v", len(rows), err)
	}
	os.RemoveAll(filepath.Join(merged, "plots"))
	o.Reset()
	if code := run(context.Background(), []string{"plot", merged}, &o, &e); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, e.String())
	}
	for _, f := range []string{"accuracy_vs_group_size.png", "accuracy_vs_group_size.svg", "edge_cost_vs_split.png", "edge_cost_vs_split.svg"} {
		if _, err := os.Stat(filepath.Join(merged, "plots", f)); err != nil {
			t.Error(err)
		}
	}
	if code := run(context.Background(), []string{"plot", filepath.Join(dir, "nothing")}, &o, &e); code != 1 {
		t.Errorf("plot of a missing directory: exit %d", code)
	}
}

// TestObserverConcurrent feeds the observer the interleaved events of two concurrent cells
// (no terminal): every line names its cell, and the count of finished cells is kept.
func TestObserverConcurrent(t *testing.T) {
	var buf bytes.Buffer
	o := newObserver(&buf, 2)
	c0 := &config.Cell{ID: "aaaaaaaaaaaa", Variant: "datamix", Params: []config.Param{{Key: "seed", Value: "1"}}}
	c1 := &config.Cell{ID: "bbbbbbbbbbbb", Variant: "datamix", Params: []config.Param{{Key: "seed", Value: "2"}}}
	c2 := &config.Cell{ID: "cccccccccccc", Variant: "baseline"}
	o.CellResumed(2, 3, c2, &results.Row{Accuracy: 0.5})
	o.CellStart(0, 3, c0)
	o.CellStart(1, 3, c1)
	o.Progress(0, c0, experiments.Progress{Phase: "train", Epoch: 1, Epochs: 2, Step: 1, Steps: 4, Loss: 2, Accuracy: 0.1})
	o.Progress(1, c1, experiments.Progress{Phase: "train", Epoch: 1, Epochs: 2, Step: 1, Steps: 4, Loss: 3, Accuracy: 0.2})
	o.Progress(0, c0, experiments.Progress{Phase: "train", Epoch: 2, Epochs: 2, Step: 3, Steps: 4, Loss: 1, Accuracy: 0.5})
	o.CellEnd(1, 3, c1, nil, context.Canceled)
	o.CellEnd(0, 3, c0, &results.Row{Accuracy: 0.9}, nil)
	o.finish()
	want := []string{
		"cell 3/3 cccccccccccc: finished earlier, accuracy 50.00% (resumed) baseline",
		"cell 1/3 aaaaaaaaaaaa: start datamix seed=1",
		"cell 2/3 bbbbbbbbbbbb: start datamix seed=2",
		"cell 1/3 epoch 1/2: loss 2.0000, train accuracy 10.00%",
		"cell 2/3 epoch 1/2: loss 3.0000, train accuracy 20.00%",
		"cell 2/3 bbbbbbbbbbbb: stopped after",
		"cell 1/3 epoch 2/2: loss 1.0000, train accuracy 50.00%",
		"cell 1/3 aaaaaaaaaaaa: accuracy 90.00%",
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want it to start with %q", i, lines[i], w)
		}
	}
	if !strings.HasSuffix(lines[len(lines)-1], "[3/3 done]") {
		t.Errorf("last line %q lacks the count of finished cells", lines[len(lines)-1])
	}
}

// TestObserverAttackTimes: a cell that ran attacks ends with each attack's wall time, from
// its start to the next one's (or to the end of the attacks), those under half a second
// counted rather than named; a cell without attacks does not.
func TestObserverAttackTimes(t *testing.T) {
	var buf bytes.Buffer
	o := newObserver(&buf, 1)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o.now = func() time.Time { return clock }
	tick := func(d time.Duration) { clock = clock.Add(d) }
	c0 := &config.Cell{ID: "aaaaaaaaaaaa", Variant: "datamix"}
	c1 := &config.Cell{ID: "bbbbbbbbbbbb", Variant: "baseline"}
	o.CellStart(0, 2, c0)
	o.Progress(0, c0, experiments.Progress{Phase: "train", Epoch: 1, Epochs: 1, Step: 1, Steps: 1})
	tick(2 * time.Minute)
	o.Progress(0, c0, experiments.Progress{Phase: "eval", Step: 1, Steps: 1})
	tick(3 * time.Second)
	o.Progress(0, c0, experiments.Progress{Phase: "attack", Step: 0, Steps: 3, Attack: "fora"})
	tick(3*time.Minute + 10*time.Second)
	o.Progress(0, c0, experiments.Progress{Phase: "attack", Step: 1, Steps: 3, Attack: "ica"})
	tick(1500 * time.Millisecond)
	o.Progress(0, c0, experiments.Progress{Phase: "attack", Step: 2, Steps: 3, Attack: "attr"})
	tick(400 * time.Millisecond) // rounds to 0s: counted, not named
	o.Progress(0, c0, experiments.Progress{Phase: "attack", Step: 3, Steps: 3})
	tick(time.Second) // the image grid, after the attacks
	o.CellEnd(0, 2, c0, &results.Row{Accuracy: 0.9}, nil)
	o.CellStart(1, 2, c1)
	tick(time.Minute)
	o.CellEnd(1, 2, c1, &results.Row{Accuracy: 0.95}, nil)
	o.finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"cell 1/2 aaaaaaaaaaaa: accuracy 90.00% (5m16s; attacks 3m12s: fora 3m10s, ica 2s (+1 under 0.5s)) datamix [1/2 done]",
		"cell 2/2 bbbbbbbbbbbb: accuracy 95.00% (1m0s) baseline [2/2 done]",
	}
	var got []string
	for _, l := range lines {
		if strings.Contains(l, "accuracy 9") && strings.Contains(l, "done]") {
			got = append(got, l)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("cell lines:\n%s\nwant:\n%s\n(the whole log:\n%s)", strings.Join(got, "\n"), strings.Join(want, "\n"), buf.String())
	}
}
