package experiments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/results"
)

// Manifest lists the cells of an experiment in the order of config.Expand. Run writes it into the
// run directory as manifest.json; Merge reads it to check that shard directories belong to
// one experiment and to order their rows. Two runs of one config (or of configs differing only
// in what cell IDs leave out, such as dataset.path) write the same cells.
type Manifest struct {
	// Name is the experiment's name.
	Name string `json:"name"`
	// Shard is the part of the cells the writing run computed, "i/n"; "" for all of them.
	Shard string `json:"shard,omitempty"`
	// Cells are all the cells of the experiment, whatever the shard.
	Cells []ManifestCell `json:"cells"`
}

// ManifestCell is one cell of a Manifest.
type ManifestCell struct {
	ID      string `json:"id"`
	Variant string `json:"variant"`
	Params  string `json:"params"` // the sweep assignments, e.g. {mixing.group_size: 2, seed: 1}
}

// ManifestFile is the name of the manifest in a run directory.
const ManifestFile = "manifest.json"

func manifestOf(name string, shard Shard, cells []config.Cell) Manifest {
	m := Manifest{Name: name, Shard: shard.String(), Cells: make([]ManifestCell, len(cells))}
	for i, c := range cells {
		m.Cells[i] = ManifestCell{ID: c.ID, Variant: c.Variant, Params: c.Params.String()}
	}
	return m
}

func writeManifest(dir, name string, shard Shard, cells []config.Cell) error {
	return writeJSON(filepath.Join(dir, ManifestFile), manifestOf(name, shard, cells))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	return results.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// ReadManifest reads the manifest.json of the run directory dir.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("experiments: %s: no %s, not a directory written by runexp run", dir, ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", path, err)
	}
	return &m, nil
}

// sameCells reports the first difference between the cell lists of two manifests, or "".
func sameCells(a, b *Manifest) string {
	if a.Name != b.Name {
		return fmt.Sprintf("experiment %q, not %q", b.Name, a.Name)
	}
	if len(a.Cells) != len(b.Cells) {
		return fmt.Sprintf("%d cells, not %d", len(b.Cells), len(a.Cells))
	}
	for i := range a.Cells {
		if a.Cells[i] != b.Cells[i] {
			return fmt.Sprintf("cell %d is %s %s %s, not %s %s %s", i, b.Cells[i].ID, b.Cells[i].Variant, b.Cells[i].Params,
				a.Cells[i].ID, a.Cells[i].Variant, a.Cells[i].Params)
		}
	}
	return ""
}

// MissingError is the error of a Merge whose directories lack some cells' rows.
type MissingError struct {
	Missing []ManifestCell // the cells without a row, in manifest order
	Total   int
}

func (e *MissingError) Error() string {
	c := e.Missing[0]
	return fmt.Sprintf("experiments: merge: %d of %d cells have no row in any directory (the first: %s %s %s); run their shards to the end, or merge with missing cells allowed",
		len(e.Missing), e.Total, c.ID, c.Variant, c.Params)
}

// Merge combines the run directories dirs (the shards of one experiment, typically) into
// the run directory out: config.yaml and manifest.json of the whole experiment, a copy of
// every finished cell's directory under cells/ (so that Run into out resumes rather than
// recomputes), and results.csv, results.json and summary.md over all rows, in the order of
// config.Expand. The directories must hold the same experiment (the same name and cells in their
// manifest.json); out may be one of them. A cell finished in several directories is taken from
// the first. Unless allowMissing, a cell without a row in any directory is an error (a
// *MissingError) and nothing is written; with it, the rows present are merged and the
// *MissingError is returned with them. Like a run, it holds the lock of out (LockFile) while it
// writes, and fails with a *BusyError if a run or merge into out is in progress.
func Merge(out string, dirs []string, allowMissing bool) ([]results.Row, error) {
	if len(dirs) == 0 {
		return nil, errors.New("experiments: merge: no directories")
	}
	ms := make([]*Manifest, len(dirs))
	for i, d := range dirs {
		m, err := ReadManifest(d)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			if diff := sameCells(ms[0], m); diff != "" {
				return nil, fmt.Errorf("experiments: merge: %s holds a different experiment from %s: %s", d, dirs[0], diff)
			}
		}
		ms[i] = m
	}
	resolved, err := os.ReadFile(filepath.Join(dirs[0], "config.yaml"))
	if err != nil {
		return nil, fmt.Errorf("experiments: merge: %w", err)
	}
	m := ms[0]
	var rows []results.Row
	from := make([]string, len(m.Cells)) // the directory each cell's row comes from
	var missing []ManifestCell
	for i, c := range m.Cells {
		for _, d := range dirs {
			row, err := storedRow(d, &config.Cell{ID: c.ID})
			if err != nil {
				return nil, err
			}
			if row != nil {
				rows = append(rows, *row)
				from[i] = d
				break
			}
		}
		if from[i] == "" {
			missing = append(missing, c)
		}
	}
	var merr error
	if len(missing) > 0 {
		merr = &MissingError{Missing: missing, Total: len(m.Cells)}
		if !allowMissing {
			return nil, merr
		}
	}

	if err := os.MkdirAll(filepath.Join(out, "cells"), 0o755); err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	lock, err := lockDir(out) // a run into out (one of the shards, say) must have ended
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	if err := results.WriteFileAtomic(filepath.Join(out, "config.yaml"), func(w io.Writer) error {
		_, err := w.Write(resolved)
		return err
	}); err != nil {
		return nil, err
	}
	whole := *m
	whole.Shard = ""
	if err := writeJSON(filepath.Join(out, ManifestFile), whole); err != nil {
		return nil, err
	}
	for i, c := range m.Cells {
		if from[i] != "" {
			if err := copyCell(filepath.Join(from[i], "cells", c.ID), filepath.Join(out, "cells", c.ID)); err != nil {
				return nil, err
			}
		}
	}
	if err := writeResults(out, m.Name, rows); err != nil {
		return rows, err
	}
	return rows, merr
}

// copyCell copies the regular files of a cell directory, row.json last so that a copy cut
// short is not taken for a finished cell. Copying a directory onto itself does nothing.
func copyCell(src, dst string) error {
	if si, err := os.Stat(src); err == nil {
		if di, err := os.Stat(dst); err == nil && os.SameFile(si, di) {
			return nil
		}
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "row.json" && e.Name()[0] != '.' {
			names = append(names, e.Name())
		}
	}
	names = append(names, "row.json")
	for _, name := range names {
		if err := copyFile(filepath.Join(src, name), filepath.Join(dst, name)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	defer f.Close()
	return results.WriteFileAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}
