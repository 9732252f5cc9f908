package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The results readers on arbitrary files: they never panic, and whatever they accept writes
// back (WriteJSON, WriteCSV) to a file that reads as the same rows. NaN and ±Inf count as
// equal to themselves (the rows are compared through their JSON form, which spells them out).

// fuzzFile writes in to a file of the given name in a fresh directory.
func fuzzFile(t *testing.T, name string, in []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, in, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sameRows reports whether two row lists have the same JSON form.
func sameRows(t *testing.T, a, b []Row) bool {
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("rows that were read do not encode: %v", err)
	}
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// seedRuns adds the results files of committed runs to a fuzz corpus.
func seedRuns(f *testing.F, name string) {
	paths, _ := filepath.Glob(filepath.Join("paper", "*", name))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) <= 16<<10 { // small enough for the mutator to work on
			f.Add(b)
		}
	}
}

func FuzzReadJSON(f *testing.F) {
	seedRuns(f, "results.json")
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"cell":"a","accuracy":"NaN","metrics":{"x_acc":"+Inf"},"notes":{"k":"v"}}]`))
	f.Add([]byte(`[{"cell":"a","unknown":1}]`))
	f.Add([]byte(`[] []`))
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, err := ReadJSON(fuzzFile(t, "results.json", in))
		if err != nil {
			return
		}
		out := filepath.Join(t.TempDir(), "again.json")
		if err := WriteJSON(out, rows); err != nil {
			t.Fatalf("rows that were read do not write: %v", err)
		}
		back, err := ReadJSON(out)
		if err != nil {
			t.Fatalf("written rows do not read back: %v", err)
		}
		if !sameRows(t, rows, back) {
			t.Fatalf("rows change in a write and read")
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	seedRuns(f, "results.csv")
	var empty bytes.Buffer
	writeCSVTo(f, &empty)
	f.Add(empty.Bytes())
	f.Add([]byte("cell\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, err := ReadCSV(fuzzFile(t, "results.csv", in))
		if err != nil {
			return
		}
		out := filepath.Join(t.TempDir(), "again.csv")
		if err := WriteCSV(out, rows); err != nil {
			t.Fatalf("rows that were read do not write: %v", err)
		}
		back, err := ReadCSV(out)
		if err != nil {
			t.Fatalf("written rows do not read back: %v", err)
		}
		if !sameRows(t, rows, back) {
			t.Fatalf("rows change in a write and read:\n%+v\n%+v", rows, back)
		}
	})
}

// writeCSVTo writes the header of an empty results.csv into b.
func writeCSVTo(f *testing.F, b *bytes.Buffer) {
	p := filepath.Join(f.TempDir(), "empty.csv")
	if err := WriteCSV(p, nil); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	b.Write(data)
}
