package experiments

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
	"github.com/datamix/harness/wire"
	"github.com/datamix/harness/wire/link"
)

// checkWirePoints checks the points of a tiny wire study of cells: one per variant and link
// or edge count, none failed, and every figure in its range. Its link check is exact from
// below: a pool through the 3g profile cannot arrive sooner than its bytes take at 0.77
// Mbit/s plus the round trip less twice the jitter.
func checkWirePoints(t *testing.T, cfg *config.Config, cells []config.Cell, points []results.WireRow) {
	t.Helper()
	w := cfg.Wire.Resolved()
	want := 0
	for _, c := range cells {
		if c.Variant == config.VariantBaseline { // edge-only: one latency and one scaling point
			want += 2 + len(w.Links) + len(w.Edges)
		} else {
			want += len(w.Links) + len(w.Edges)
		}
	}
	if len(points) != want {
		t.Fatalf("%d wire points for %d cells, want %d", len(points), len(cells), want)
	}
	for _, p := range points {
		where := p.Phase + " " + p.Variant + " " + p.Link
		if p.Errors != 0 || p.Inputs <= 0 {
			t.Errorf("%s: %d errors, %d inputs", where, p.Errors, p.Inputs)
		}
		if !(p.LatencyP50MS > 0 && p.LatencyP50MS <= p.LatencyP95MS && p.LatencyP95MS <= p.LatencyP99MS && !math.IsInf(p.LatencyP99MS, 0)) {
			t.Errorf("%s: latency percentiles %v, %v, %v", where, p.LatencyP50MS, p.LatencyP95MS, p.LatencyP99MS)
		}
		if !(p.Accuracy >= 0 && p.Accuracy <= 1 && p.ThroughputPerS > 0) {
			t.Errorf("%s: accuracy %v, throughput %v", where, p.Accuracy, p.ThroughputPerS)
		}
		switch p.Variant {
		case results.WireEdgeOnly:
			if !(p.EdgeCPUMS > 0) || p.UploadBytesMeasured != 0 {
				t.Errorf("%s: edge CPU %v ms, %v bytes uploaded", where, p.EdgeCPUMS, p.UploadBytesMeasured)
			}
		case results.WireCloudPNG:
			if !(p.UploadBytesMeasured > 0) {
				t.Errorf("%s: %v bytes uploaded", where, p.UploadBytesMeasured)
			}
		default:
			if !(p.UploadBytesMeasured >= p.UploadBytesAnalytic && p.UploadBytesAnalytic > 0) {
				t.Errorf("%s: %v bytes uploaded per input, below the %v of float32 features", where, p.UploadBytesMeasured, p.UploadBytesAnalytic)
			}
		}
		if p.Phase == "scaling" && p.Variant != results.WireEdgeOnly && !(p.MeanBatch >= 1 && p.MeanBatch <= float64(w.MaxBatch) && p.BusyFrac >= 0 && p.CloudRowsPerS > 0) {
			t.Errorf("%s: mean batch %v, busy %v, cloud rows/s %v", where, p.MeanBatch, p.BusyFrac, p.CloudRowsPerS)
		}
		if p.Link == "3g" {
			floor := p.UploadBytesMeasured*float64(p.Pool)*8/0.77e6*1000 + 150 - 2*20
			if p.LatencyP50MS < floor {
				t.Errorf("%s: p50 %v ms, below the link's floor of %v ms", where, p.LatencyP50MS, floor)
			}
		}
	}
}

// servedNet is a network with random weights saved as a cell's part files.
type servedNet struct {
	net  *models.Net
	dir  string
	fp   string
	imgs []float32
}

func newServedNet(t *testing.T, arch string, split, n int) *servedNet {
	t.Helper()
	a, _ := models.Lookup(arch)
	net, err := models.New(a, 10, split, rand.New(rand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeParts(dir, net); err != nil {
		t.Fatal(err)
	}
	src := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, n*net.InputDim())
	for i := range x {
		x[i] = src.Float32()
	}
	return &servedNet{net: net, dir: dir, fp: net.Fingerprint(), imgs: x}
}

// startCloud serves the body file of s on a loopback port, capturing into capture when set,
// and stops it when the test ends.
func startCloud(t *testing.T, s *servedNet, lis net.Listener, capture *wire.CaptureWriter) (*wire.Server, string) {
	t.Helper()
	c, fp, err := LoadCloud(filepath.Join(s.dir, PartFile(models.Body)), "")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wire.NewServer(CloudModel(c, fp, false, 16), wire.Config{MaxBatch: 16, MaxDelay: time.Millisecond, Capture: capture})
	if err != nil {
		t.Fatal(err)
	}
	if lis == nil {
		if lis, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return srv, lis.Addr().String()
}

// dialEdge returns an edge of s's head and tail files talking to the cloud at addr.
func dialEdge(t *testing.T, s *servedNet, addr string, scheme datamix.Scheme, rng *rand.Rand) (*datamix.Edge, *wire.Client) {
	t.Helper()
	net, fp, err := LoadEdge(filepath.Join(s.dir, PartFile(models.Head)), filepath.Join(s.dir, PartFile(models.Tail)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := wire.Dial(ctx, addr, wire.ClientConfig{Model: ModelID(net, fp, false)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return datamix.NewEdge(net, scheme, rng, cl), cl
}

func mixedScheme(t *testing.T, k int) datamix.Scheme {
	t.Helper()
	s, err := mixing.NewSampler("dirichlet", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return datamix.Scheme{Scheme: mixing.Scheme{K: k, Sampler: s, Shuffle: true, Guard: mixing.Guard{MaxCond: 100, MaxTries: 1000}}}
}

// TestGRPCMatchesInProcess: an edge and a cloud over gRPC on loopback — each loaded from its
// own part files, the cloud batching the pool's requests — give predictions identical, bit
// for bit, to the in-process pipeline with the same secrets; the edge records the same
// exchange, and the cloud's capture file holds exactly the uploads and answers the edge
// recorded, in the same order.
func TestGRPCMatchesInProcess(t *testing.T) {
	for _, tc := range []struct {
		arch  string
		split int
	}{{"mnist-cnn", 1}, {"mnist-resnet8", 1}} {
		t.Run(tc.arch, func(t *testing.T) {
			const pool, pools, k = 40, 2, 2 // 40 uploads a pool: three requests of at most 16 rows
			s := newServedNet(t, tc.arch, tc.split, pool*pools)
			scheme := mixedScheme(t, k)
			capPath := filepath.Join(t.TempDir(), "cloud.capture")
			f, err := os.Create(capPath)
			if err != nil {
				t.Fatal(err)
			}
			cw, err := wire.NewCaptureWriter(f, wire.CaptureHeader{Model: "m", InputShape: s.net.UploadShape(), OutputDim: s.net.DownloadDim()})
			if err != nil {
				t.Fatal(err)
			}
			srv, addr := startCloud(t, s, nil, cw)
			edge, _ := dialEdge(t, s, addr, scheme, rand.New(rand.NewPCG(11, 12)))
			edge.SetBatch(8)
			pl := datamix.NewPipeline(s.net, scheme, rand.New(rand.NewPCG(11, 12)))
			pl.SetBatch(8)
			var overWire, inProcess datamix.Record
			edge.Record(&overWire)
			pl.Record(&inProcess)
			in, classes := s.net.InputDim(), s.net.Classes
			for p := range pools {
				x := s.imgs[p*pool*in : (p+1)*pool*in]
				a, b := make([]float32, pool*classes), make([]float32, pool*classes)
				if err := edge.Logits(context.Background(), a, x); err != nil {
					t.Fatal(err)
				}
				if err := pl.Logits(b, x); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(a, b) {
					t.Fatalf("pool %d: the predictions over gRPC differ from the in-process pipeline's", p)
				}
			}
			if !slices.Equal(overWire.Uploads, inProcess.Uploads) || !slices.Equal(overWire.Returns, inProcess.Returns) ||
				!slices.Equal(overWire.Features, inProcess.Features) || !slices.Equal(overWire.Pos, inProcess.Pos) {
				t.Error("the edge's record over gRPC differs from the in-process pipeline's")
			}
			srv.Stop()
			if err := cw.Close(); err != nil {
				t.Fatal(err)
			}
			view := readView(t, capPath)
			if view.N != overWire.N || view.Pool != pool || !slices.Equal(view.Uploads, overWire.Uploads) || !slices.Equal(view.Returns, overWire.Returns) {
				t.Errorf("the cloud's capture (%d rows in pools of %d) is not what the edge sent and received (%d in pools of %d)", view.N, view.Pool, overWire.N, overWire.Pool)
			}
		})
	}
}

// readView reads a capture file into the cloud's view.
func readView(t *testing.T, path string) wire.View {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, recs, err := wire.ReadCapture(f, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := wire.Pools(h, recs)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCloudRestartMidRun: the cloud is killed while four edges are serving and restarted on
// the same port half a second later; the edges retry with backoff and finish, and every input
// gets exactly one prediction — counted — equal to the in-process pipeline's with the same
// secrets.
func TestCloudRestartMidRun(t *testing.T) {
	const edges, pools, pool = 4, 12, 4
	s := newServedNet(t, "mnist-cnn", 1, pool)
	scheme := mixedScheme(t, 2)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	srv, _ := startCloud(t, s, lis, nil)
	in, classes := s.net.InputDim(), s.net.Classes
	predictions := make([][]int, edges)    // per edge and input: how many predictions it got
	finished := make([][]time.Time, edges) // per edge: when each pool was answered
	var wg sync.WaitGroup
	errs := make(chan error, edges)
	halfway := make(chan struct{}, edges)
	for e := range edges {
		edge, cl := dialEdge(t, s, addr, scheme, rand.New(rand.NewPCG(20, uint64(e))))
		ref := datamix.NewPipeline(s.net, scheme, rand.New(rand.NewPCG(20, uint64(e))))
		predictions[e] = make([]int, pools*pool)
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := make([]float32, pool*classes), make([]float32, pool*classes)
			for p := range pools {
				if p == pools/3 {
					halfway <- struct{}{}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				err := edge.Logits(ctx, a, s.imgs[:pool*in])
				cancel()
				if err != nil {
					errs <- err
					return
				}
				if err := ref.Logits(b, s.imgs[:pool*in]); err != nil {
					errs <- err
					return
				}
				if !slices.Equal(a, b) {
					errs <- fmt.Errorf("edge %d pool %d: the prediction differs from the in-process pipeline's", e, p)
					return
				}
				for j := range pool {
					predictions[e][p*pool+j]++
				}
				finished[e] = append(finished[e], time.Now())
				time.Sleep(20 * time.Millisecond) // spread the edges' pools over the restart
			}
			_ = cl
		}()
	}
	for range edges {
		<-halfway
	}
	killed := time.Now()
	srv.Stop() // killed: connections drop, requests in flight fail
	time.Sleep(500 * time.Millisecond)
	restarted := time.Now()
	lis2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s again: %v", addr, err)
	}
	startCloud(t, s, lis2, nil)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for e := range edges { // the restart fell in the middle of every edge's run
		before := slices.IndexFunc(finished[e], func(t time.Time) bool { return t.After(killed) })
		if before < 1 || finished[e][len(finished[e])-1].Before(restarted) {
			t.Errorf("edge %d: %d pools answered before the kill, the last at %v after the restart", e, before, finished[e][len(finished[e])-1].Sub(restarted))
		}
	}
	total := 0
	for e := range edges {
		for i, n := range predictions[e] {
			if n != 1 {
				t.Errorf("edge %d input %d got %d predictions", e, i, n)
			}
			total += n
		}
	}
	if total != edges*pools*pool {
		t.Errorf("%d predictions for %d inputs", total, edges*pools*pool)
	}
}

// TestAttackOnCapturedTraffic: the attacks of a cell run on a cloud's capture file and the
// edge's secrets file over gRPC give exactly the scores of the same attacks on the in-process
// capture of the same victims with the same secrets and seed.
func TestAttackOnCapturedTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a network and runs attacks")
	}
	cfg := tinyConfig(t, "attacks: [{kind: ica, victims: 64}, {kind: group_matching, victims: 64}, {kind: output, victims: 64, aux: 128}]\n")
	cells, err := config.Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &cells[0]
	ds, err := datasets.Load(datasetSpec(c))
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunCell(context.Background(), c, ds, func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	scheme, _ := c.Scheme()
	specs, victims := attackSpecs(&c.Config, ds)
	pool, batch := shufflePool(&c.Config), c.Config.Train.EvalBatchSize
	inProc, err := captureVictims(res.Net, ds.Test, victims, pool, batch, scheme, cellRNG(c.Config.Seed, streamAttackCapture))
	if err != nil {
		t.Fatal(err)
	}
	want, err := attackCapture(context.Background(), &c.Config, ds, res.Net, scheme, specs, inProc, func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}

	// The same victims over gRPC: the cloud given the body file, capturing; the edge the
	// head and tail files, with the same secrets' stream, recording its secrets.
	dir := t.TempDir()
	if err := writeParts(dir, res.Net); err != nil {
		t.Fatal(err)
	}
	s := &servedNet{net: res.Net, dir: dir, fp: res.Net.Fingerprint()}
	capPath, secPath := filepath.Join(dir, "cloud.capture"), filepath.Join(dir, "edge.secrets")
	f, _ := os.Create(capPath)
	cw, err := wire.NewCaptureWriter(f, wire.CaptureHeader{Model: "m", InputShape: res.Net.UploadShape(), OutputDim: res.Net.DownloadDim()})
	if err != nil {
		t.Fatal(err)
	}
	srv, addr := startCloud(t, s, nil, cw)
	edge, _ := dialEdge(t, s, addr, scheme, cellRNG(c.Config.Seed, streamAttackCapture))
	edge.SetBatch(batch)
	var rec datamix.Record
	edge.Record(&rec)
	n := inProc.N
	dim := ds.Test.Dim()
	logits := make([]float32, pool*res.Net.Classes)
	for lo := 0; lo < n; lo += pool {
		if err := edge.Logits(context.Background(), logits, ds.Test.X[lo*dim:(lo+pool)*dim]); err != nil {
			t.Fatal(err)
		}
	}
	var sec bytes.Buffer
	if err := WriteSecrets(&sec, SecretsHeader{Dataset: "mnist", First: 0, N: rec.N, Pool: rec.Pool, K: scheme.K, UploadDim: res.Net.UploadDim(), Mixed: scheme.Mixed(), Shuffled: scheme.Shuffle}, &rec.Secrets); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secPath, sec.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	view := readView(t, capPath)
	sf, _ := os.Open(secPath)
	defer sf.Close()
	h, secrets, err := ReadSecrets(sf, secPath)
	if err != nil {
		t.Fatal(err)
	}
	wireCapt := &attacks.Capture{
		Observed: datamix.Observed{N: view.N, Pool: view.Pool, Uploads: view.Uploads, Returns: view.Returns},
		Truth:    attacks.Truth{Images: ds.Test.Subset(seqInts(h.N)), Secrets: *secrets},
	}
	got, err := AttackCapture(context.Background(), c, ds, res.Net, wireCapt)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Metrics) == 0 {
		t.Fatal("the attacks scored nothing")
	}
	for name, v := range want.Metrics {
		if g, ok := got.Metrics[name]; !ok || !(g == v || math.IsNaN(g) && math.IsNaN(v)) {
			t.Errorf("%s: %v on the captured traffic, %v in process", name, g, v)
		}
	}
	if len(got.Metrics) != len(want.Metrics) {
		t.Errorf("%d metrics on the captured traffic, %d in process", len(got.Metrics), len(want.Metrics))
	}
}

// TestWireStudyLinks: a tiny wire study through a slow link is slower than through a fast
// one by at least the slow link's transmission time, and the scaling phase reads the cloud's
// metrics (checkWirePoints).
func TestWireStudyLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	cfg := tinyConfig(t, "baseline: true\nwire: {links: [lte, loopback], edges: [4], pool: 4, inputs: 8, seconds: 1, max_delay_ms: 5}\n")
	cells, err := config.Expand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, points, err := RunWire(context.Background(), cfg, WireOptions{Options: Options{Out: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	checkWirePoints(t, cfg, cells, points)
	lte, _ := link.Lookup("lte")
	for _, p := range points {
		if p.Phase != "latency" || p.Link != "lte" {
			continue
		}
		var fast *results.WireRow
		for i := range points {
			q := &points[i]
			if q.Phase == "latency" && q.Link == "loopback" && q.Variant == p.Variant && q.Cell == p.Cell {
				fast = q
			}
		}
		floor := p.UploadBytesMeasured*float64(p.Pool)*8/lte.Up*1000 + float64(lte.RTT-2*lte.Jitter)/1e6
		if fast == nil || p.LatencyP50MS-fast.LatencyP50MS < floor*0.9 {
			t.Errorf("%s: p50 %v ms through lte, loopback %v: less apart than the link's %v ms", p.Variant, p.LatencyP50MS, fast.LatencyP50MS, floor)
		}
	}
}
