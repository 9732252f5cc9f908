package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodConfig = `name: cli
seed: 1
dataset: {name: mnist, path: "", train_limit: 128, test_limit: 64}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2, coefficients: dirichlet, alpha: 1.0, shuffle: true}
train: {epochs: 1, batch_size: 32, lr: 0.001, eval_batch_size: 32}
`

// writeIDX writes a gzipped IDX images file holding n 28×28 images but only keep bytes of pixels.
func writeIDX(t *testing.T, path string, n, keep int) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	binary.Write(zw, binary.BigEndian, []uint32{0x803, uint32(n), 28, 28})
	zw.Write(make([]byte, keep))
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeLabels(t *testing.T, path string, n int) {
	t.Helper()
	var buf bytes.Buffer
	binary.Write(&buf, binary.BigEndian, []uint32{0x801, uint32(n)})
	buf.Write(make([]byte, n))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadInput: each bad input gives a one-line error naming the problem, a non-zero exit
// and no output directory.
func TestBadInput(t *testing.T) {
	truncated := t.TempDir()
	writeIDX(t, filepath.Join(truncated, "train-images-idx3-ubyte.gz"), 10, 28*28*3)
	writeLabels(t, filepath.Join(truncated, "train-labels-idx1-ubyte"), 10)
	writeIDX(t, filepath.Join(truncated, "t10k-images-idx3-ubyte.gz"), 10, 28*28*10)
	writeLabels(t, filepath.Join(truncated, "t10k-labels-idx1-ubyte"), 10)

	cases := []struct {
		name, from, to string
		want           []string // fragments of the error line
	}{
		{"unknown key", "seed: 1\n", "seed: 1\nsede: 2\n", []string{"cfg.yaml:3", "sede"}},
		{"group size 0", "group_size: 2", "group_size: 0", []string{"cfg.yaml:5", "group_size"}},
		{"group size negative", "group_size: 2", "group_size: -3", []string{"cfg.yaml:5", "group_size"}},
		{"split too deep", "split: 1", "split: 9", []string{"cfg.yaml:4", "split"}},
		{"singular matrix", "coefficients: dirichlet, alpha: 1.0", "coefficients: fixed, matrix: [[1, 2], [2, 4]]", []string{"cfg.yaml:5", "singular"}},
		{"matrix size", "coefficients: dirichlet, alpha: 1.0", "coefficients: fixed, matrix: [[0.7, 0.3, 0], [0.6, 0.4, 0], [0, 0, 1]]", []string{"cfg.yaml:5", "matrix"}},
		{"batch not multiple", "batch_size: 32", "batch_size: 33", []string{"cfg.yaml:6", "batch_size"}},
		{"missing dataset", `name: mnist, path: ""`, `name: mnist, path: "/no/such/mnist"`, []string{"/no/such/mnist"}},
		{"truncated idx", `name: mnist, path: ""`, `name: mnist, path: "` + truncated + `"`, []string{"train-images-idx3-ubyte.gz", "truncated"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(goodConfig, c.from) {
				t.Fatalf("test bug: %q not in the config", c.from)
			}
			dir := t.TempDir()
			cfg := filepath.Join(dir, "cfg.yaml")
			os.WriteFile(cfg, []byte(strings.Replace(goodConfig, c.from, c.to, 1)), 0o644)
			out := filepath.Join(dir, "out")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"run", "-config", cfg, "-out", out}, &stdout, &stderr)
			msg := stderr.String()
			if code == 0 {
				t.Fatalf("exit 0, want non-zero; stderr %q", msg)
			}
			if strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output directory was created for a bad input")
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"run"}, {"run", "-config"},
		{"run", "-config", "x.yaml", "-jobs", "0"}, {"run", "-config", "x.yaml", "-shard", "3/3"},
		{"run", "-config", "x.yaml", "-shard", "1"}, {"merge"}, {"merge", "-out", "x"}, {"plot"}, {"plot", "a", "b"}, {"cells"}, {"cells", "-config", "x.yaml", "-shard", "2/2"}} {
		var o, e bytes.Buffer
		if code := run(context.Background(), args, &o, &e); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

// TestRunWritesOutputs runs a tiny config end to end through the CLI.
func TestRunWritesOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.yaml")
	os.WriteFile(cfg, []byte(goodConfig+"baseline: true\n"), 0o644)
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "-config", cfg, "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	csv, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 3 {
		t.Fatalf("results.csv has %d lines, want header + 2 rows", len(lines))
	}
	for _, col := range []string{"variant", "dataset", "arch", "split", "group_size", "coefficients", "shuffle", "seed",
		"accuracy", "edge_flops", "cloud_flops", "edge_flops_frac", "upload_bytes_per_sample", "download_bytes_per_sample", "train_seconds"} {
		if !strings.Contains(","+lines[0]+",", ","+col+",") {
			t.Errorf("results.csv lacks column %s", col)
		}
	}
}

// TestCells lists a config's cells, or one shard's, without running anything.
func TestCells(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.yaml")
	os.WriteFile(cfg, []byte(goodConfig+"baseline: true\nsweep: {mixing.group_size: [1, 2, 4]}\n"), 0o644)
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"cells", "-config", cfg, "-shard", "1/2"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	lines := strings.Split(strings.TrimSpace(o.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "1\t") || !strings.Contains(lines[0], "datamix {mixing.group_size: 1}") ||
		!strings.HasPrefix(lines[1], "3\t") || !strings.Contains(lines[1], "datamix {mixing.group_size: 4}") {
		t.Errorf("cells of shard 1/2:\n%s", o.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !os.IsNotExist(err) {
		t.Errorf("cells wrote a run directory")
	}
	o.Reset()
	os.WriteFile(cfg, []byte(strings.Replace(goodConfig, "group_size: 2", "group_size: 0", 1)), 0o644)
	if code := run(context.Background(), []string{"cells", "-config", cfg}, &o, &e); code != 1 || !strings.Contains(e.String(), "group_size") {
		t.Errorf("bad config: exit %d, stderr %q", code, e.String())
	}
}
