package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/internal/runtest"
)

// TestExportImport exports a trained cell (runexp export) and runs the same cell on the
// exported model.npz (model.weights): nothing is trained, the checkpoint holds the same bytes,
// and evaluation through the protocol (the same secrets: the seed is the same) gives the same
// accuracy.
func TestExportImport(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	cfg := tinyConfig(t, "")
	out := t.TempDir()
	rows, err := Run(cfg, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	cell := filepath.Join(out, "cells", rows[0].Cell)
	files, err := Export(cell, filepath.Join(out, "export"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if strings.Join(names, " ") != "model.npz head.npz body.npz tail.npz arch.yaml" {
		t.Fatalf("exported %v", names)
	}
	text := strings.Replace(runtest.TinyConfig(""), "model: {arch: mnist-cnn, split: 1}",
		"model: {arch: mnist-cnn, split: 1, weights: "+files[0]+"}", 1)
	imp, err := config.Parse("imported.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	out2 := t.TempDir()
	rows2, err := Run(imp, Options{Out: out2})
	if err != nil {
		t.Fatal(err)
	}
	r, r2 := rows[0], rows2[0]
	if r2.Cell == r.Cell || r2.Epochs != 0 || r2.TrainLoss != 0 || !strings.Contains(r2.Notes["weights"], "imported from model.npz") {
		t.Errorf("imported cell %s: epochs %d, loss %v, notes %v", r2.Cell, r2.Epochs, r2.TrainLoss, r2.Notes)
	}
	if r2.Accuracy != r.Accuracy {
		t.Errorf("accuracy %v with the imported weights, %v trained", r2.Accuracy, r.Accuracy)
	}
	a, _ := os.ReadFile(filepath.Join(cell, CheckpointFile))
	b, _ := os.ReadFile(filepath.Join(out2, "cells", r2.Cell, CheckpointFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the imported cell's checkpoint differs from the exported one's")
	}
	if _, err := Export(filepath.Join(out, "cells", "nope"), t.TempDir()); err == nil || !strings.Contains(err.Error(), "model.ckpt") {
		t.Errorf("export of a directory without a checkpoint: %v", err)
	}
}

// TestImageFolderSkipBad runs a cell of a described network on an image folder with an
// unreadable image and skip_bad: the cell runs, and its row notes the skipped image.
func TestImageFolderSkipBad(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	dir := runtest.ImageFolder(t, 96, 48)
	bad := filepath.Join(dir, "train", "down", "0001.png")
	if err := os.WriteFile(bad, []byte("not a PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := `name: folder
seed: 2
dataset: {name: image-folder, path: ` + dir + `, size: [16, 20], channels: 1, skip_bad: true}
model:
  split: 1
  layers:
    - {kind: conv, channels: 4, kernel: 3, padding: 1}
    - {kind: relu}
    - {kind: avgpool, kernel: 2}
    - {kind: conv, channels: 8, kernel: 3, stride: 2}
    - {kind: relu}
    - {kind: gap}
    - {kind: dense}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 16, eval_batch_size: 16}
`
	cfg, err := config.Parse("folder.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Run(cfg, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.TrainLimit != 95 || r.TestLimit != 48 || r.Arch != config.InlineArch || !strings.HasPrefix(r.Notes["skipped"], "1 unreadable images skipped, the first "+bad+": cannot decode the image") {
		t.Errorf("row: %d training, %d test images, arch %q, notes %v", r.TrainLimit, r.TestLimit, r.Arch, r.Notes)
	}
	// Without skip_bad the run stops before writing anything, naming the file.
	cfg, err = config.Parse("folder.yaml", []byte(strings.Replace(text, ", skip_bad: true", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Run(cfg, Options{Out: filepath.Join(out, "run")}); err == nil || !strings.Contains(err.Error(), bad+": cannot decode the image") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a corrupt image without skip_bad: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "run")); err == nil {
		t.Error("the refused run wrote its directory")
	}
}
