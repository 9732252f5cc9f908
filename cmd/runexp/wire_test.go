package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datamix/harness/results"
	"github.com/datamix/harness/results/plot"
)

// TestWireWithCloudProcesses: runexp wire starts each cloud as a process of its own (this
// test binary as runexp, see TestMain), so the edges' CPU time and the cloud's are measured
// apart: every point of a cloud variant has a finite edge CPU time and cloud CPU time, and
// the run directory holds wire.csv, wire.json, the summary's wire tables and both wire figures.
func TestWireWithCloudProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks and starts processes")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "w.yaml")
	out := filepath.Join(dir, "out")
	writeFile(t, cfg, goodConfig+"baseline: true\nwire: {links: [wifi, datacentre], edges: [1, 2], pool: 4, inputs: 8, seconds: 0.5}\n")
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"wire", "-config", cfg, "-out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	points, err := results.ReadWireJSON(filepath.Join(out, results.WireJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 2+4+4 { // edge-only 2; cloud-png and DataMix each 2 links + 2 edge counts
		t.Errorf("%d points", len(points))
	}
	for _, p := range points {
		if !(p.EdgeCPUMS > 0) || math.IsInf(p.EdgeCPUMS, 0) {
			t.Errorf("%s %s %s: edge CPU %v ms per input", p.Phase, p.Variant, p.Link, p.EdgeCPUMS)
		}
		if p.Phase == "scaling" && p.Variant != results.WireEdgeOnly && !(p.CloudCPUCores > 0) {
			t.Errorf("%s %s: the cloud process's CPU %v cores", p.Phase, p.Variant, p.CloudCPUCores)
		}
	}
	for _, f := range []string{results.WireCSVFile, "plots/" + plot.WireLatencyFigure + ".png", "plots/" + plot.WireScalingFigure + ".svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "summary.md")); !strings.Contains(string(b), "## Over the wire: scaling") {
		t.Error("summary.md has no wire tables")
	}
}

// TestEdgeCloudAttack: the three commands of the quick start and an attack on the traffic —
// runexp cloud serves a trained cell's body and captures what it receives, runexp edge serves
// the test split through it and records its secrets, and runexp attack runs the config's
// attacks on the capture, scored with the secrets.
func TestEdgeCloudAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	runDir := filepath.Join(dir, "run")
	writeFile(t, cfg, goodConfig+"attacks: [{kind: ica, victims: 64}, {kind: group_matching, victims: 64}]\n")
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"run", "-config", cfg, "-out", runDir}, &stdout, &stderr); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr.String())
	}
	bodies, _ := filepath.Glob(filepath.Join(runDir, "cells", "*", "body.ckpt"))
	if len(bodies) != 1 {
		t.Fatalf("%d body files", len(bodies))
	}
	capture, secrets := filepath.Join(dir, "cloud.capture"), filepath.Join(dir, "edge.secrets")
	ctx, stop := context.WithCancel(context.Background())
	out, outW := io.Pipe()
	code := make(chan int, 1)
	var cloudErr strings.Builder
	go func() {
		code <- run(ctx, []string{"cloud", "-body", bodies[0], "-listen", "127.0.0.1:0", "-metrics", "", "-capture", capture}, outW, &cloudErr)
		outW.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		t.Fatalf("no serving line: %v\n%s", err, cloudErr.String())
	}
	go io.Copy(io.Discard, out)
	var model, addr, maddr string
	fmt.Sscanf(strings.TrimSpace(line), strings.TrimSuffix(servingLine, "\n"), &model, &addr, &maddr)
	stdout.Reset()
	stderr.Reset()
	if c := run(context.Background(), []string{"edge", "-config", cfg, "-run", runDir, "-cloud", addr, "-record", secrets}, &stdout, &stderr); c != 0 {
		stop()
		t.Fatalf("edge: exit %d: %s", c, stderr.String())
	}
	if !strings.Contains(stdout.String(), "accuracy") || !strings.Contains(stdout.String(), "p99") {
		t.Errorf("edge output:\n%s", stdout.String())
	}
	stop()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("cloud: exit %d: %s", c, cloudErr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cloud did not stop")
	}
	stdout.Reset()
	stderr.Reset()
	scores := filepath.Join(dir, "scores.json")
	if c := run(context.Background(), []string{"attack", "-capture", capture, "-secrets", secrets, "-config", cfg, "-run", runDir, "-out", scores}, &stdout, &stderr); c != 0 {
		t.Fatalf("attack: exit %d: %s", c, stderr.String())
	}
	for _, col := range []string{"ica_corr", "group_match_acc"} {
		if !strings.Contains(stdout.String(), col) {
			t.Errorf("attack output lacks %s:\n%s", col, stdout.String())
		}
	}
	if _, err := os.Stat(scores); err != nil {
		t.Error(err)
	}
	// A secrets file of another exchange is refused, naming both files.
	other := filepath.Join(dir, "other.capture")
	writeFile(t, other, "not a capture")
	if c := run(context.Background(), []string{"attack", "-capture", other, "-secrets", secrets, "-config", cfg, "-run", runDir}, &stdout, &stderr); c != 1 || !strings.Contains(stderr.String(), "not a DataMix capture") {
		t.Errorf("a bad capture: exit %d, %s", c, stderr.String())
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
