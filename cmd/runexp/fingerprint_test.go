package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/internal/speechtest"
)

// speechRun writes a speech config on the corpus in data and returns its path and runexp's
// arguments to run it into out with the extra arguments.
func speechRun(t *testing.T, data, out string, extra ...string) []string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "speech.yaml")
	text := fmt.Sprintf(`name: speakers
seed: 1
baseline: true
dataset: {name: spoken-digits, path: %q, train_limit: 96, test_limit: 30}
model: {arch: speech-cnn, split: 1}
mixing: {group_size: 2, coefficients: dirichlet, alpha: 1.0, shuffle: false}
train: {epochs: 1, batch_size: 32, eval_batch_size: 30}
`, data)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return append([]string{"run", "-config", cfg, "-out", out, "-jobs", "1"}, extra...)
}

func runCLI(t *testing.T, args []string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// TestResumeOnOtherData: a run on a 6-speaker corpus, then the same config pointed at a
// 3-speaker corpus (-set dataset.path) into the same directory. The cell IDs leave out
// dataset.path, so the cells are the same by ID; the second run must not report the first
// run's numbers as its own, but stop with one line naming both corpora. The same data
// resumes; a row without a recorded fingerprint is computed again.
func TestResumeOnOtherData(t *testing.T) {
	six, three := t.TempDir(), t.TempDir()
	if err := speechtest.WriteSpokenDigits(six, speechtest.Options{Speakers: 6, Reps: 3, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := speechtest.WriteSpokenDigits(three, speechtest.Options{Speakers: 3, Reps: 6, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runCLI(t, speechRun(t, six, out)); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	before, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}

	code, _, stderr := runCLI(t, speechRun(t, six, out, "-set", "dataset.path="+three))
	if code != 1 {
		t.Fatalf("run on the other corpus into the same directory: exit %d, want 1; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "resumed") {
		t.Errorf("the other corpus's run reused the first run's cells:\n%s", stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 {
		t.Errorf("want a one-line error, got %d lines:\n%s", len(lines), stderr)
	}
	for _, want := range []string{"other data", six, three, "cells/"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error lacks %q:\n%s", want, stderr)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(out, "results.csv")); !bytes.Equal(before, after) {
		t.Error("the refused run rewrote results.csv")
	}

	// The first corpus again: every cell resumes.
	code, _, stderr = runCLI(t, speechRun(t, six, out))
	if code != 0 || strings.Count(stderr, "(resumed)") != 2 {
		t.Fatalf("rerun on the same corpus: exit %d, want both cells resumed:\n%s", code, stderr)
	}

	// A row without a fingerprint (written before they were recorded) is computed again.
	prints, _ := filepath.Glob(filepath.Join(out, "cells", "*", experiments.DataFile))
	if len(prints) != 2 {
		t.Fatalf("%d cells with a %s, want 2", len(prints), experiments.DataFile)
	}
	if err := os.Remove(prints[0]); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, speechRun(t, six, out))
	if code != 0 || strings.Count(stderr, "(resumed)") != 1 || !strings.Contains(stderr, "start") {
		t.Fatalf("rerun with one fingerprint removed: exit %d, want one cell resumed and one computed:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "before data fingerprints were recorded") {
		t.Errorf("the recomputed cell was not said to lack a fingerprint:\n%s", stderr)
	}
	if _, err := os.Stat(prints[0]); err != nil {
		t.Errorf("the recomputed cell has no fingerprint: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "results.csv")); !bytes.Equal(stripTimes(before), stripTimes(after)) {
		t.Errorf("recomputing the cell changed its numbers:\n%s\n%s", before, after)
	}
}

// stripTimes blanks the train_seconds and eval_seconds columns of a results.csv.
func stripTimes(csv []byte) []byte {
	lines := strings.Split(string(csv), "\n")
	cols := strings.Split(lines[0], ",")
	drop := map[int]bool{}
	for i, c := range cols {
		if c == "train_seconds" || c == "eval_seconds" {
			drop[i] = true
		}
	}
	for j := 1; j < len(lines); j++ {
		f := strings.Split(lines[j], ",")
		for i := range f {
			if drop[i] {
				f[i] = ""
			}
		}
		lines[j] = strings.Join(f, ",")
	}
	return []byte(strings.Join(lines, "\n"))
}
