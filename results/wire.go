package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
)

// The files a wire study adds to its run directory (runexp wire): the measurements, one
// WireRow per point, as CSV and as JSON (read back by ReadWireJSON and drawn by package
// results/plot); summary.md gets their tables appended (AppendWireSummary).
const (
	WireCSVFile  = "wire.csv"
	WireJSONFile = "wire.json"
)

// The variants a wire study serves each trained network as.
const (
	// WireEdgeOnly runs the whole network on the edge: nothing is sent.
	WireEdgeOnly = "edge-only"
	// WireCloudPNG uploads each input losslessly compressed (PNG) and runs the whole
	// network in the cloud, which returns the logits.
	WireCloudPNG = "cloud-png"
	// WireSplit is plain split inference: DataMix with k = 1, C = [1].
	WireSplit = "split"
	// WireDataMix is DataMix with k ≥ 2.
	WireDataMix = "datamix"
)

// WireRow is one measured point of a wire study: one served network, one link and number of
// edges, one phase. Its JSON and CSV names are the snake_case of the field names (the
// column list is WireColumns); NaN marks what a point cannot have (a cloud's throughput for
// the edge-only variant, edge CPU time when the cloud ran in the edges' process).
type WireRow struct {
	// Phase is "latency" (one edge through each link, one pool at a time) or "scaling"
	// (many edges at once, each as fast as its answers come back).
	Phase string `col:"phase"`
	// Variant is WireEdgeOnly, WireCloudPNG, WireSplit or WireDataMix; Cell is the trained
	// cell served (the baseline's for the first two).
	Variant string `col:"variant"`
	Cell    string `col:"cell"`
	// Dataset, Arch, Split and GroupSize describe the network and the mixing (k; 1 for the
	// first three variants).
	Dataset   string `col:"dataset"`
	Arch      string `col:"arch"`
	Split     int    `col:"split"`
	GroupSize int    `col:"group_size"`
	// Link names the link profile (link.Names; "none" for the edge-only variant), with its
	// uplink and downlink in Mbit/s and its round trip in ms (0 for unlimited).
	Link       string  `col:"link"`
	LinkUpMbit float64 `col:"link_up_mbit"`
	LinkDnMbit float64 `col:"link_down_mbit"`
	LinkRTTMS  float64 `col:"link_rtt_ms"`
	// Edges is the number of edges serving at once; Pool the inputs per exchange.
	Edges int `col:"edges"`
	Pool  int `col:"pool"`
	// Inputs is the number of inputs served in the measured window, Seconds its length.
	Inputs  int     `col:"inputs"`
	Seconds float64 `col:"seconds"`
	// Accuracy is the fraction of the served inputs classified right.
	Accuracy float64 `col:"accuracy"`
	// LatencyP50MS … are the percentiles of the end-to-end latency of an input: from the
	// edge starting its pool to having the pool's predictions (head, mixing, upload, the
	// cloud's queue and body, download, de-mixing, tail), in milliseconds.
	LatencyP50MS  float64 `col:"latency_p50_ms"`
	LatencyP95MS  float64 `col:"latency_p95_ms"`
	LatencyP99MS  float64 `col:"latency_p99_ms"`
	LatencyMeanMS float64 `col:"latency_mean_ms"`
	// ThroughputPerS is the inputs served per second by all edges together.
	ThroughputPerS float64 `col:"throughput_per_s"`
	// CloudRowsPerS is the rows the cloud's body ran per second, MeanBatch the rows per body
	// run and BusyFrac the fraction of the window the body was computing, all from the
	// cloud's own metrics; CloudCPUCores is the cloud process's CPU time per second of the
	// window (NaN when it ran in the edges' process).
	CloudRowsPerS float64 `col:"cloud_rows_per_s"`
	MeanBatch     float64 `col:"mean_batch"`
	BusyFrac      float64 `col:"busy_frac"`
	CloudCPUCores float64 `col:"cloud_cpu_cores"`
	// UploadBytesMeasured and DownloadBytesMeasured are the bytes that crossed the edges'
	// connections per input, everything above TCP included (gRPC, HTTP/2, TLS, protobuf);
	// UploadBytesAnalytic and DownloadBytesAnalytic are the protocol's own count (float32
	// values of the head's output and the body's; raw 8-bit pixels for cloud-png).
	UploadBytesMeasured   float64 `col:"upload_bytes_measured"`
	DownloadBytesMeasured float64 `col:"download_bytes_measured"`
	UploadBytesAnalytic   float64 `col:"upload_bytes_analytic"`
	DownloadBytesAnalytic float64 `col:"download_bytes_analytic"`
	// EdgeCPUMS is the edges' process's CPU time per input, in ms (head, mixing, tail,
	// encoding, the gRPC client, the link emulation); EdgeCPUMSAllEdge is that of the
	// edge-only variant of the same network (the whole network on the edge), and EdgeCPUFrac
	// their ratio. EdgeFLOPsFrac is the analytic share of the FLOPs, for comparison.
	EdgeCPUMS        float64 `col:"edge_cpu_ms"`
	EdgeCPUMSAllEdge float64 `col:"edge_cpu_ms_all_edge"`
	EdgeCPUFrac      float64 `col:"edge_cpu_frac"`
	EdgeFLOPsFrac    float64 `col:"edge_flops_frac"`
	// Errors is the number of exchanges that failed; Retries the requests repeated.
	Errors  int `col:"errors"`
	Retries int `col:"retries"`
}

// WireColumns returns the names of the columns of wire.csv, in order: a user contract.
func WireColumns() []string {
	t := reflect.TypeOf(WireRow{})
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Tag.Get("col")
	}
	return names
}

// fields returns the row's values as text, in column order (floats in the shortest
// round-trip form, NaN and ±Inf as NaN, +Inf, -Inf).
func (r WireRow) fields() []string {
	v := reflect.ValueOf(r)
	out := make([]string, v.NumField())
	for i := range out {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			out[i] = f.String()
		case reflect.Int:
			out[i] = strconv.FormatInt(f.Int(), 10)
		case reflect.Float64:
			out[i] = formatFloat(f.Float())
		}
	}
	return out
}

// MarshalJSON writes the row as an object with the column names.
func (r WireRow) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	v := reflect.ValueOf(r)
	for i, name := range WireColumns() {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", name)
		f := v.Field(i)
		var val []byte
		var err error
		switch f.Kind() {
		case reflect.Float64:
			val, err = num(f.Float()).MarshalJSON()
		default:
			val, err = json.Marshal(f.Interface())
		}
		if err != nil {
			return nil, err
		}
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes; unknown and missing names are errors.
func (r *WireRow) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	v := reflect.ValueOf(r).Elem()
	names := WireColumns()
	for i, name := range names {
		raw, ok := m[name]
		if !ok {
			return fmt.Errorf("no %q", name)
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Float64:
			var x num
			if err := x.UnmarshalJSON(raw); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			f.SetFloat(float64(x))
		default:
			if err := json.Unmarshal(raw, f.Addr().Interface()); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		delete(m, name)
	}
	for name := range m {
		return fmt.Errorf("unknown field %q", name)
	}
	return nil
}

// WriteWireCSV writes the rows to path as CSV, atomically: the header (WireColumns), then
// one record per row.
func WriteWireCSV(path string, rows []WireRow) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(WireColumns()); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(r.fields()); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// WriteWireJSON writes the rows to path as a JSON array, atomically.
func WriteWireJSON(path string, rows []WireRow) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		if rows == nil {
			rows = []WireRow{}
		}
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
}

// ReadWireJSON reads the rows WriteWireJSON wrote.
func ReadWireJSON(path string) ([]WireRow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var rows []WireRow
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	return rows, nil
}

// AppendWireSummary appends the wire study's tables to the summary at path (written by
// WriteSummary), atomically: the paragraph about (where and how the study was measured),
// then the latency sweep and the scaling sweep, one line per point.
func AppendWireSummary(path, about string, rows []WireRow) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		w.Write(old)
		if about != "" {
			fmt.Fprintf(w, "\n## Over the wire\n\n%s\n", about)
		}
		writeWireTables(w, rows)
		return nil
	})
}

// writeWireTables writes the Markdown tables of a wire study.
func writeWireTables(w io.Writer, rows []WireRow) {
	f := func(x float64, prec int) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "—"
		}
		return strconv.FormatFloat(x, 'f', prec, 64)
	}
	pct := func(x float64) string {
		if math.IsNaN(x) {
			return "—"
		}
		return f(100*x, 1) + "%"
	}
	fmt.Fprint(w, "\n## Over the wire: latency per link (one edge)\n\n")
	fmt.Fprint(w, "| dataset | arch | variant | k | link | inputs | accuracy | p50 ms | p95 ms | p99 ms | upload B/input (measured / analytic) | download B/input (measured / analytic) | edge CPU ms/input | of all-on-edge | edge FLOPs share |\n")
	fmt.Fprint(w, "|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		if r.Phase != "latency" {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %d | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s | %s |\n",
			r.Dataset, r.Arch, r.Variant, r.GroupSize, r.Link, r.Inputs, pct(r.Accuracy),
			f(r.LatencyP50MS, 1), f(r.LatencyP95MS, 1), f(r.LatencyP99MS, 1),
			f(r.UploadBytesMeasured, 0), f(r.UploadBytesAnalytic, 0), f(r.DownloadBytesMeasured, 0), f(r.DownloadBytesAnalytic, 0),
			f(r.EdgeCPUMS, 3), pct(r.EdgeCPUFrac), pct(r.EdgeFLOPsFrac))
	}
	fmt.Fprint(w, "\n## Over the wire: scaling with the number of edges\n\n")
	fmt.Fprint(w, "| dataset | arch | variant | k | link | edges | inputs/s | cloud rows/s | mean batch | busy | cloud CPU cores | p50 ms | p95 ms | p99 ms | errors | retries |\n")
	fmt.Fprint(w, "|---|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		if r.Phase != "scaling" {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d |\n",
			r.Dataset, r.Arch, r.Variant, r.GroupSize, r.Link, r.Edges, f(r.ThroughputPerS, 0), f(r.CloudRowsPerS, 0),
			f(r.MeanBatch, 1), pct(r.BusyFrac), f(r.CloudCPUCores, 2), f(r.LatencyP50MS, 1), f(r.LatencyP95MS, 1), f(r.LatencyP99MS, 1), r.Errors, r.Retries)
	}
}
