package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/results"
	"github.com/datamix/harness/results/plot"
)

// plotRows are a baseline and DataMix cells at split 1, one per group size ks, each with
// the metrics m (nil for none).
func plotRows(m map[string]float64, ks ...int) []results.Row {
	rows := []results.Row{{Cell: "base", Variant: "baseline", Dataset: "mnist", Arch: "mnist-cnn", GroupSize: 1,
		Coefficients: "none", Seed: 1, Epochs: 1, BatchSize: 32, LR: 0.001, Accuracy: 0.98, EdgeFLOPsFrac: 1}}
	for _, k := range ks {
		rows = append(rows, results.Row{Cell: fmt.Sprintf("k%d", k), Variant: "datamix", Dataset: "mnist",
			Arch: "mnist-cnn", Split: 1, GroupSize: k, Coefficients: "dirichlet", Alpha: 1, Shuffle: true, Seed: 1,
			Epochs: 1, BatchSize: 32, LR: 0.001, Accuracy: 0.97, EdgeFLOPsFrac: 0.1, UploadBytesPerSample: 12544,
			DownloadBytesPerSample: 40, Metrics: m})
	}
	return rows
}

// TestPlotCommand redraws run directories: one with figures to draw gets them and the
// matrix; one with nothing to plot gets a line saying why, and no plots/ folder (an earlier
// drawing's figures and the stale matrix go); one whose only figure is left out for NaN
// cells keeps the note in plots/notes.txt.
func TestPlotCommand(t *testing.T) {
	allNaN := plotRows(nil, 1, 2)
	for i := range allNaN {
		allNaN[i].Accuracy = math.NaN()
	}
	for _, tc := range []struct {
		name   string
		rows   []results.Row
		stdout string   // the whole line
		files  []string // what the run directory holds afterwards, plots/ included
	}{
		{
			name:   "figures",
			rows:   plotRows(map[string]float64{"ica_ssim": 0.5}, 1, 2),
			stdout: "4 plots drawn in DIR/plots (PNG and SVG)",
			files: []string{"defence_matrix.csv", "plots/accuracy_vs_group_size.png", "plots/accuracy_vs_group_size.svg",
				"plots/defence_matrix.png", "plots/defence_matrix.svg", "plots/frontier.png", "plots/frontier.svg",
				"plots/privacy_ica_vs_group_size.png", "plots/privacy_ica_vs_group_size.svg", "results.json"},
		},
		{
			name: "nothing to plot",
			rows: plotRows(nil, 2),
			stdout: "nothing to plot in DIR: accuracy_vs_group_size: every DataMix cell has k=2; " +
				"edge_cost_vs_split: every DataMix cell has split 1; privacy_*, defence_matrix, frontier: no DataMix cell was attacked",
			files: []string{"results.json"},
		},
		{
			name: "nothing left to plot",
			rows: allNaN,
			stdout: "nothing to plot in DIR: accuracy_vs_group_size: the DataMix cells with a finite accuracy have 0 group size(s), need 2; " +
				"edge_cost_vs_split: every DataMix cell has split 1; privacy_*, defence_matrix, frontier: no DataMix cell was attacked",
			files: []string{"plots/" + plot.NotesFile, "results.json"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := results.WriteJSON(filepath.Join(dir, "results.json"), tc.rows); err != nil {
				t.Fatal(err)
			}
			// What an earlier drawing of other rows left: a figure and a matrix.
			if err := os.Mkdir(filepath.Join(dir, plot.Dir), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{filepath.Join(plot.Dir, "old.png"), results.DefenceMatrixFile} {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("stale"), 0o644); err != nil {
					t.Fatal(err)
				}
			}

			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"plot", dir}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if got, want := strings.TrimSpace(stdout.String()), strings.ReplaceAll(tc.stdout, "DIR", dir); got != want {
				t.Errorf("stdout\n%s\nwant\n%s", got, want)
			}
			var files []string
			err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, path)
					files = append(files, filepath.ToSlash(rel))
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(files, " ") != strings.Join(tc.files, " ") {
				t.Errorf("%s holds\n%q\nwant\n%q", dir, files, tc.files)
			}
			if _, err := os.Stat(filepath.Join(dir, plot.Dir)); len(tc.files) == 1 && !os.IsNotExist(err) {
				t.Errorf("%s left behind: %v", plot.Dir, err)
			}
		})
	}
}
