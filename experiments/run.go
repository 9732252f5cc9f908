package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
)

// Progress is a snapshot of a running cell for an Observer.
type Progress struct {
	Phase         string // "train", "eval" or "attack"
	Epoch, Epochs int    // 1-based epoch during training
	Step, Steps   int    // steps done and total in this phase (training: over all epochs; attacks: attacks)
	Loss          float64
	Accuracy      float64 // running accuracy in [0,1]
	// Attack is the attack that starts (its column prefix) when Phase is "attack"; "" once
	// the last one has finished.
	Attack string
}

// Observer receives a run's progress. Library code never writes to the terminal; the CLI
// attaches an Observer that draws a progress bar.
//
// In every method i is the cell's position among the n cells of this run (its shard, when
// sharded), 0-based, in the order of config.Expand. Run calls the methods one at a time, under a
// lock, so an Observer need not be safe for concurrent use; with Options.Jobs > 1 the calls
// of different cells interleave, and may come from different goroutines.
type Observer interface {
	// CellResumed reports a cell that an earlier run finished: its stored row is reused.
	CellResumed(i, n int, c *config.Cell, row *results.Row)
	// CellStart reports that a cell starts computing.
	CellStart(i, n int, c *config.Cell)
	// Progress reports a computing cell's progress, after every training step and every
	// evaluation batch.
	Progress(i int, c *config.Cell, p Progress)
	// CellEnd reports a computed cell: its row, or the error that stopped it (wrapping
	// context.Canceled when the run was interrupted).
	CellEnd(i, n int, c *config.Cell, row *results.Row, err error)
}

// StaleObserver is an Observer that also hears of the cells an earlier run finished before
// data fingerprints were recorded (no DataFile beside their row): nothing says which data they
// were computed on, so they are computed again. The CLI's observer says so, so that a resumed
// run does not recompute without a word.
type StaleObserver interface {
	Observer
	// CellStale reports a cell whose stored row is not reused for want of a data fingerprint.
	CellStale(i, n int, c *config.Cell)
}

// Options control a run.
type Options struct {
	// Out is the output directory. It is created if needed.
	Out string
	// Observer receives progress; nil for none.
	Observer Observer
	// Jobs is the number of cells computed at once, each in its own goroutine with its own
	// network, graphs and generators (one gorgonia graph is not safe for concurrent use, and
	// concurrent graphs must not share weights: gorgonia issue 549). 0 means
	// runtime.NumCPU(); results do not depend on it.
	Jobs int
	// Shard selects the part of the cells to run; the zero value runs them all.
	Shard Shard
	// Reuse lists other run directories whose finished cells' trained networks this run may
	// take instead of training the same network again (reuse.go); the run's own directory
	// is always searched.
	Reuse []string
}

// Shard is one of Count parts of an experiment, for splitting a sweep across machines (a
// Slurm job array, a Kubernetes Indexed Job): the cells whose index in the expanded list (the
// order of config.Expand, baselines included) is Index modulo Count. The zero value is the whole
// experiment.
type Shard struct{ Index, Count int }

// ParseShard reads a shard written "i/n", with 0 ≤ i < n.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("experiments: shard %q, need i/n with integers 0 ≤ i < n, e.g. 0/4", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// String writes s as "i/n", or "" for the whole experiment.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Has reports whether the cell at index i of the expanded list belongs to s.
func (s Shard) Has(i int) bool { return s.Count <= 1 || i%s.Count == s.Index }

// valid reports whether s is the zero value or a shard that ParseShard accepts.
func (s Shard) valid() bool {
	return s == Shard{} || (s.Count >= 1 && s.Index >= 0 && s.Index < s.Count)
}

// InterruptedError is the error of a run whose context was cancelled: the cells computing at
// that moment were abandoned (they rerun when the same command is repeated), the finished
// ones are kept.
type InterruptedError struct {
	Finished, Total int   // cells with a row (resumed or computed) and cells in the run
	Err             error // the context's error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("experiments: interrupted (%v) with %d of %d cells finished; run the same command again to compute the other %d",
		e.Err, e.Finished, e.Total, e.Total-e.Finished)
}

// Unwrap returns the context's error.
func (e *InterruptedError) Unwrap() error { return e.Err }

type nopObserver struct{}

func (nopObserver) CellResumed(int, int, *config.Cell, *results.Row)    {}
func (nopObserver) CellStart(int, int, *config.Cell)                    {}
func (nopObserver) Progress(int, *config.Cell, Progress)                {}
func (nopObserver) CellEnd(int, int, *config.Cell, *results.Row, error) {}

// lockedObserver serialises the calls to an Observer.
type lockedObserver struct {
	mu  sync.Mutex
	obs Observer
}

func (l *lockedObserver) CellResumed(i, n int, c *config.Cell, row *results.Row) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs.CellResumed(i, n, c, row)
}

func (l *lockedObserver) CellStart(i, n int, c *config.Cell) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs.CellStart(i, n, c)
}

func (l *lockedObserver) Progress(i int, c *config.Cell, p Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs.Progress(i, c, p)
}

func (l *lockedObserver) CellEnd(i, n int, c *config.Cell, row *results.Row, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs.CellEnd(i, n, c, row, err)
}

// maxLoss bounds a sane cross-entropy: a mean loss above it (ln 10 ≈ 2.3 at chance) means
// training has exploded.
const maxLoss = 1e4

// The streams of a cell's seeded generator (PCG with the cell's seed). Fixed per purpose, so
// a baseline and a DataMix cell with the same seed start from the same weights and see the
// training data in the same order.
const (
	streamInit = iota + 1
	streamData
	streamMixTrain
	streamMixEval
)

func cellRNG(seed uint64, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// Run is RunContext without cancellation.
func Run(cfg *config.Config, opts Options) ([]results.Row, error) {
	return RunContext(context.Background(), cfg, opts)
}

// RunContext expands cfg into cells, runs each one of opts.Shard that has not already
// finished in opts.Out, opts.Jobs at a time, and writes the resolved config, manifest.json
// (the expanded cells, for Merge), results.csv, results.json and summary.md. A cell's
// directory (cells/<id>/) gets its checkpoint, per-epoch log and, last and atomically,
// row.json, whose presence marks the cell done: a re-run skips it. A run killed at any moment
// (SIGKILL included) therefore loses only the cells it was computing.
//
// While it runs, RunContext holds an exclusive lock on opts.Out (LockFile): a second run or
// merge into the same directory fails at once with a *BusyError naming this process, and
// writes nothing. A panic while computing a cell fails that cell (a *PanicError, its stack
// written to the cell's PanicLogFile) and the other cells go on.
//
// When ctx is cancelled, no new cell starts, the computing ones stop at their next training
// step or evaluation, the results files are written over the finished cells, and the error is
// an *InterruptedError. RunContext returns the rows of the finished cells, in the order of
// config.Expand, and an error if any cell failed.
func RunContext(ctx context.Context, cfg *config.Config, opts Options) ([]results.Row, error) {
	all, cells, err := shardCells(cfg, opts.Shard)
	if err != nil {
		return nil, err
	}
	dir := &runDir{out: opts.Out, data: map[datasets.Spec]*datasets.Dataset{}, prints: map[datasets.Spec]DataPrint{}}
	defer dir.unlock()
	if err := dir.lockAndResume(cells); err != nil {
		return nil, err
	}
	if err := writeRunFiles(opts.Out, cfg, opts.Shard, all); err != nil {
		return nil, err
	}
	dir.nets = newTrainings()
	for _, d := range append([]string{opts.Out}, opts.Reuse...) {
		if err := dir.nets.scan(d); err != nil {
			return nil, err
		}
	}
	errs := dir.compute(ctx, cells, opts)
	return dir.collect(ctx, cfg.Name, cells, errs)
}

// shardCells expands cfg into all its cells and returns them with those of shard.
func shardCells(cfg *config.Config, shard Shard) (all, cells []config.Cell, err error) {
	if !shard.valid() {
		return nil, nil, fmt.Errorf("experiments: shard %d/%d, need 0 ≤ i < n", shard.Index, shard.Count)
	}
	if all, err = config.Expand(cfg); err != nil {
		return nil, nil, err
	}
	for i := range all {
		if shard.Has(i) {
			cells = append(cells, all[i])
		}
	}
	return all, cells, nil
}

// runDir is the run directory of one run, as the run sees it: its lock, the rows of the cells
// an earlier run finished and the datasets of the cells still to compute.
type runDir struct {
	out    string
	lock   *dirLock                            // nil until taken
	rows   []*results.Row                      // per cell: its row, nil while it has none
	todo   []int                               // the indices of the cells to compute
	stale  []int                               // those of todo finished without a fingerprint
	data   map[datasets.Spec]*datasets.Dataset // the datasets of the cells to compute
	prints map[datasets.Spec]DataPrint         // the fingerprints of every cell's data
	nets   *trainings                          // the finished trainings the cells may reuse
}

// lockAndResume locks the directory, creating it if needed, reads the rows of the cells an
// earlier run finished and loads every dataset the other cells need. An existing directory is
// locked at once, so that a second run into it fails before it loads anything; a new one as
// soon as it is created, after the datasets are loaded (a missing or corrupt file stops the
// run before anything is written), and its rows are then read again.
func (d *runDir) lockAndResume(cells []config.Cell) error {
	if _, err := os.Stat(d.out); err == nil {
		if d.lock, err = lockDir(d.out); err != nil {
			return err
		}
	}
	if err := d.resume(cells); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(d.out, "cells"), 0o755); err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	if d.lock != nil {
		return nil
	}
	lock, err := lockDir(d.out)
	if err != nil {
		return err
	}
	d.lock = lock
	// Another run may have created the directory, and finished cells, since they were read.
	return d.resume(cells)
}

// resume fingerprints the data of every cell, reads the rows of the cells an earlier run
// finished on the same data (fingerprint.go) and loads the datasets of the others that d
// lacks.
func (d *runDir) resume(cells []config.Cell) error {
	fp := newFingerprinter(d.out)
	for i := range cells {
		spec := datasetSpec(&cells[i])
		if _, ok := d.prints[spec]; ok {
			continue
		}
		p, err := fp.of(spec)
		if err != nil {
			return err
		}
		d.prints[spec] = p
	}
	rows, todo, stale, err := storedRows(d.out, cells, d.prints)
	if err != nil {
		return err
	}
	d.rows, d.todo, d.stale = rows, todo, stale
	return loadData(d.data, cells, todo)
}

// unlock releases the directory's lock, if taken.
func (d *runDir) unlock() { d.lock.unlock() }

// writeRunFiles writes the resolved config (config.yaml) and the manifest of all the
// experiment's cells into the run directory out.
func writeRunFiles(out string, cfg *config.Config, shard Shard, all []config.Cell) error {
	resolved, err := cfg.Marshal()
	if err != nil {
		return err
	}
	if err := results.WriteFileAtomic(filepath.Join(out, "config.yaml"), func(w io.Writer) error {
		_, err := w.Write(resolved)
		return err
	}); err != nil {
		return err
	}
	return writeManifest(out, cfg.Name, shard, all)
}

// compute reports the resumed cells to the observer, then computes the cells still to do,
// opts.Jobs at a time (0: the number of CPUs), each writing its directory and its row into
// d.rows. It returns the error of each cell that failed. Once ctx is done no cell starts.
func (d *runDir) compute(ctx context.Context, cells []config.Cell, opts Options) []error {
	var obs Observer = nopObserver{}
	if opts.Observer != nil {
		obs = &lockedObserver{obs: opts.Observer}
	}
	n := len(cells)
	for i := range cells {
		if d.rows[i] != nil {
			obs.CellResumed(i, n, &cells[i], d.rows[i])
		}
	}
	if so, ok := opts.Observer.(StaleObserver); ok {
		for _, i := range d.stale {
			so.CellStale(i, n, &cells[i]) // before any cell starts: no lock needed
		}
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	jobs = min(jobs, len(d.todo))
	errs := make([]error, n)
	type job struct {
		i       int
		pre     *trainedNet // a finished training to reuse
		claimed string      // the training key this job trains and then releases
	}
	next := make(chan job)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				c := &cells[j.i]
				obs.CellStart(j.i, n, c)
				spec := datasetSpec(c)
				row, err := runCellRecover(ctx, c, d.out, d.data[spec], d.prints[spec], j.pre, func(p Progress) { obs.Progress(j.i, c, p) })
				if err == nil {
					if rec, ok := readTraining(filepath.Join(d.out, "cells", c.ID)); ok {
						d.nets.add(filepath.Join(d.out, "cells", c.ID), rec)
					}
				}
				if j.claimed != "" {
					d.nets.release(j.claimed)
				}
				obs.CellEnd(j.i, n, c, row, err)
				d.rows[j.i], errs[j.i] = row, err
			}
		}()
	}
	// Dispatch in order, but a cell whose network another job is training waits for it (and
	// then reuses it) while the cells after it go ahead.
	pending := append([]int(nil), d.todo...)
	for len(pending) > 0 && ctx.Err() == nil {
		gen := d.nets.generation()
		sent := false
		for p, i := range pending {
			c := &cells[i]
			jb := job{i: i}
			if reusable(c) {
				k := reuseKey(c.TrainingKey(), d.prints[datasetSpec(c)].SHA256)
				pre, ok, busy := d.nets.claim(k)
				if busy {
					continue
				}
				if ok {
					jb.pre = &pre
				} else {
					jb.claimed = k
				}
			}
			select {
			case next <- jb:
			case <-ctx.Done():
				if jb.claimed != "" {
					d.nets.release(jb.claimed)
				}
			}
			pending = append(pending[:p], pending[p+1:]...)
			sent = true
			break
		}
		if !sent {
			d.nets.waitRelease(gen)
		}
	}
	close(next)
	wg.Wait()
	return errs
}

// collect writes results.csv, results.json and summary.md over the finished cells and returns
// their rows, in order, with the run's error: an *InterruptedError when ctx was cancelled
// before every cell finished, else one naming the cells that failed (errs).
func (d *runDir) collect(ctx context.Context, name string, cells []config.Cell, errs []error) ([]results.Row, error) {
	var done []results.Row
	var failed []string
	for i := range cells {
		switch {
		case d.rows[i] != nil:
			done = append(done, *d.rows[i])
		case errs[i] != nil && ctx.Err() == nil:
			failed = append(failed, fmt.Sprintf("cell %s (%s): %v", cells[i].ID, cells[i].Label(), errs[i]))
		}
	}
	if err := writeResults(d.out, name, done); err != nil {
		return done, err
	}
	n := len(cells)
	if ctx.Err() != nil && len(done) < n {
		return done, &InterruptedError{Finished: len(done), Total: n, Err: ctx.Err()}
	}
	if len(failed) > 0 {
		return done, fmt.Errorf("experiments: %d of %d cells failed: %s", len(failed), n, strings.Join(failed, "; "))
	}
	return done, nil
}

func writeResults(dir, name string, rows []results.Row) error {
	if err := results.WriteCSV(filepath.Join(dir, "results.csv"), rows); err != nil {
		return err
	}
	if err := results.WriteJSON(filepath.Join(dir, "results.json"), rows); err != nil {
		return err
	}
	return results.WriteSummary(filepath.Join(dir, "summary.md"), name, rows)
}

// datasetSpec is the dataset cell c trains and tests on.
func datasetSpec(c *config.Cell) datasets.Spec {
	d := c.Config.Dataset
	s := datasets.Spec{Name: d.Name, Path: d.Path, Label: d.Label, TrainLimit: d.TrainLimit, TestLimit: d.TestLimit, SkipBad: d.SkipBad}
	if len(d.Size) == 2 {
		s.Height, s.Width, s.Channels = d.Size[0], d.Size[1], d.Channels
	}
	return s
}

// storedRows returns the rows of the cells an earlier run finished in out on the data of
// prints (nil for the others) and the indices of the cells still to compute: those without a
// row and those whose row records no data fingerprint (stale, also listed apart). A row
// recorded with another fingerprint is a *DataMismatchError.
func storedRows(out string, cells []config.Cell, prints map[datasets.Spec]DataPrint) (rows []*results.Row, todo, stale []int, err error) {
	rows = make([]*results.Row, len(cells))
	var mismatch *DataMismatchError
	for i := range cells {
		c := &cells[i]
		if rows[i], err = storedRow(out, c); err != nil {
			return nil, nil, nil, err
		}
		if rows[i] != nil {
			stored, ok, err := storedPrint(filepath.Join(out, "cells", c.ID))
			if err != nil {
				return nil, nil, nil, err
			}
			now := prints[datasetSpec(c)]
			switch {
			case !ok:
				rows[i] = nil // written before fingerprints: not known to be this data
				stale = append(stale, i)
			case stored.SHA256 != now.SHA256:
				if mismatch == nil {
					mismatch = &DataMismatchError{Dir: out, Stored: stored, Data: now, TotalCells: len(cells)}
				}
				mismatch.Cells = append(mismatch.Cells, c.ID)
			}
		}
		if rows[i] == nil {
			todo = append(todo, i)
		}
	}
	if mismatch != nil {
		return nil, nil, nil, mismatch
	}
	return rows, todo, stale, nil
}

// loadData loads into data the datasets of the cells todo that it lacks.
func loadData(data map[datasets.Spec]*datasets.Dataset, cells []config.Cell, todo []int) error {
	for _, i := range todo {
		spec := datasetSpec(&cells[i])
		if _, ok := data[spec]; ok {
			continue
		}
		ds, err := datasets.Load(spec)
		if err != nil {
			return err
		}
		data[spec] = ds
	}
	return nil
}

// storedRow returns the row of cell c that an earlier run wrote into out, or nil if there is
// none.
func storedRow(out string, c *config.Cell) (*results.Row, error) {
	rowPath := filepath.Join(out, "cells", c.ID, "row.json")
	b, err := os.ReadFile(rowPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	var row results.Row
	if err := json.Unmarshal(b, &row); err != nil {
		return nil, fmt.Errorf("experiments: %s: %w (delete it to recompute the cell)", rowPath, err)
	}
	return &row, nil
}

// runCell computes cell c on ds, whose files have the fingerprint dp, and writes its
// directory: the fingerprint (DataFile) before row.json, row.json last. It first removes the
// temporary files a killed earlier attempt may have left (see results.WriteFileAtomic) and a
// row written before fingerprints were recorded, so that a kill while it computes never
// leaves that row beside a fingerprint it was not computed on.
func runCell(ctx context.Context, c *config.Cell, out string, ds *datasets.Dataset, dp DataPrint, pre *trainedNet, progress func(Progress)) (*results.Row, error) {
	dir := filepath.Join(out, "cells", c.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	if stale, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); err == nil {
		for _, f := range stale {
			os.Remove(f) // best effort: a leftover temporary file is harmless, only untidy
		}
	}
	if err := os.Remove(filepath.Join(dir, "row.json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	res, err := runCellFrom(ctx, c, ds, pre, progress)
	if err != nil {
		return nil, err
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "model.ckpt"), res.Net.Save); err != nil {
		return nil, err
	}
	if err := writeParts(dir, res.Net); err != nil {
		return nil, err
	}
	if err := writeAttackFiles(dir, res); err != nil {
		return nil, err
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "epochs.csv"), func(w io.Writer) error {
		fmt.Fprintln(w, "epoch,train_loss,train_accuracy,seconds")
		for _, e := range res.Epochs {
			fmt.Fprintf(w, "%d,%g,%g,%g\n", e.Epoch, e.Loss, e.Accuracy, e.Seconds)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(dir, DataFile), dp); err != nil {
		return nil, err
	}
	rec := trainingRecord{Key: c.TrainingKey(), Data: dp.SHA256, Seconds: res.Row.TrainSeconds, Cell: c.ID}
	if pre != nil {
		rec.Cell = pre.rec.Cell
	}
	if err := writeJSON(filepath.Join(dir, TrainingFile), rec); err != nil {
		return nil, err
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "row.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res.Row)
	}); err != nil {
		return nil, err
	}
	return &res.Row, nil
}

// PartFile is the name of the file in a cell's directory that holds one part of its trained
// network (models.SavePart): head.ckpt, body.ckpt or tail.ckpt. A cloud is given the body
// file alone (runexp cloud), an edge the head and tail files (runexp edge).
func PartFile(p models.Part) string { return p.String() + ".ckpt" }

// writeParts writes the three part files of net into the cell directory dir.
func writeParts(dir string, net *models.Net) error {
	for _, p := range models.Parts {
		if err := results.WriteFileAtomic(filepath.Join(dir, PartFile(p)), func(w io.Writer) error { return net.SavePart(w, p) }); err != nil {
			return err
		}
	}
	return nil
}

// EpochStats is one epoch of training.
type EpochStats struct {
	Epoch          int
	Loss, Accuracy float64 // means over the epoch's steps
	Seconds        float64
}

// CellResult is a finished cell: its row, the trained network and its training log.
type CellResult struct {
	Row    results.Row
	Net    *models.Net
	Epochs []EpochStats
	// Attacks holds what the config's attacks produced besides their columns (attacks.go).
	Attacks *AttackReport

	nopeekDCor float64 // mean dCor of the last epoch under a NoPeek defence; −1 without
}

// RunCell trains and evaluates one cell on ds. A baseline cell trains the network unsplit and
// unmixed; a DataMix cell trains it mixing-aware and evaluates it through the edge/cloud
// Pipeline with fresh secret coefficients (and shuffling, as configured). It stops with an
// error wrapping ctx.Err() before any training step, and after evaluation, once ctx is done.
func RunCell(ctx context.Context, c *config.Cell, ds *datasets.Dataset, progress func(Progress)) (*CellResult, error) {
	return runCellFrom(ctx, c, ds, nil, progress)
}

// runCellFrom is RunCell with the network trained by another cell (pre, with the same
// training key and data) instead of training it, when pre is not nil.
func runCellFrom(ctx context.Context, c *config.Cell, ds *datasets.Dataset, pre *trainedNet, progress func(Progress)) (*CellResult, error) {
	cfg := &c.Config
	arch, err := cfg.Architecture()
	if err != nil {
		return nil, err
	}
	split := cfg.Model.Split
	mixed := c.Variant == config.VariantDataMix
	if !mixed {
		split = 0 // the baseline is unsplit; any split gives the same network
	}
	scheme, err := c.Scheme()
	if err != nil {
		return nil, err
	}
	res := &CellResult{nopeekDCor: -1}
	var trainSeconds float64
	switch {
	case pre != nil && cfg.Model.Weights == "":
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("experiments: stopped before evaluation: %w", err)
		}
		if res.Net, res.Epochs, err = loadTrained(*pre, c, ds.Classes); err != nil {
			return nil, err
		}
		trainSeconds = pre.rec.Seconds
	default:
		if res.Net, err = models.New(arch, ds.Classes, split, cellRNG(cfg.Seed, streamInit)); err != nil {
			return nil, err
		}
		start := time.Now()
		if cfg.Model.Weights != "" {
			if err := importWeights(res.Net, cfg.Model.Weights); err != nil {
				return nil, err
			}
		} else if err := train(ctx, res, cfg, ds, scheme, progress); err != nil {
			return nil, err
		}
		trainSeconds = time.Since(start).Seconds()
	}
	net := res.Net

	start := time.Now()
	p, err := EvalPipeline(c, net)
	if err != nil {
		return nil, err
	}
	acc, err := Evaluate(p, ds.Test, shufflePool(cfg), cfg.Train.EvalBatchSize, func(done, total int) {
		progress(Progress{Phase: "eval", Step: done, Steps: total})
	})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("experiments: stopped after evaluation: %w", err)
	}
	row := baseRow(c, ds)
	row.Defence = scheme.Defences.Label()
	if res.nopeekDCor >= 0 {
		if row.Notes == nil {
			row.Notes = map[string]string{}
		}
		row.Notes["nopeek"] = fmt.Sprintf("mean dCor(inputs, head outputs) over the last epoch's batches: %.4f", res.nopeekDCor)
	}
	if w := cfg.Model.Weights; w != "" {
		if row.Notes == nil {
			row.Notes = map[string]string{}
		}
		row.Notes["weights"] = fmt.Sprintf("imported from %s, not trained here (mixing-aware training was not done unless that model had it)", filepath.Base(w))
		row.Epochs = 0
	}
	row.Accuracy = acc
	row.TrainSeconds = trainSeconds
	row.EvalSeconds = time.Since(start).Seconds()
	if n := len(res.Epochs); n > 0 {
		row.TrainLoss = res.Epochs[n-1].Loss
		row.TrainAccuracy = res.Epochs[n-1].Accuracy
	}
	fillCosts(&row, net, scheme)
	res.Row = row
	if err := runAttacks(ctx, c, ds, res, scheme, progress); err != nil {
		return nil, err
	}
	return res, nil
}

// importWeights sets net's weights from the .npz archive at path (model.weights).
func importWeights(net *models.Net, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	return net.ReadNPZ(bytes.NewReader(data), int64(len(data)), path)
}

// EvalPipeline is the pipeline cell c evaluates net through: the cell's scheme (the
// configured mixing for a DataMix cell, none for a baseline) with its secrets drawn from the
// cell's seeded evaluation stream. Evaluating the cell's reloaded checkpoint through it
// repeats the cell's evaluation exactly.
func EvalPipeline(c *config.Cell, net *models.Net) (*datamix.Pipeline, error) {
	scheme, err := c.Scheme()
	if err != nil {
		return nil, err
	}
	return datamix.NewPipeline(net, scheme, cellRNG(c.Config.Seed, streamMixEval)), nil
}

// shufflePool is the number of uploads shuffled together in evaluation and attacks:
// mixing.shuffle_pool, or one evaluation batch when it is 0.
func shufflePool(cfg *config.Config) int {
	if cfg.Mixing.ShufflePool > 0 {
		return cfg.Mixing.ShufflePool
	}
	return cfg.Train.EvalBatchSize
}

func baseRow(c *config.Cell, ds *datasets.Dataset) results.Row {
	cfg := &c.Config
	row := results.Row{
		Cell: c.ID, Variant: c.Variant, Dataset: cfg.Dataset.Name, Arch: cfg.Model.Name(),
		Split: cfg.Model.Split, GroupSize: cfg.Mixing.GroupSize, Coefficients: cfg.Mixing.Coefficients,
		Alpha: cfg.Mixing.Alpha, Shuffle: cfg.Mixing.Shuffle, Seed: cfg.Seed,
		TrainLimit: ds.Train.N, TestLimit: ds.Test.N, Epochs: cfg.Train.Epochs,
		BatchSize: cfg.Train.BatchSize, LR: cfg.Train.LR,
	}
	if cfg.Mixing.Shuffle {
		row.ShufflePool = shufflePool(cfg)
	}
	if c.Variant == config.VariantBaseline {
		row.Split, row.GroupSize, row.Coefficients, row.Alpha, row.Shuffle, row.ShufflePool = 0, 1, "none", 0, false, 0
	}
	if ds.Label != "" { // celeba: which attribute the accuracy is of
		row.Notes = map[string]string{"label": ds.Label}
	}
	if ds.Source != "" { // what the data is, where its files say (synthetic speech)
		if row.Notes == nil {
			row.Notes = map[string]string{}
		}
		row.Notes["data"] = ds.Source
	}
	if n := len(ds.Skipped); n > 0 { // an image folder's unreadable images (dataset.skip_bad)
		if row.Notes == nil {
			row.Notes = map[string]string{}
		}
		row.Notes["skipped"] = fmt.Sprintf("%d unreadable images skipped, the first %s", n, ds.Skipped[0])
	}
	return row
}

// fillCosts sets the FLOPs and bytes columns: the scheme's cost (datamix.Scheme.Cost) for a
// DataMix cell. The baseline is counted as edge-only inference (edge 100%, nothing sent);
// cloud-only inference of the same network scores the same with edge 0% and the raw input
// uploaded.
func fillCosts(row *results.Row, net *models.Net, s datamix.Scheme) {
	if !s.Mixed() {
		row.EdgeFLOPs, row.CloudFLOPs, row.EdgeFLOPsFrac = net.FLOPs().Total(), 0, 1
		return
	}
	cost := s.Cost(net)
	row.EdgeFLOPs, row.CloudFLOPs, row.EdgeFLOPsFrac = cost.Edge, cost.Cloud, cost.EdgeFrac()
	row.UploadBytesPerSample, row.DownloadBytesPerSample = cost.UploadBytes, cost.DownloadBytes
}

// train runs the configured epochs, mixing-aware under a mixing scheme (datamix.Trainer draws
// a fresh C per group every step). Each epoch visits the training set in a fresh seeded
// order; a last partial batch is dropped.
func train(ctx context.Context, res *CellResult, cfg *config.Config, ds *datasets.Dataset, scheme datamix.Scheme, progress func(Progress)) error {
	batch := cfg.Train.BatchSize
	steps := ds.Train.N / batch
	if steps == 0 {
		return fmt.Errorf("experiments: %d training examples, fewer than one batch of %d", ds.Train.N, batch)
	}
	tr, err := datamix.NewTrainer(res.Net, batch, scheme, cfg.Train.LR, cellRNG(cfg.Seed, streamMixTrain))
	if err != nil {
		return err
	}
	dataRNG := cellRNG(cfg.Seed, streamData)
	dim := ds.Train.Dim()
	x := make([]float32, batch*dim)
	y := make([]int, batch)
	total := cfg.Train.Epochs * steps
	for epoch := 1; epoch <= cfg.Train.Epochs; epoch++ {
		start := time.Now()
		order := dataRNG.Perm(ds.Train.N)
		var sumLoss, sumDCor float64
		var correct, seen int
		for s := 0; s < steps; s++ {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("experiments: stopped at epoch %d step %d: %w", epoch, s+1, err)
			}
			for j, idx := range order[s*batch : (s+1)*batch] {
				if a := cfg.Train.AugmentShift; a > 0 {
					im := ds.Train
					dx, dy := dataRNG.IntN(2*a+1)-a, dataRNG.IntN(2*a+1)-a
					datasets.Translate(x[j*dim:(j+1)*dim], im.Row(idx), im.C, im.H, im.W, dx, dy)
				} else {
					copy(x[j*dim:(j+1)*dim], ds.Train.Row(idx))
				}
				y[j] = ds.Train.Y[idx]
			}
			step := (epoch-1)*steps + s
			tr.SetLR(learningRate(cfg.Train, step, total))
			loss, c, err := tr.Step(x, y)
			if err == nil && loss > maxLoss {
				err = fmt.Errorf("experiments: training loss %.3g exceeds %g (exploding); lower train.lr or mixing.max_cond", loss, maxLoss)
			}
			if err != nil {
				return fmt.Errorf("epoch %d step %d: %w", epoch, s+1, err)
			}
			sumLoss += loss
			sumDCor += tr.Penalty()
			correct += c
			seen += batch
			progress(Progress{Phase: "train", Epoch: epoch, Epochs: cfg.Train.Epochs,
				Step: step + 1, Steps: total,
				Loss: sumLoss / float64(s+1), Accuracy: float64(correct) / float64(seen)})
		}
		res.Epochs = append(res.Epochs, EpochStats{Epoch: epoch, Loss: sumLoss / float64(steps),
			Accuracy: float64(correct) / float64(seen), Seconds: time.Since(start).Seconds()})
		if scheme.Defences.NoPeekWeight() > 0 {
			res.nopeekDCor = sumDCor / float64(steps)
		}
	}
	return nil
}

// learningRate is the learning rate of step (0-based) of total under the configured schedule.
func learningRate(t config.Train, step, total int) float64 {
	if t.LRSchedule == "cosine" {
		return t.LR * 0.5 * (1 + math.Cos(math.Pi*float64(step)/float64(total)))
	}
	return t.LR
}

// Evaluate returns the accuracy of p on the images, in shuffling pools of pool images run
// through the network batch images at a time (pool a multiple of batch, batch a multiple of the
// scheme's group size). The last pool is padded to whole batches with blank images whose
// predictions are discarded; they are mixed into the last groups like any input, and de-mixing
// removes them exactly.
func Evaluate(p *datamix.Pipeline, imgs *datasets.Images, pool, batch int, progress func(done, total int)) (float64, error) {
	if imgs.N == 0 {
		return 0, errors.New("experiments: empty test set")
	}
	p.SetBatch(batch)
	dim, classes := imgs.Dim(), p.Net().Classes
	size := min(pool, (imgs.N+batch-1)/batch*batch)
	x := make([]float32, size*dim)
	logits := make([]float32, size*classes)
	correct := 0
	for lo := 0; lo < imgs.N; lo += pool {
		hi := min(lo+pool, imgs.N)
		n := (hi - lo + batch - 1) / batch * batch
		clear(x)
		copy(x, imgs.X[lo*dim:hi*dim])
		if err := p.Logits(logits[:n*classes], x[:n*dim]); err != nil {
			return 0, err
		}
		for i := lo; i < hi; i++ {
			if models.Argmax(logits[(i-lo)*classes:(i-lo+1)*classes]) == imgs.Y[i] {
				correct++
			}
		}
		progress(hi, imgs.N)
	}
	acc := float64(correct) / float64(imgs.N)
	if math.IsNaN(acc) {
		return 0, errors.New("experiments: accuracy is NaN")
	}
	return acc, nil
}
