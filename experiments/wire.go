package experiments

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
	"github.com/datamix/harness/wire"
	"github.com/datamix/harness/wire/link"
)

// WireOptions control a wire study (RunWire).
type WireOptions struct {
	// Options are the run's: the output directory, the observer of the training, the
	// number of cells trained at once.
	Options
	// Clouds starts the clouds; nil serves them from this process (InProcessClouds).
	Clouds CloudStarter
	// Log, when set, receives a line as each measurement starts.
	Log func(string)
}

// RunWire runs a wire study: it trains and evaluates the config's cells as RunContext does
// (finished cells are reused), then serves each trained network as its variants and measures
// them, and writes wire.csv and wire.json beside the run's files and appends their tables to
// summary.md. It returns the run's rows and the measured points.
//
// A baseline cell is served twice: everything on the edge (results.WireEdgeOnly: the
// network runs in this process, nothing is sent) and the raw input uploaded as PNG with the
// whole network in the cloud (results.WireCloudPNG: the cloud is given the cell's body and
// tail files); a DataMix cell once, as plain split inference at k = 1 (results.WireSplit) or
// DataMix at k ≥ 2 (results.WireDataMix): the edge runs the head and tail files, the cloud
// is given the body file alone. Each served variant gets one cloud, which the study measures
// in two phases:
//
//   - latency: one edge serves cfg.Wire.Inputs test images, one pool of cfg.Wire.Pool at a
//     time, through each link of cfg.Wire.Links (the edge-only variant once, without a
//     link); after one pool to warm up, it records each pool's end-to-end latency, the bytes
//     its connection carried and this process's CPU time;
//   - scaling: cfg.Wire.Edges[i] edges at once through cfg.Wire.ScalingLink, each serving
//     pools as fast as its answers come back, starting pools for cfg.Wire.Seconds after one
//     pool each to warm up; the window ends when the last pool is answered; the cloud's own
//     metrics give its rows, batches and busy time over the window.
//     The edge-only variant runs one edge on its own, the throughput of one device.
//
// Every edge draws its secrets from crypto/rand, as a deployment does. The edges run in this
// process; with a CloudStarter that runs clouds as processes of their own (runexp wire), this
// process's CPU time is the edges' alone, otherwise the rows report none (NaN).
func RunWire(ctx context.Context, cfg *config.Config, opts WireOptions) ([]results.Row, []results.WireRow, error) {
	if cfg.Wire == nil {
		return nil, nil, fmt.Errorf("experiments: config %s has no wire section", cfg.Name)
	}
	rows, err := RunContext(ctx, cfg, opts.Options)
	if err != nil {
		return rows, nil, err
	}
	cells, err := config.Expand(cfg)
	if err != nil {
		return rows, nil, err
	}
	start, load0 := time.Now(), loadAverage()
	w := &wireRun{cfg: cfg.Wire.Resolved(), out: opts.Out, clouds: opts.Clouds, log: opts.Log, data: map[datasets.Spec]*datasets.Dataset{}}
	if w.clouds == nil {
		w.clouds = InProcessClouds{}
	}
	if w.log == nil {
		w.log = func(string) {}
	}
	byID := map[string]results.Row{}
	for _, r := range rows {
		byID[r.Cell] = r
	}
	var points []results.WireRow
	for i := range cells {
		c := &cells[i]
		variants := []string{results.WireSplit}
		switch {
		case c.Variant == config.VariantBaseline:
			variants = []string{results.WireEdgeOnly, results.WireCloudPNG}
		case c.Config.Mixing.GroupSize > 1:
			variants = []string{results.WireDataMix}
		}
		for _, v := range variants {
			if err := ctx.Err(); err != nil {
				return rows, points, err
			}
			got, err := w.measure(ctx, c, byID[c.ID], v)
			if err != nil {
				return rows, points, fmt.Errorf("experiments: wire study, cell %s (%s) as %s: %w", c.ID, c.Label(), v, err)
			}
			points = append(points, got...)
		}
	}
	relateToEdgeOnly(points)
	if err := results.WriteWireCSV(filepath.Join(opts.Out, results.WireCSVFile), points); err != nil {
		return rows, points, err
	}
	if err := results.WriteWireJSON(filepath.Join(opts.Out, results.WireJSONFile), points); err != nil {
		return rows, points, err
	}
	how := "clouds in this process (no CPU times)"
	if _, ok := w.clouds.(InProcessClouds); !ok {
		how = "each cloud a process of its own, the edges goroutines of the study's process"
	}
	about := fmt.Sprintf("Measured %s on %d CPUs (%s), loopback only; %s. The measurements took %s; load average (1, 5, 15 min) %s at their start, %s at their end.",
		start.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.GOARCH, how, time.Since(start).Round(time.Second), load0, loadAverage())
	return rows, points, results.AppendWireSummary(filepath.Join(opts.Out, "summary.md"), about, points)
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes (Linux's
// /proc/loadavg), or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], ", ")
	}
	return "unknown"
}

// relateToEdgeOnly sets each point's edge CPU time beside that of the edge-only variant of
// the same network (same dataset and architecture) in the same phase: the whole network on
// one edge, pool by pool (latency) or as fast as it goes (scaling).
func relateToEdgeOnly(points []results.WireRow) {
	for i := range points {
		p := &points[i]
		p.EdgeCPUMSAllEdge, p.EdgeCPUFrac = math.NaN(), math.NaN()
		for _, q := range points {
			if q.Variant == results.WireEdgeOnly && q.Dataset == p.Dataset && q.Arch == p.Arch && q.Phase == p.Phase {
				p.EdgeCPUMSAllEdge = q.EdgeCPUMS
				p.EdgeCPUFrac = p.EdgeCPUMS / q.EdgeCPUMS
				break
			}
		}
	}
}

// wireRun is one wire study in progress.
type wireRun struct {
	cfg    config.Wire // resolved
	out    string
	clouds CloudStarter
	log    func(string)
	data   map[datasets.Spec]*datasets.Dataset
}

// variantSetup is what serving one cell as one variant needs.
type variantSetup struct {
	variant string
	cell    *config.Cell
	row     results.Row // the cell's training row
	dir     string      // the cell's directory
	ds      *datasets.Dataset
	scheme  datamix.Scheme
	cloud   RunningCloud // nil for edge-only
}

// measure serves cell c as variant v and measures both phases.
func (w *wireRun) measure(ctx context.Context, c *config.Cell, row results.Row, v string) ([]results.WireRow, error) {
	spec := datasetSpec(c)
	ds, ok := w.data[spec]
	if !ok {
		var err error
		if ds, err = datasets.Load(spec); err != nil {
			return nil, err
		}
		w.data[spec] = ds
	}
	scheme, err := c.Scheme()
	if err != nil {
		return nil, err
	}
	s := &variantSetup{variant: v, cell: c, row: row, dir: filepath.Join(w.out, "cells", c.ID), ds: ds, scheme: scheme}
	if v != results.WireEdgeOnly {
		cs := CloudSpec{Body: filepath.Join(s.dir, PartFile(models.Body)), MaxBatch: w.cfg.MaxBatch, MaxDelay: w.cfg.MaxDelay(), ConnQueue: w.cfg.ConnQueue}
		if v == results.WireCloudPNG {
			cs.Tail = filepath.Join(s.dir, PartFile(models.Tail))
		}
		if s.cloud, err = w.clouds.Start(ctx, cs); err != nil {
			return nil, err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s.cloud.Stop(sctx)
		}()
	}
	var points []results.WireRow
	links := w.cfg.Links
	if v == results.WireEdgeOnly {
		links = []string{""}
	}
	for _, l := range links {
		p, err := w.latency(ctx, s, l)
		if err != nil {
			return nil, err
		}
		points = append(points, p)
	}
	edges := w.cfg.Edges
	if v == results.WireEdgeOnly { // one device on its own: its throughput and CPU per input
		edges = []int{1}
	}
	for _, n := range edges {
		p, err := w.scaling(ctx, s, n)
		if err != nil {
			return nil, err
		}
		points = append(points, p)
	}
	return points, nil
}

// edgeInstance is one edge of a measurement: serve runs one pool through the variant.
type edgeInstance struct {
	serve  func(ctx context.Context, logits, x []float32) error
	client *wire.Client // nil for edge-only
}

func (e *edgeInstance) close() {
	if e.client != nil {
		e.client.Close()
	}
}

// newEdge builds an edge of the variant, connected through the link profile p.
func (w *wireRun) newEdge(ctx context.Context, s *variantSetup, p link.Profile, seed uint64) (*edgeInstance, error) {
	pool := w.cfg.Pool
	switch s.variant {
	case results.WireEdgeOnly:
		net, err := loadNet(filepath.Join(s.dir, "model.ckpt"))
		if err != nil {
			return nil, err
		}
		pl := datamix.NewPipeline(net, datamix.Scheme{Scheme: mixing.Scheme{K: 1}}, nil)
		pl.SetBatch(pool)
		return &edgeInstance{serve: func(_ context.Context, logits, x []float32) error { return pl.Logits(logits, x) }}, nil
	case results.WireCloudPNG:
		cl, err := wire.Dial(ctx, s.cloud.Addr(), wire.ClientConfig{Link: p, LinkSeed: seed})
		if err != nil {
			return nil, err
		}
		if !cl.Info().PNG {
			cl.Close()
			return nil, fmt.Errorf("the cloud at %s serves %s, which takes no images", s.cloud.Addr(), cl.Info().ID)
		}
		im := s.ds.Test
		images := make([][]byte, pool)
		return &edgeInstance{client: cl, serve: func(ctx context.Context, logits, x []float32) error {
			dim := im.Dim()
			for j := range pool {
				var buf bytes.Buffer
				if err := wire.EncodePNG(&buf, x[j*dim:(j+1)*dim], im.C, im.H, im.W); err != nil {
					return err
				}
				images[j] = buf.Bytes()
			}
			return cl.InferPNG(ctx, logits, images)
		}}, nil
	}
	net, fp, err := LoadEdge(filepath.Join(s.dir, PartFile(models.Head)), filepath.Join(s.dir, PartFile(models.Tail)))
	if err != nil {
		return nil, err
	}
	cl, err := wire.Dial(ctx, s.cloud.Addr(), wire.ClientConfig{Model: ModelID(net, fp, false), Link: p, LinkSeed: seed})
	if err != nil {
		return nil, err
	}
	e := datamix.NewEdge(net, s.scheme, mixing.CryptoRand(), cl)
	e.SetBatch(pool)
	return &edgeInstance{client: cl, serve: e.Logits}, nil
}

// loadNet reads a whole-network checkpoint.
func loadNet(path string) (*models.Net, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return models.Load(f, path)
}

// feeder hands out pools of test images, cycling through the test split.
type feeder struct {
	im   *datasets.Images
	pool int
	next int
}

// fill copies the next pool's images into x and their labels into y.
func (f *feeder) fill(x []float32, y []int) {
	dim := f.im.Dim()
	for j := range f.pool {
		i := (f.next + j) % f.im.N
		copy(x[j*dim:(j+1)*dim], f.im.Row(i))
		y[j] = f.im.Y[i]
	}
	f.next = (f.next + f.pool) % f.im.N
}

// correct counts the pool's inputs whose largest logit is their label's.
func correct(logits []float32, y []int, classes int) int {
	n := 0
	for j, label := range y {
		if models.Argmax(logits[j*classes:(j+1)*classes]) == label {
			n++
		}
	}
	return n
}

// base fills the fields of a point that the variant, the link and the cell set.
func (w *wireRun) base(s *variantSetup, phase, linkName string, p link.Profile, edges int) results.WireRow {
	r := results.WireRow{Phase: phase, Variant: s.variant, Cell: s.cell.ID, Dataset: s.row.Dataset, Arch: s.row.Arch,
		Split: s.row.Split, GroupSize: s.row.GroupSize, Link: linkName, Edges: edges, Pool: w.cfg.Pool,
		LinkUpMbit: p.Up / 1e6, LinkDnMbit: p.Down / 1e6, LinkRTTMS: float64(p.RTT) / float64(time.Millisecond),
		CloudRowsPerS: math.NaN(), MeanBatch: math.NaN(), BusyFrac: math.NaN(), CloudCPUCores: math.NaN(),
		EdgeFLOPsFrac: s.row.EdgeFLOPsFrac}
	switch s.variant {
	case results.WireEdgeOnly:
		r.Link = "none"
	case results.WireCloudPNG:
		r.EdgeFLOPsFrac = 0
		r.UploadBytesAnalytic = float64(s.ds.Test.Dim())    // 8-bit pixels, uncompressed
		r.DownloadBytesAnalytic = float64(4 * s.ds.Classes) // float32 logits
	default:
		r.UploadBytesAnalytic = float64(s.row.UploadBytesPerSample)
		r.DownloadBytesAnalytic = float64(s.row.DownloadBytesPerSample)
	}
	return r
}

// latency measures one edge through link l ("" for the edge-only variant).
func (w *wireRun) latency(ctx context.Context, s *variantSetup, l string) (results.WireRow, error) {
	var p link.Profile
	if l != "" {
		var err error
		if p, err = link.Lookup(l); err != nil {
			return results.WireRow{}, err
		}
	}
	w.log(fmt.Sprintf("wire: %s %s k=%d %s: latency through %s", s.row.Dataset, s.row.Arch, s.row.GroupSize, s.variant, p))
	e, err := w.newEdge(ctx, s, p, 1)
	if err != nil {
		return results.WireRow{}, err
	}
	defer e.close()
	pool, classes := w.cfg.Pool, s.ds.Classes
	x := make([]float32, pool*s.ds.Test.Dim())
	y := make([]int, pool)
	logits := make([]float32, pool*classes)
	f := &feeder{im: s.ds.Test, pool: pool}
	f.fill(x, y) // warm-up: connection, graphs
	if err := e.serve(ctx, logits, x); err != nil {
		return results.WireRow{}, err
	}
	f.next = 0
	var sent0, recv0, retries0 int64
	if e.client != nil {
		sent0, recv0, retries0 = e.client.Sent(), e.client.Received(), e.client.Retries()
	}
	cpu0, start := processCPU(), time.Now()
	var lat []float64
	right := 0
	for range w.cfg.Inputs / pool {
		f.fill(x, y)
		t := time.Now()
		if err := e.serve(ctx, logits, x); err != nil {
			return results.WireRow{}, err
		}
		lat = append(lat, time.Since(t).Seconds()*1000)
		right += correct(logits, y, classes)
	}
	secs, cpu := time.Since(start).Seconds(), processCPU()-cpu0
	r := w.base(s, "latency", l, p, 1)
	r.Inputs, r.Seconds = w.cfg.Inputs, secs
	r.Accuracy = float64(right) / float64(r.Inputs)
	SetLatency(&r, lat)
	r.ThroughputPerS = float64(r.Inputs) / secs
	r.EdgeCPUMS = math.NaN()
	if s.cloud == nil || s.cloud.Separate() {
		r.EdgeCPUMS = cpu * 1000 / float64(r.Inputs)
	}
	if e.client != nil {
		r.UploadBytesMeasured = float64(e.client.Sent()-sent0) / float64(r.Inputs)
		r.DownloadBytesMeasured = float64(e.client.Received()-recv0) / float64(r.Inputs)
		r.Retries = int(e.client.Retries() - retries0)
	}
	return r, nil
}

// scaling measures n edges at once through the scaling link for the configured seconds.
func (w *wireRun) scaling(ctx context.Context, s *variantSetup, n int) (results.WireRow, error) {
	p, err := link.Lookup(w.cfg.ScalingLink)
	if err != nil {
		return results.WireRow{}, err
	}
	through := "through " + p.Name
	if s.cloud == nil {
		through = "on its own"
	}
	w.log(fmt.Sprintf("wire: %s %s k=%d %s: %d edge(s) %s for %gs", s.row.Dataset, s.row.Arch, s.row.GroupSize, s.variant, n, through, w.cfg.Seconds))
	edges := make([]*edgeInstance, n)
	defer func() {
		for _, e := range edges {
			if e != nil {
				e.close()
			}
		}
	}()
	for i := range edges {
		if edges[i], err = w.newEdge(ctx, s, p, uint64(i+1)); err != nil {
			return results.WireRow{}, err
		}
	}
	pool, classes, dim := w.cfg.Pool, s.ds.Classes, s.ds.Test.Dim()
	type tally struct {
		lat           []float64
		inputs, right int
		errs          int
		firstErr      error
	}
	tallies := make([]tally, n)
	var warm sync.WaitGroup
	warmErr := make([]error, n)
	for i, e := range edges { // one pool each: connections and graphs
		warm.Add(1)
		go func() {
			defer warm.Done()
			x, y := make([]float32, pool*dim), make([]int, pool)
			(&feeder{im: s.ds.Test, pool: pool, next: i * pool}).fill(x, y)
			warmErr[i] = e.serve(ctx, make([]float32, pool*classes), x)
		}()
	}
	warm.Wait()
	for _, err := range warmErr {
		if err != nil {
			return results.WireRow{}, err
		}
	}
	var sent0, recv0, retries0 int64
	for _, e := range edges {
		if e.client != nil {
			sent0, recv0, retries0 = sent0+e.client.Sent(), recv0+e.client.Received(), retries0+e.client.Retries()
		}
	}
	var m0 CloudMetrics
	if s.cloud != nil {
		if m0, err = ScrapeCloud(ctx, s.cloud.MetricsAddr()); err != nil {
			return results.WireRow{}, err
		}
	}
	cpu0, start := processCPU(), time.Now()
	deadline := start.Add(time.Duration(w.cfg.Seconds * float64(time.Second)))
	// Every edge starts pools until the deadline; the window ends when the last one has its
	// answer, so that every edge counts at least one pool however slow the machine.
	var wg sync.WaitGroup
	for i, e := range edges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[i]
			x, y, logits := make([]float32, pool*dim), make([]int, pool), make([]float32, pool*classes)
			f := &feeder{im: s.ds.Test, pool: pool, next: (i * 7 * pool) % s.ds.Test.N}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				f.fill(x, y)
				t0 := time.Now()
				if err := e.serve(ctx, logits, x); err != nil {
					t.errs++
					if t.firstErr == nil {
						t.firstErr = err
					}
					continue
				}
				t.lat = append(t.lat, time.Since(t0).Seconds()*1000)
				t.inputs += pool
				t.right += correct(logits, y, classes)
			}
		}()
	}
	wg.Wait()
	cpu, secs := processCPU()-cpu0, time.Since(start).Seconds()
	var m1 CloudMetrics
	if s.cloud != nil {
		if m1, err = ScrapeCloud(ctx, s.cloud.MetricsAddr()); err != nil {
			return results.WireRow{}, err
		}
	}
	name := p.Name
	if s.cloud == nil {
		name, p = "", link.Profile{}
	}
	r := w.base(s, "scaling", name, p, n)
	var lat []float64
	for _, t := range tallies {
		lat = append(lat, t.lat...)
		r.Inputs += t.inputs
		r.Errors += t.errs
		r.Accuracy += float64(t.right)
		if t.firstErr != nil {
			w.log(fmt.Sprintf("wire: %d exchanges failed, the first: %v", t.errs, t.firstErr))
		}
	}
	r.Seconds = secs
	r.Accuracy /= float64(max(r.Inputs, 1))
	SetLatency(&r, lat)
	r.ThroughputPerS = float64(r.Inputs) / secs
	if s.cloud != nil {
		r.CloudRowsPerS = (m1.Rows - m0.Rows) / secs
		r.MeanBatch = (m1.Rows - m0.Rows) / (m1.Batches - m0.Batches)
		r.BusyFrac = (m1.Busy - m0.Busy) / secs
		r.CloudCPUCores = (m1.CPU - m0.CPU) / secs
	}
	r.EdgeCPUMS = math.NaN()
	if (s.cloud == nil || s.cloud.Separate()) && r.Inputs > 0 {
		r.EdgeCPUMS = cpu * 1000 / float64(r.Inputs)
	}
	var sent, recv, retries int64
	for _, e := range edges {
		if e.client != nil {
			sent, recv, retries = sent+e.client.Sent(), recv+e.client.Received(), retries+e.client.Retries()
		}
	}
	r.UploadBytesMeasured = float64(sent-sent0) / float64(max(r.Inputs, 1))
	r.DownloadBytesMeasured = float64(recv-recv0) / float64(max(r.Inputs, 1))
	r.Retries = int(retries - retries0)
	return r, nil
}

// SetLatency sets the latency percentiles (nearest rank) and mean of a point from the pools'
// latencies in ms; NaN when there are none.
func SetLatency(r *results.WireRow, lat []float64) {
	r.LatencyP50MS, r.LatencyP95MS, r.LatencyP99MS, r.LatencyMeanMS = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if len(lat) == 0 {
		return
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	rank := func(q float64) float64 { return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)] }
	r.LatencyP50MS, r.LatencyP95MS, r.LatencyP99MS = rank(0.50), rank(0.95), rank(0.99)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	r.LatencyMeanMS = sum / float64(len(s))
}
