package results

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestWireRowsRoundTrip: wire rows written as JSON read back exactly, NaN included; the CSV
// header is the column list, which names every field once and has the columns a wire study
// promises.
func TestWireRowsRoundTrip(t *testing.T) {
	rows := []WireRow{
		{Phase: "latency", Variant: WireDataMix, Cell: "abc", Dataset: "mnist", Arch: "mnist-cnn", Split: 1, GroupSize: 2,
			Link: "3g", LinkUpMbit: 0.77, LinkDnMbit: 1.5, LinkRTTMS: 150, Edges: 1, Pool: 8, Inputs: 64, Seconds: 3.5,
			Accuracy: 0.98, LatencyP50MS: 1234.5, LatencyP95MS: 1300, LatencyP99MS: 1310.25, LatencyMeanMS: 1250,
			ThroughputPerS: 18.3, CloudRowsPerS: math.NaN(), MeanBatch: 8, BusyFrac: 0.01, CloudCPUCores: math.NaN(),
			UploadBytesMeasured: 12600.5, DownloadBytesMeasured: 530, UploadBytesAnalytic: 12544, DownloadBytesAnalytic: 512,
			EdgeCPUMS: 0.8, EdgeCPUMSAllEdge: 2.1, EdgeCPUFrac: 0.38, EdgeFLOPsFrac: 0.111, Errors: 0, Retries: 2},
		{Phase: "scaling", Variant: WireEdgeOnly, Link: "none", LatencyP50MS: math.Inf(1)},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, WireJSONFile)
	if err := WriteWireJSON(path, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadWireJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		a, b := reflect.ValueOf(rows[i]), reflect.ValueOf(got[i])
		for j := range a.NumField() {
			x, y := a.Field(j).Interface(), b.Field(j).Interface()
			if fx, ok := x.(float64); ok && math.IsNaN(fx) && math.IsNaN(y.(float64)) {
				continue
			}
			if x != y {
				t.Errorf("row %d %s: wrote %v, read %v", i, WireColumns()[j], x, y)
			}
		}
	}
	cols := WireColumns()
	for _, c := range []string{"latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "throughput_per_s", "upload_bytes_measured", "edge_cpu_ms"} {
		if !slices.Contains(cols, c) {
			t.Errorf("no column %s", c)
		}
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if c == "" || seen[c] {
			t.Errorf("column %q empty or repeated", c)
		}
		seen[c] = true
	}
	csvPath := filepath.Join(dir, WireCSVFile)
	if err := WriteWireCSV(csvPath, rows); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(csvPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[0] != strings.Join(cols, ",") || !strings.Contains(lines[1], ",NaN,") {
		t.Errorf("wire.csv:\n%s", b)
	}
	if err := os.WriteFile(path, []byte(`[{"phase": "latency", "bogus": 1}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadWireJSON(path); err == nil {
		t.Error("a wire.json with unknown and missing fields was read")
	}
}
