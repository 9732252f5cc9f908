package experiments

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/models"
)

// Cells that train the same network — the same data files, network, seed, training settings,
// mixing and defences (config.Cell.TrainingKey): a shuffled cell and its unshuffled twin, a
// cell with the identity mixing (k = 1) and its baseline, the same recipe in two experiments
// with different attacks — need it trained once. Each computed cell records its training's key
// in TrainingFile; a cell whose key and data fingerprint match a finished cell's, in its own
// run directory or one named in Options.Reuse, loads that cell's checkpoint and training log
// instead of training, and evaluates and attacks the network as if it had trained it: its row
// is the one training would give, bit for bit, train_seconds included (the original
// training's), so that results do not depend on which cell trained; its TrainingFile names the
// cell that did. Cells with defences always train (NoPeek reports from its training). With
// several jobs, a cell waits for a running cell with its key rather than training the same
// network at the same time.

// TrainingFile is the file in a cell's directory that records which network it trained.
const TrainingFile = "training.json"

// trainingRecord is the content of TrainingFile.
type trainingRecord struct {
	Key     string  `json:"key"`     // config.Cell.TrainingKey
	Data    string  `json:"data"`    // the SHA-256 of the data files (DataPrint)
	Seconds float64 `json:"seconds"` // the training's wall-clock time
	Cell    string  `json:"cell"`    // the cell that trained it
}

// trainedNet is a finished training a cell can reuse: the directory of a cell that holds its
// checkpoint and training log.
type trainedNet struct {
	dir string
	rec trainingRecord
}

// trainings indexes the finished trainings of some run directories by key and data.
type trainings struct {
	mu    sync.Mutex
	nets  map[string]trainedNet // by reuseKey
	flyng map[string]bool       // keys being trained by this run's jobs
	gen   int                   // counts the claims ended
	done  *sync.Cond
}

func newTrainings() *trainings {
	t := &trainings{nets: map[string]trainedNet{}, flyng: map[string]bool{}}
	t.done = sync.NewCond(&t.mu)
	return t
}

// reuseKey is the index of a training: its key and data.
func reuseKey(key, data string) string { return key + "|" + data }

// scan adds the finished trainings of the run directory dir (cells with row.json,
// TrainingFile, the checkpoint and the training log). A directory that does not exist adds
// nothing; a record that cannot be read is skipped (it only costs a training).
func (t *trainings) scan(dir string) error {
	entries, err := os.ReadDir(filepath.Join(dir, "cells"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range entries {
		cell := filepath.Join(dir, "cells", e.Name())
		rec, ok := readTraining(cell)
		if !ok {
			continue
		}
		k := reuseKey(rec.Key, rec.Data)
		if _, have := t.nets[k]; !have {
			t.nets[k] = trainedNet{dir: cell, rec: rec}
		}
	}
	return nil
}

// readTraining reads a finished cell's training record; ok is false unless the cell is
// finished, on data whose fingerprint it recorded (DataFile, the one of its training record),
// and holds everything a reuse reads.
func readTraining(cell string) (rec trainingRecord, ok bool) {
	for _, f := range []string{"row.json", "model.ckpt", "epochs.csv"} {
		if _, err := os.Stat(filepath.Join(cell, f)); err != nil {
			return rec, false
		}
	}
	b, err := os.ReadFile(filepath.Join(cell, TrainingFile))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.Key == "" || rec.Data == "" {
		return rec, false
	}
	if dp, ok, err := storedPrint(cell); err != nil || !ok || dp.SHA256 != rec.Data {
		return rec, false
	}
	return rec, true
}

// add records a training this run finished.
func (t *trainings) add(dir string, rec trainingRecord) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := reuseKey(rec.Key, rec.Data)
	if _, have := t.nets[k]; !have {
		t.nets[k] = trainedNet{dir: dir, rec: rec}
	}
}

// claim returns a finished training with key k (ok), or reports that another job is training
// it (busy), or else marks k as being trained by the caller, who must release it.
func (t *trainings) claim(k string) (net trainedNet, ok, busy bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, have := t.nets[k]; have {
		return n, true, false
	}
	if t.flyng[k] {
		return trainedNet{}, false, true
	}
	t.flyng[k] = true
	return trainedNet{}, false, false
}

// generation counts the claims ended so far.
func (t *trainings) generation() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// waitRelease waits until a claim has ended since generation gen.
func (t *trainings) waitRelease(gen int) {
	t.mu.Lock()
	for t.gen == gen {
		t.done.Wait()
	}
	t.mu.Unlock()
}

// release ends the caller's claim on k (trained or not).
func (t *trainings) release(k string) {
	t.mu.Lock()
	delete(t.flyng, k)
	t.gen++
	t.mu.Unlock()
	t.done.Broadcast()
}

// reusable says whether cell c may take a network another cell trained: not with defences.
func reusable(c *config.Cell) bool { return len(c.Config.Defences) == 0 }

// loadTrained reads the network and training log of a finished training for cell c: the
// checkpoint, set to c's split, and the epochs of its log.
func loadTrained(n trainedNet, c *config.Cell, classes int) (*models.Net, []EpochStats, error) {
	f, err := os.Open(filepath.Join(n.dir, "model.ckpt"))
	if err != nil {
		return nil, nil, fmt.Errorf("experiments: reusing %s: %w", n.dir, err)
	}
	net, err := models.Load(f, f.Name())
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	split := c.Config.Model.Split
	if c.Variant != config.VariantDataMix {
		split = 0
	}
	if want := c.Config.Model.Name(); net.Arch.Name != want || net.Classes != classes {
		return nil, nil, fmt.Errorf("experiments: reusing %s: a %s net of %d classes, want %s of %d", n.dir, net.Arch.Name, net.Classes, want, classes)
	}
	if net, err = net.WithSplit(split); err != nil {
		return nil, nil, err
	}
	epochs, err := readEpochs(filepath.Join(n.dir, "epochs.csv"))
	if err != nil {
		return nil, nil, err
	}
	return net, epochs, nil
}

// readEpochs reads a training log written by runCell (epochs.csv).
func readEpochs(path string) ([]EpochStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	defer f.Close()
	var out []EpochStats
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue // the header
		}
		p := strings.Split(sc.Text(), ",")
		if len(p) != 4 {
			return nil, fmt.Errorf("experiments: %s:%d: %d fields, want 4", path, line+1, len(p))
		}
		var e EpochStats
		var err1, err2, err3, err4 error
		e.Epoch, err1 = strconv.Atoi(p[0])
		e.Loss, err2 = strconv.ParseFloat(p[1], 64)
		e.Accuracy, err3 = strconv.ParseFloat(p[2], 64)
		e.Seconds, err4 = strconv.ParseFloat(p[3], 64)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("experiments: %s:%d: %w", path, line+1, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", path, err)
	}
	return out, nil
}
