package experiments

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/internal/runtest"
	"github.com/datamix/harness/results"
)

// A second lock on a run directory, even from this process, is refused with the first
// holder's PID; once released, the lock can be taken again.
func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	l, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockDir(dir)
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second lock: %v, want a *BusyError", err)
	}
	want := fmt.Sprintf("experiments: %s is in use by pid %d on host ", dir, os.Getpid())
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, "wait for it to end, or write elsewhere") || strings.Contains(msg, "\n") {
		t.Errorf("error %q, want one line starting %q", msg, want)
	}
	l.unlock()
	l, err = lockDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l.unlock()
}

// A run into a directory that another run holds fails at once and writes nothing; a merge
// into it too.
func TestRunIntoLockedDirectory(t *testing.T) {
	cfg := tinyConfig(t, "")
	out := t.TempDir()
	l, err := lockDir(out)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	before := runtest.Listing(t, out)
	_, err = Run(cfg, Options{Out: out})
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Dir != out || !strings.Contains(busy.Holder, fmt.Sprintf("pid %d ", os.Getpid())) {
		t.Fatalf("run into a locked directory: %v, want a *BusyError naming this process", err)
	}
	if after := runtest.Listing(t, out); after != before {
		t.Errorf("the refused run changed the directory:\nbefore %s\nafter  %s", before, after)
	}
	shard := t.TempDir()
	if err := writeManifest(shard, cfg.Name, Shard{}, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(shard, "config.yaml"), []byte("name: tiny\n"), 0o644)
	if _, err := Merge(out, []string{shard}, true); !errors.As(err, &busy) {
		t.Errorf("merge into a locked directory: %v, want a *BusyError", err)
	}
}

// panicker is an Observer that panics during the training of one cell, as a bug in the
// cell's computation would: the panic happens on the goroutine computing the cell.
type panicker struct {
	nopObserver
	mu    sync.Mutex
	cell  string // the ID of the cell to panic in
	ended map[string]error
}

func (p *panicker) Progress(_ int, c *config.Cell, _ Progress) {
	if c.ID == p.cell {
		panic("injected fault in cell " + c.ID)
	}
}

func (p *panicker) CellEnd(_, _ int, c *config.Cell, _ *results.Row, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended[c.ID] = err
}

// A panic in one of several parallel cells fails that cell, with its stack in the cell's
// panic.log, while the others finish; a re-run computes only the failed cell and removes the
// stale log.
func TestPanicFailsOnlyItsCell(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, "sweep: {seed: [1, 2, 3]}\n")
	cells, err := config.Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bad := cells[1].ID
	out := t.TempDir()
	obs := &panicker{cell: bad, ended: map[string]error{}}
	rows, err := Run(cfg, Options{Out: out, Jobs: 2, Observer: obs})
	if err == nil || !strings.Contains(err.Error(), "1 of 3 cells failed: cell "+bad) || !strings.Contains(err.Error(), "panic: injected fault in cell "+bad) {
		t.Fatalf("run error %v, want cell %s failed with its panic", err, bad)
	}
	if len(rows) != 2 || rows[0].Cell != cells[0].ID || rows[1].Cell != cells[2].ID {
		t.Fatalf("rows %v, want the two other cells", rows)
	}
	var pe *PanicError
	if !errors.As(obs.ended[bad], &pe) || pe.Value != "injected fault in cell "+bad {
		t.Fatalf("the observer got %v for the cell, want a *PanicError", obs.ended[bad])
	}
	log := filepath.Join(out, "cells", bad, PanicLogFile)
	b, err := os.ReadFile(log)
	if err != nil || pe.Log != log {
		t.Fatalf("panic log %q (error says %q): %v", log, pe.Log, err)
	}
	// The stack names the code that panicked and the cell's own frames.
	for _, want := range []string{"panicked: injected fault", "goroutine ", "(*panicker).Progress", "experiments.runCell"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("panic log lacks %q:\n%s", want, b)
		}
	}
	for _, id := range []string{cells[0].ID, cells[2].ID} {
		if obs.ended[id] != nil {
			t.Errorf("cell %s: %v", id, obs.ended[id])
		}
	}

	obs = &panicker{ended: map[string]error{}}
	rows, err = Run(cfg, Options{Out: out, Jobs: 2, Observer: obs})
	if err != nil || len(rows) != 3 {
		t.Fatalf("re-run: %d rows, %v", len(rows), err)
	}
	if len(obs.ended) != 1 || obs.ended[bad] != nil {
		t.Errorf("re-run computed %v, want only cell %s", obs.ended, bad)
	}
	if _, err := os.Stat(log); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale panic log is still there: %v", err)
	}
}
