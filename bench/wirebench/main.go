// Command wirebench measures the cloud of package wire on loopback: what dynamic batching
// buys over serving one request at a time, and what serving costs beside the body's compute.
//
//	go run ./bench/wirebench [-arch mnist-cnn] [-split 1] [-edges 16] [-rows 1] [-seconds 10] [-rounds 3] [-mode both]
//
// batching: -edges load generators, each a gRPC client on its own connection sending
// requests of -rows rows (precomputed uploads: the edges' own compute is left out, this
// measures the cloud) as fast as the answers come back, against a cloud serving a network's
// body (random weights) with one request per body run (MaxBatch = -rows: batch-1 serving, as
// Triton without its dynamic batcher, when -rows is 1) and with dynamic batching (MaxBatch 64,
// MaxDelay 0, 1 and 2 ms), the configurations alternating for -rounds rounds of -seconds
// each. The clients send on their stream (wire's default); with -unary, one request per run
// and MaxDelay 0 are also measured with a unary call per request, as the clients sent them
// before streams. It prints the medians over rounds of the rows served per second and of the
// latency percentiles of a request, the ratios to one request per run on streams, the mean
// rows of a body run and the share of the time the body computed (busy).
//
// body: the body alone at batches of 1 to 64 rows, its time per run and per row.
//
// overhead: one client sends requests of 64 rows one after another (the body runs each alone,
// at batch 64). The serving overhead — framing, protobuf, float32 encoding and checks, the
// copies into and out of the batch, loopback TCP — is measured twice, as a share of the body's
// compute: in wall time, the request's round trip less the body's compute time (the cloud's
// datamix_cloud_body_seconds); in CPU time, this process's CPU time per request (client,
// server and body all run here) less the CPU time of the body run alone on the same rows; and
// the cloud's own share, its process's CPU time per request less the body's, with the client
// in another process (this program in mode sender), as an edge would be. The wall figure
// suffers from other jobs on the machine (every hand-off between goroutines waits for a core),
// the CPU figures much less. Two floors follow, measured the same way (the cloud process's CPU
// time per request, its client in another process): the transport alone — the same cloud
// serving a body that computes nothing, so the same bytes in and out through gRPC — and plain
// TCP — the same bytes exchanged over a loopback socket with a 4-byte length before each
// message and nothing else (mode rawsender is its client): what the kernel's copies cost, the
// least any transport over a socket can.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/wire"
)

func main() {
	arch := flag.String("arch", "mnist-cnn", "architecture")
	split := flag.Int("split", 1, "split point")
	edges := flag.Int("edges", 16, "concurrent edges (batching)")
	reqRows := flag.Int("rows", 1, "rows per request (batching): 1 as Triton's image per request, 8 as a DataMix edge's pool")
	seconds := flag.Float64("seconds", 10, "length of each measurement")
	rounds := flag.Int("rounds", 3, "rounds of alternating configurations")
	mode := flag.String("mode", "both", "batching, overhead, both, or body (the body alone at batches of 1 to 64); sender and rawsender are overhead's client processes")
	unary := flag.Bool("unary", true, "batching and overhead: also measure with a unary call per request (sender: send unary calls)")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	addr := flag.String("addr", "", "sender: the cloud's address (wirebench starts this mode itself)")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	a, err := models.Lookup(*arch)
	if err != nil {
		fail(err)
	}
	n, err := models.New(a, 10, *split, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fail(err)
	}
	switch *mode {
	case "sender":
		sender(n, *addr, *seconds, *unary)
		return
	case "rawsender":
		rawSender(n, *addr, *seconds)
		return
	}
	fmt.Printf("wirebench: %s split %d (upload %d values, answer %d), %d CPUs, %s, load average %s\n", *arch, *split, n.UploadDim(), n.DownloadDim(), cpus(), time.Now().UTC().Format(time.RFC3339), loadavg())
	defer func() { fmt.Printf("\nload average at the end: %s\n", loadavg()) }()
	if *mode == "body" {
		bodyTimes(n, *seconds)
		return
	}
	if *mode == "both" || *mode == "batching" {
		batching(n, *edges, *reqRows, *seconds, *rounds, *unary)
	}
	if *mode == "both" || *mode == "overhead" {
		overhead(n, *seconds, *rounds, false)
		if *unary {
			overhead(n, *seconds, *rounds, true)
		}
	}
}

// loadavg is the machine's 1-, 5- and 15-minute load average (Linux), or "unknown".
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "wirebench:", err)
	os.Exit(1)
}

func cpus() int { return runtime.NumCPU() }

// cloud is a server of net's body on a loopback port, and its metrics.
type cloud struct {
	srv  *wire.Server
	addr string
	reg  *prometheus.Registry
}

// startCloud serves net's body (idle: a body that computes nothing, idleModel) on a loopback
// port.
func startCloud(net *models.Net, cfg wire.Config, idle bool) *cloud {
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	c := datamix.NewCloud(net)
	m := experiments.CloudModel(c, net.Fingerprint(), false, max(cfg.MaxBatch, 1))
	if idle {
		m = idleModel{m}
	}
	srv, err := wire.NewServer(m, cfg)
	if err != nil {
		fail(err)
	}
	lis, err := netListen()
	if err != nil {
		fail(err)
	}
	go srv.Serve(lis)
	return &cloud{srv: srv, addr: lis.Addr().String(), reg: reg}
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// metric is the value of a counter, or the sum of a histogram, of the cloud's registry.
func (c *cloud) metric(name string) float64 {
	mfs, _ := c.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if h := m.GetHistogram(); h != nil {
			return h.GetSampleSum()
		}
		return m.GetCounter().GetValue()
	}
	return math.NaN()
}

// uploads returns n rows of random uploads for net.
func uploads(net *models.Net, n int) []float32 {
	src := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, n*net.UploadDim())
	for i := range x {
		x[i] = src.Float32()
	}
	return x
}

// result is one measurement of a configuration.
type result struct {
	rowsPerS, p50, p95, p99, meanBatch, busy float64
}

// load runs edges closed-loop clients of requests of rows rows against a cloud for secs
// seconds, after a second of warm-up; unary clients make a call per request.
func load(net *models.Net, cfg wire.Config, edges, rows int, secs float64, unary bool) result {
	c := startCloud(net, cfg, false)
	defer c.srv.Stop()
	x := uploads(net, rows)
	clients := make([]*wire.Client, edges)
	for i := range clients {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cl, err := wire.Dial(ctx, c.addr, wire.ClientConfig{Unary: unary})
		cancel()
		if err != nil {
			fail(err)
		}
		clients[i] = cl
		defer cl.Close()
	}
	run := func(d time.Duration) ([]float64, int) {
		deadline := time.Now().Add(d)
		lat := make([][]float64, edges)
		var wg sync.WaitGroup
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ret := make([]float32, rows*net.DownloadDim())
				for time.Now().Before(deadline) {
					t0 := time.Now()
					if err := cl.Exchange(context.Background(), ret, x); err != nil {
						fail(err)
					}
					if done := time.Now(); !done.After(deadline) {
						lat[i] = append(lat[i], done.Sub(t0).Seconds()*1000)
					}
				}
			}()
		}
		wg.Wait()
		var all []float64
		for _, l := range lat {
			all = append(all, l...)
		}
		return all, len(all)
	}
	run(time.Second) // warm-up: connections and every batch size's graphs
	rows0, batches0, busy0 := c.metric("datamix_cloud_rows_total"), c.metric("datamix_cloud_batches_total"), c.metric("datamix_cloud_busy_seconds_total")
	lat, n := run(time.Duration(secs * float64(time.Second)))
	n *= rows
	rows1, batches1, busy1 := c.metric("datamix_cloud_rows_total"), c.metric("datamix_cloud_batches_total"), c.metric("datamix_cloud_busy_seconds_total")
	slices.Sort(lat)
	pct := func(q float64) float64 { return lat[max(int(math.Ceil(q*float64(len(lat))))-1, 0)] }
	return result{rowsPerS: float64(n) / secs, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), meanBatch: (rows1 - rows0) / (batches1 - batches0), busy: (busy1 - busy0) / secs}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// batching compares batch-1 serving (one request per body run) with dynamic batching.
func batching(net *models.Net, edges, rows int, secs float64, rounds int, unary bool) {
	type config struct {
		name  string
		cfg   wire.Config
		unary bool
	}
	configs := []config{
		{fmt.Sprintf("one request per run (MaxBatch %d)", rows), wire.Config{MaxBatch: rows, ConnQueue: 4}, false},
		{"dynamic, MaxBatch 64, MaxDelay 0", wire.Config{MaxBatch: 64, ConnQueue: 4}, false},
		{"dynamic, MaxBatch 64, MaxDelay 1 ms", wire.Config{MaxBatch: 64, MaxDelay: time.Millisecond, ConnQueue: 4}, false},
		{"dynamic, MaxBatch 64, MaxDelay 2 ms", wire.Config{MaxBatch: 64, MaxDelay: 2 * time.Millisecond, ConnQueue: 4}, false},
	}
	if unary {
		for _, c := range configs[:2] {
			configs = append(configs, config{c.name + ", unary", c.cfg, true})
		}
	}
	res := make([][]result, len(configs))
	for r := range rounds {
		for i, c := range configs {
			res[i] = append(res[i], load(net, c.cfg, edges, rows, secs, c.unary))
			fmt.Fprintf(os.Stderr, "round %d %s: %.0f rows/s\n", r+1, c.name, res[i][len(res[i])-1].rowsPerS)
		}
	}
	// The ceiling: the body alone, no serving, rows per second at batch 64 against batch rows.
	// No batcher can gain more than this ratio.
	var ceil []float64
	for range rounds {
		ceil = append(ceil, bodyRowsPerS(net, 64, secs/4)/bodyRowsPerS(net, rows, secs/4))
	}
	fmt.Printf("\nbatching: %d edges, requests of %d row(s), closed loop, %d rounds of %gs (medians)\n", edges, rows, rounds, secs)
	fmt.Printf("ceiling: the body alone (no serving) at batch 64 runs %.2fx the rows/s it runs at batch %d (rounds: %v)\n",
		median(ceil), rows, fmtEach("%.2fx", ceil))
	fmt.Printf("%-43s %10s %8s %8s %8s %8s %8s %8s %8s\n", "serving", "rows/s", "ratio", "p50 ms", "p95 ms", "p99 ms", "p95 ÷", "batch", "busy")
	base, baseP95 := 0.0, 0.0
	for i, c := range configs {
		get := func(f func(result) float64) float64 {
			var v []float64
			for _, x := range res[i] {
				v = append(v, f(x))
			}
			return median(v)
		}
		thr, p95 := get(func(x result) float64 { return x.rowsPerS }), get(func(x result) float64 { return x.p95 })
		if i == 0 {
			base, baseP95 = thr, p95
		}
		fmt.Printf("%-43s %10.0f %7.2fx %8.2f %8.2f %8.2f %7.2fx %8.1f %7.0f%%\n", c.name, thr, thr/base,
			get(func(x result) float64 { return x.p50 }), p95, get(func(x result) float64 { return x.p99 }), p95/baseP95,
			get(func(x result) float64 { return x.meanBatch }), 100*get(func(x result) float64 { return x.busy }))
	}
}

// bodyRowsPerS is the rows per second of the body run alone, in this process, on batches of
// the given rows, for secs seconds after a warm-up.
func bodyRowsPerS(net *models.Net, rows int, secs float64) float64 {
	x := uploads(net, rows)
	ret := make([]float32, rows*net.DownloadDim())
	body := datamix.NewCloud(net)
	body.SetBatch(rows)
	for range 10 {
		if err := body.Body(ret, x); err != nil {
			fail(err)
		}
	}
	start, n := time.Now(), 0
	for time.Since(start).Seconds() < secs {
		if err := body.Body(ret, x); err != nil {
			fail(err)
		}
		n++
	}
	return float64(n*rows) / time.Since(start).Seconds()
}

// bodyTimes prints the body's time per run and per row, run alone in this process, at batches
// of 1 to 64 rows, secs/8 seconds each: what a batch saves.
func bodyTimes(net *models.Net, secs float64) {
	fmt.Printf("\nbody alone: time per run at each batch size, %gs each\n%6s %12s %12s\n", secs/8, "batch", "ms a run", "µs a row")
	for _, rows := range []int{1, 2, 4, 6, 8, 16, 32, 64} {
		perS := bodyRowsPerS(net, rows, secs/8)
		fmt.Printf("%6d %12.3f %12.1f\n", rows, 1000*float64(rows)/perS, 1e6/perS)
	}
}

// fmtList prints ratios to two decimals.
// pctList formats fractions as percentages, one per round.
func pctList(xs []float64) []string {
	p := make([]float64, len(xs))
	for i, x := range xs {
		p[i] = 100 * x
	}
	return fmtEach("%.1f%%", p)
}

// fmtEach formats each of xs with format (one verb): the rounds behind a median.
func fmtEach(format string, xs []float64) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = fmt.Sprintf(format, x)
	}
	return out
}

// overhead measures the serving overhead at batch 64, in wall time and in CPU time: the
// request's round trip less the body's compute, and this process's CPU time per request (the
// client, the server and the body all run here) less the CPU time of the body run alone on
// the same rows, each as a share of the body's. unary sends each request as a call of its own.
func overhead(net *models.Net, secs float64, rounds int, unary bool) {
	const rows = 64
	x := uploads(net, rows)
	ret := make([]float32, rows*net.DownloadDim())
	var shares, e2es, bodies, cpuShares, cpuReqs, cpuBodies []float64
	var cloudShares, cloudReqs, cloudE2es, alones, idleReqs, rawReqs []float64
	for range rounds {
		// The body alone, as the cloud runs it: CPU time per run.
		body := datamix.NewCloud(net)
		body.SetBatch(rows)
		for range 10 {
			body.Body(ret, x)
		}
		cpu0, start, n := processCPU(), time.Now(), 0
		for time.Since(start).Seconds() < secs/2 {
			if err := body.Body(ret, x); err != nil {
				fail(err)
			}
			n++
		}
		cpuBody := (processCPU() - cpu0) / float64(n)
		wallAlone := time.Since(start).Seconds() / float64(n)

		c := startCloud(net, wire.Config{MaxBatch: rows}, false)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cl, err := wire.Dial(ctx, c.addr, wire.ClientConfig{Unary: unary})
		cancel()
		if err != nil {
			fail(err)
		}
		for range 20 { // warm-up
			if err := cl.Exchange(context.Background(), ret, x); err != nil {
				fail(err)
			}
		}
		body0, n0 := c.metric("datamix_cloud_body_seconds"), c.metric("datamix_cloud_batches_total")
		cpu0, start, n = processCPU(), time.Now(), 0
		for time.Since(start).Seconds() < secs {
			if err := cl.Exchange(context.Background(), ret, x); err != nil {
				fail(err)
			}
			n++
		}
		e2e := time.Since(start).Seconds() / float64(n)
		cpuReq := (processCPU() - cpu0) / float64(n)
		wallBody := (c.metric("datamix_cloud_body_seconds") - body0) / (c.metric("datamix_cloud_batches_total") - n0)
		cl.Close()
		c.srv.Stop()
		cloudReq, cloudE2e := cloudCPU(net, false, secs, unary)
		idleReq, _ := cloudCPU(net, true, secs, unary)
		idleReqs, rawReqs = append(idleReqs, idleReq*1000), append(rawReqs, rawCPU(net, secs)*1000)
		cloudReqs, cloudE2es = append(cloudReqs, cloudReq*1000), append(cloudE2es, cloudE2e*1000)
		cloudShares = append(cloudShares, (cloudReq-cpuBody)/cpuBody)
		alones = append(alones, wallAlone*1000)
		e2es, bodies, shares = append(e2es, e2e*1000), append(bodies, wallBody*1000), append(shares, (e2e-wallBody)/wallBody)
		cpuReqs, cpuBodies, cpuShares = append(cpuReqs, cpuReq*1000), append(cpuBodies, cpuBody*1000), append(cpuShares, (cpuReq-cpuBody)/cpuBody)
	}
	how := "on its stream"
	if unary {
		how = "a unary call each"
	}
	fmt.Printf("\noverhead: one client, requests of %d rows one after another, %s (%d + %d bytes a request and answer of float32), %d rounds of %gs (medians)\n",
		rows, how, 4*rows*net.UploadDim(), 4*rows*net.DownloadDim(), rounds, secs)
	fmt.Printf("wall: round trip %.2f ms, body %.2f ms (alone %.2f ms), overhead %.2f ms = %.1f%% of the body's compute (rounds: %v)\n",
		median(e2es), median(bodies), median(alones), median(e2es)-median(bodies), 100*median(shares), pctList(shares))
	fmt.Printf("CPU:  per request %.2f ms, body alone %.2f ms, overhead %.2f ms = %.1f%% of the body's (rounds: %v)\n",
		median(cpuReqs), median(cpuBodies), median(cpuReqs)-median(cpuBodies), 100*median(cpuShares), pctList(cpuShares))
	fmt.Printf("the cloud's CPU, the client in another process: per request %.2f ms (round trip %.2f ms), body alone %.2f ms, overhead %.2f ms = %.1f%% of the body's (rounds: %v)\n",
		median(cloudReqs), median(cloudE2es), median(cpuBodies), median(cloudReqs)-median(cpuBodies), 100*median(cloudShares), pctList(cloudShares))
	fmt.Printf("floors, the cloud's CPU per request: the transport alone (a body that computes nothing) %.3f ms = %.1f%% of the body's (rounds: %v); plain TCP, the same bytes %.3f ms = %.1f%% (rounds: %v)\n",
		median(idleReqs), 100*median(idleReqs)/median(cpuBodies), fmtEach("%.3f", idleReqs), median(rawReqs), 100*median(rawReqs)/median(cpuBodies), fmtEach("%.3f", rawReqs))
}

// idleModel is a model that answers without computing: the transport's share of serving,
// apart from the body's.
type idleModel struct{ wire.Model }

func (idleModel) Run(dst, src []float32) error { return nil }

// rawCPU measures the floor of any transport over a socket: the same request and answer bytes
// as a request of 64 rows, exchanged with a client in another process (this program in mode
// rawsender) over a loopback TCP connection, each message a 4-byte length and its bytes. It
// returns this process's CPU time per exchange: reading the request, writing the answer.
func rawCPU(net *models.Net, secs float64) float64 {
	const rows = 64
	lis, err := netListen()
	if err != nil {
		fail(err)
	}
	defer lis.Close()
	var served atomic.Int64
	go func() {
		conn, err := lis.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		req := make([]byte, 4*rows*net.UploadDim())
		ans := make([]byte, 4+4*rows*net.DownloadDim())
		binary.LittleEndian.PutUint32(ans, uint32(len(ans)-4))
		var size [4]byte
		for {
			if _, err := io.ReadFull(conn, size[:]); err != nil {
				return
			}
			if int(binary.LittleEndian.Uint32(size[:])) != len(req) {
				fail(fmt.Errorf("rawsender: a message of %d bytes, want %d", binary.LittleEndian.Uint32(size[:]), len(req)))
			}
			if _, err := io.ReadFull(conn, req); err != nil {
				return
			}
			if _, err := conn.Write(ans); err != nil {
				return
			}
			served.Add(1)
		}
	}()
	cmd := senderProcess("rawsender", lis.Addr().String(), secs, false)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitServed(func() float64 { return float64(served.Load()) })
	n0, cpu0 := served.Load(), processCPU()
	time.Sleep(time.Duration(secs * float64(time.Second)))
	return (processCPU() - cpu0) / float64(served.Load()-n0)
}

// rawSender is rawCPU's client: it sends a request's bytes, each after a 4-byte length, and
// reads the answer, one exchange after another, for secs seconds.
func rawSender(n *models.Net, addr string, secs float64) {
	const rows = 64
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	req := make([]byte, 4+4*rows*n.UploadDim())
	binary.LittleEndian.PutUint32(req, uint32(len(req)-4))
	ans := make([]byte, 4*rows*n.DownloadDim())
	var size [4]byte
	for start := time.Now(); time.Since(start).Seconds() < secs; {
		if _, err := conn.Write(req); err != nil {
			fail(err)
		}
		if _, err := io.ReadFull(conn, size[:]); err != nil {
			fail(err)
		}
		if _, err := io.ReadFull(conn, ans); err != nil {
			fail(err)
		}
	}
}

// senderProcess starts this program in mode (sender or rawsender) as the client of the server
// at addr, for secs seconds after a warm-up of up to 30.
func senderProcess(mode, addr string, secs float64, unary bool) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		fail(err)
	}
	cmd := exec.Command(exe, "-mode", mode, "-addr", addr, "-seconds", fmt.Sprint(secs+30),
		"-arch", flag.Lookup("arch").Value.String(), "-split", flag.Lookup("split").Value.String(), "-unary="+fmt.Sprint(unary))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	return cmd
}

// waitServed waits until served() reaches 20, the warm-up, failing after 30 s.
func waitServed(served func() float64) {
	for deadline := time.Now().Add(30 * time.Second); served() < 20; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			fail(fmt.Errorf("the sender process served fewer than 20 requests in 30 s"))
		}
	}
}

// cloudCPU serves net's body at batch 64 (idle: a body that computes nothing) to one client in
// another process (this program in mode sender) and returns the cloud process's CPU time per
// request — the server's and the body's, not the client's — and the round trip, over secs
// seconds after a warm-up.
func cloudCPU(net *models.Net, idle bool, secs float64, unary bool) (cpuReq, e2e float64) {
	c := startCloud(net, wire.Config{MaxBatch: 64}, idle)
	defer c.srv.Stop()
	cmd := senderProcess("sender", c.addr, secs, unary)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	batches := func() float64 { return c.metric("datamix_cloud_batches_total") }
	waitServed(batches)
	n0, cpu0, start := batches(), processCPU(), time.Now()
	time.Sleep(time.Duration(secs * float64(time.Second)))
	n, cpu, wall := batches()-n0, processCPU()-cpu0, time.Since(start).Seconds()
	return cpu / n, wall / n
}

// sender sends requests of 64 rows to the cloud at addr, one after another, for secs seconds:
// the client of cloudCPU, in a process of its own.
func sender(net *models.Net, addr string, secs float64, unary bool) {
	const rows = 64
	x := uploads(net, rows)
	ret := make([]float32, rows*net.DownloadDim())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	cl, err := wire.Dial(ctx, addr, wire.ClientConfig{Unary: unary})
	cancel()
	if err != nil {
		fail(err)
	}
	defer cl.Close()
	for start := time.Now(); time.Since(start).Seconds() < secs; {
		if err := cl.Exchange(context.Background(), ret, x); err != nil {
			fail(err)
		}
	}
}

// processCPU is this process's CPU time so far, user and system, in seconds.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
