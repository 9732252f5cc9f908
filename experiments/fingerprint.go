package experiments

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/datamix/harness/datasets"
)

// A cell's ID leaves out where its data is (dataset.path: moving a checkout keeps finished
// cells), so the ID alone cannot tell a cell computed on one corpus from the same cell on
// another. Each computed cell therefore records the fingerprint of its dataset's files in
// cells/<id>/DataFile, and a run reuses a stored row only where the recorded fingerprint is
// the one of the data it would compute the cell on:
//
//   - equal fingerprints: the row is reused, as before;
//   - different ones: the run stops before computing anything, with one line naming the cell,
//     both folders and both fingerprints (*DataMismatchError);
//   - no DataFile (a row written before fingerprints were recorded): nothing says which data
//     the row came from, so it is not reused — the cell is computed again and its row replaced.

// DataFile is the file in a cell's directory that records the fingerprint of the data the
// cell was computed on.
const DataFile = "data.json"

// fingerprintCacheFile is the run directory's cache of data fingerprints (see fingerprinter).
const fingerprintCacheFile = "data-fingerprints.json"

// DataPrint identifies the files of a dataset: the SHA-256 of every regular file under its
// folder (recursively, names starting with "." left out), each as its path relative to the
// folder, its size and its bytes, in the order of their paths. Two folders holding the same
// files (wherever they are) have the same fingerprint; a file added, removed, renamed or
// changed changes it.
type DataPrint struct {
	Dataset string `json:"dataset"` // the dataset's name (dataset.name)
	Dir     string `json:"dir"`     // the folder hashed, absolute
	Files   int    `json:"files"`   // regular files hashed
	Bytes   int64  `json:"bytes"`   // their total size
	SHA256  string `json:"sha256"`  // hex
}

// short is the fingerprint as the error messages show it.
func (p DataPrint) short() string {
	return fmt.Sprintf("%s at %s (%d files, %d bytes, sha256 %.12s)", p.Dataset, p.Dir, p.Files, p.Bytes, p.SHA256)
}

// DataMismatchError is the error of a run into a directory whose finished cells were
// computed on other data than the run's: the same cell IDs (which leave out dataset.path)
// over different files. Nothing is computed or written.
type DataMismatchError struct {
	Dir        string    // the run directory
	Cells      []string  // the IDs of the cells whose recorded data differs, in run order
	Stored     DataPrint // what the first of them recorded
	Data       DataPrint // what this run would compute it on
	TotalCells int       // the cells of the run
}

func (e *DataMismatchError) Error() string {
	return fmt.Sprintf("experiments: %s: %d of %d finished cells were computed on other data (cells/%s: %s; this run: %s); give another -out, or delete their folders in cells/ to recompute them",
		e.Dir, len(e.Cells), e.TotalCells, e.Cells[0], e.Stored.short(), e.Data.short())
}

// dataDir is the folder Load reads for s: its path, or the default folder of mnist and
// fashion-mnist.
func dataDir(s datasets.Spec) (string, error) {
	if s.Path != "" {
		return s.Path, nil
	}
	switch s.Name {
	case "mnist":
		return datasets.EmbeddedMNISTDir()
	case "fashion-mnist":
		return datasets.FashionMNISTDir()
	}
	return "", fmt.Errorf("experiments: %s: no dataset path given", s.Name)
}

// fingerprinter computes data fingerprints, each folder's once, with a cache kept in the run
// directory: a folder whose listing (every file's path, size and modification time) is the
// one cached is not read again. A cache that cannot be read or written is only slower.
type fingerprinter struct {
	cacheFile string
	cache     map[string]cachedPrint // by the listing's hash
	done      map[string]DataPrint   // by dataset name and folder, this run
}

// cachedPrint is an entry of the cache file.
type cachedPrint struct {
	Dir    string `json:"dir"`
	Files  int    `json:"files"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

func newFingerprinter(out string) *fingerprinter {
	f := &fingerprinter{cacheFile: filepath.Join(out, fingerprintCacheFile), cache: map[string]cachedPrint{}, done: map[string]DataPrint{}}
	if b, err := os.ReadFile(f.cacheFile); err == nil {
		if json.Unmarshal(b, &f.cache) != nil {
			f.cache = map[string]cachedPrint{}
		}
	}
	return f
}

// of returns the fingerprint of the files of the dataset s selects.
func (f *fingerprinter) of(s datasets.Spec) (DataPrint, error) {
	dir, err := dataDir(s)
	if err != nil {
		return DataPrint{}, err
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	key := s.Name + "\x00" + dir
	if p, ok := f.done[key]; ok {
		return p, nil
	}
	files, listing, err := listData(dir)
	if err != nil {
		return DataPrint{}, fmt.Errorf("experiments: %s: %w", s.Name, err)
	}
	c, ok := f.cache[listing]
	if !ok || c.Dir != dir {
		if c, err = hashData(dir, files); err != nil {
			return DataPrint{}, fmt.Errorf("experiments: %s: %w", s.Name, err)
		}
		f.cache[listing] = c
		f.save()
	}
	p := DataPrint{Dataset: s.Name, Dir: dir, Files: c.Files, Bytes: c.Bytes, SHA256: c.SHA256}
	f.done[key] = p
	return p, nil
}

// save writes the cache file, best effort.
func (f *fingerprinter) save() {
	b, err := json.MarshalIndent(f.cache, "", "  ")
	if err != nil {
		return
	}
	dir := filepath.Dir(f.cacheFile)
	if _, err := os.Stat(dir); err != nil {
		return // the run directory does not exist yet: the next run caches
	}
	tmp, err := os.CreateTemp(dir, "."+fingerprintCacheFile+".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), f.cacheFile) != nil {
		os.Remove(tmp.Name())
	}
}

// dataFile is one file of a dataset folder.
type dataFile struct {
	rel  string // slash-separated path relative to the folder
	size int64
}

// listData lists the regular files under dir (following symbolic links to files, not to
// folders; names starting with "." left out), sorted by path, and returns them with the
// SHA-256 of the listing: every file's path, size and modification time.
func listData(dir string) ([]dataFile, string, error) {
	var files []dataFile
	h := sha256.New()
	h.Write([]byte(dir + "\x00"))
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		fi, err := os.Stat(p) // follows a link to a file
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, dataFile{rel: filepath.ToSlash(rel), size: fi.Size()})
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", filepath.ToSlash(rel), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("%s: no files", dir)
	}
	// WalkDir visits in lexical order of each folder's names; sort the whole paths so that the
	// order depends on the paths alone.
	slices.SortFunc(files, func(a, b dataFile) int { return strings.Compare(a.rel, b.rel) })
	return files, hex.EncodeToString(h.Sum(nil)), nil
}

// hashData hashes the files of dir: for each, its path, a NUL, its size (8 bytes, little
// endian) and its bytes.
func hashData(dir string, files []dataFile) (cachedPrint, error) {
	h := sha256.New()
	c := cachedPrint{Dir: dir, Files: len(files)}
	var size [8]byte
	for _, f := range files {
		h.Write([]byte(f.rel + "\x00"))
		binary.LittleEndian.PutUint64(size[:], uint64(f.size))
		h.Write(size[:])
		r, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.rel)))
		if err != nil {
			return cachedPrint{}, err
		}
		n, err := io.Copy(h, r)
		r.Close()
		if err != nil {
			return cachedPrint{}, err
		}
		if n != f.size {
			return cachedPrint{}, fmt.Errorf("%s changed while it was read", filepath.Join(dir, f.rel))
		}
		c.Bytes += n
	}
	c.SHA256 = hex.EncodeToString(h.Sum(nil))
	return c, nil
}

// storedPrint reads the DataFile of a cell directory; ok is false when it has none.
func storedPrint(cellDir string) (p DataPrint, ok bool, err error) {
	path := filepath.Join(cellDir, DataFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DataPrint{}, false, nil
	}
	if err != nil {
		return DataPrint{}, false, fmt.Errorf("experiments: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil || p.SHA256 == "" {
		return DataPrint{}, false, fmt.Errorf("experiments: %s: not a data fingerprint (delete the cell's folder to recompute it)", path)
	}
	return p, true, nil
}
