package experiments

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/datamix/harness/datasets"
)

// TestDataPrint: the fingerprint depends on the files' paths and bytes, not on where the
// folder is; a changed, added or renamed file changes it, a hidden one does not; a folder
// whose listing is cached is not read again.
func TestDataPrint(t *testing.T) {
	write := func(dir, name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	corpus := func(edit func(dir string)) string {
		dir := t.TempDir()
		write(dir, "a.wav", "alpha")
		write(dir, "sub/b.wav", "beta")
		if edit != nil {
			edit(dir)
		}
		return dir
	}
	sum := func(dir string) string {
		t.Helper()
		p, err := newFingerprinter(t.TempDir()).of(datasets.Spec{Name: "spoken-digits", Path: dir})
		if err != nil {
			t.Fatal(err)
		}
		return p.SHA256
	}
	ref := sum(corpus(nil))
	if got := sum(corpus(nil)); got != ref {
		t.Errorf("the same files elsewhere: %s, want %s", got, ref)
	}
	if got := sum(corpus(func(d string) { write(d, ".DS_Store", "x"); write(d, ".git/x", "y") })); got != ref {
		t.Errorf("hidden files changed the fingerprint")
	}
	for name, edit := range map[string]func(string){
		"a byte changed": func(d string) { write(d, "a.wav", "alphA") },
		"a file added":   func(d string) { write(d, "c.wav", "") },
		"a file renamed": func(d string) { os.Rename(filepath.Join(d, "a.wav"), filepath.Join(d, "z.wav")) },
		"a file moved":   func(d string) { os.Rename(filepath.Join(d, "sub/b.wav"), filepath.Join(d, "b.wav")) },
	} {
		if got := sum(corpus(edit)); got == ref {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}

	// The cache: a second fingerprinter on the same run directory takes the fingerprint of a
	// folder whose listing (paths, sizes, modification times) is unchanged from the cache
	// file, without reading the files: here one was rewritten with the same size and time.
	out, dir := t.TempDir(), corpus(nil)
	spec := datasets.Spec{Name: "spoken-digits", Path: dir}
	p1, err := newFingerprinter(out).of(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, fingerprintCacheFile)); err != nil {
		t.Fatalf("no cache file: %v", err)
	}
	a := filepath.Join(dir, "a.wav")
	fi, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	write(dir, "a.wav", "alphA")
	if err := os.Chtimes(a, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if p2, err := newFingerprinter(out).of(spec); err != nil || p2 != p1 {
		t.Errorf("same listing: %+v, %v; want the cached %+v", p2, err, p1)
	}
	// A new modification time lists differently: the files are read again.
	if err := os.Chtimes(a, fi.ModTime(), fi.ModTime().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if p3, err := newFingerprinter(out).of(spec); err != nil || p3.SHA256 == p1.SHA256 {
		t.Errorf("touched: %+v, %v; want a new fingerprint", p3, err)
	}
}
