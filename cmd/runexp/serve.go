package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/experiments/config"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/results"
	"github.com/datamix/harness/wire"
	"github.com/datamix/harness/wire/link"
)

// servingLine is the line runexp cloud prints on stdout once it serves: the model, the
// address of its gRPC service and that of its metrics (ProcessClouds reads it).
const servingLine = "serving model=%s grpc=%s metrics=%s\n"

// cmdCloud serves a cell's body until ctx ends (SIGINT, SIGTERM), then drains.
func cmdCloud(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cloud", flag.ContinueOnError)
	fs.SetOutput(stderr)
	body := fs.String("body", "", "the cell's body file (cells/<id>/body.ckpt): all the cloud is given")
	tail := fs.String("tail", "", "the cell's tail file too: only for the raw-input baseline, which runs the whole network of a split-0 cell")
	listen := fs.String("listen", "127.0.0.1:7070", "address of the gRPC service")
	metricsAddr := fs.String("metrics", "127.0.0.1:9464", "address of the Prometheus metrics (/metrics); \"\" for none")
	maxBatch := fs.Int("max-batch", 64, "most rows a body run takes, gathered across edges")
	maxDelay := fs.Duration("max-delay", 2*time.Millisecond, "longest the oldest waiting request waits for others to fill a batch (not once every connected edge has one waiting)")
	connQueue := fs.Int("conn-queue", 16, "most requests one connection may have waiting")
	maxMsg := fs.Int("max-message", 64<<20, "largest request accepted, in bytes")
	capture := fs.String("capture", "", "record every request received and its answer to this file (the cloud's view; see wire.CaptureWriter)")
	cert := fs.String("tls-cert", "", "serve TLS 1.3 with this certificate (PEM) …")
	key := fs.String("tls-key", "", "… and this key (PEM)")
	clientCA := fs.String("tls-client-ca", "", "require client certificates signed by these CAs (PEM): mutual TLS")
	drain := fs.Duration("drain", 30*time.Second, "on SIGTERM, the longest to wait for the requests received to be answered")
	logLevel := fs.String("log-level", "info", "the least level logged to stderr: info (start, stop, every failed request), warn or error")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *body == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "runexp cloud: need -body FILE and no other arguments\n")
		return errUsage
	}
	if (*cert == "") != (*key == "") || (*clientCA != "" && *cert == "") {
		fmt.Fprint(stderr, "runexp cloud: -tls-cert and -tls-key go together, and -tls-client-ca needs them\n")
		return errUsage
	}
	c, fp, err := experiments.LoadCloud(*body, *tail)
	if err != nil {
		return err
	}
	model := experiments.CloudModel(c, fp, *tail != "", *maxBatch)
	info := model.Info()
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "runexp cloud: -log-level %q, want info, warn or error\n", *logLevel)
		return errUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	cfg := wire.Config{MaxBatch: *maxBatch, MaxDelay: *maxDelay, ConnQueue: *connQueue, MaxMessageBytes: *maxMsg, Logger: log, Registerer: reg}
	if *cert != "" {
		if cfg.TLS, err = wire.NewServerTLS(*cert, *key, *clientCA); err != nil {
			return err
		}
	}
	if *capture != "" {
		f, err := os.Create(*capture)
		if err != nil {
			return fmt.Errorf("runexp cloud: -capture: %w", err)
		}
		cw, err := wire.NewCaptureWriter(f, wire.CaptureHeader{Model: info.ID, Arch: info.Arch, Split: info.Split, InputShape: info.InputShape, OutputDim: info.OutputDim})
		if err != nil {
			f.Close()
			return fmt.Errorf("runexp cloud: -capture %s: %w", *capture, err)
		}
		defer cw.Close()
		cfg.Capture = cw
	}
	srv, err := wire.NewServer(model, cfg)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		srv.Stop()
		return fmt.Errorf("runexp cloud: -listen: %w", err)
	}
	maddr := ""
	if *metricsAddr != "" {
		mlis, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			lis.Close()
			srv.Stop()
			return fmt.Errorf("runexp cloud: -metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(mlis)
		defer hs.Close()
		maddr = mlis.Addr().String()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	fmt.Fprintf(stdout, servingLine, info.ID, lis.Addr(), maddr)
	select {
	case err := <-served:
		srv.Stop()
		return fmt.Errorf("runexp cloud: %w", err)
	case <-ctx.Done():
	}
	dctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	if err := srv.Shutdown(dctx); err != nil {
		return fmt.Errorf("runexp cloud: drained for %v and cut off the rest: %w", *drain, err)
	}
	return nil
}

// cellOf resolves the cell a command serves or attacks: the config's only DataMix cell, or
// the one whose ID is id; and its directory in the run directory run (default runs/<name>).
func cellOf(cfgPath string, sets config.Overrides, run, id string) (*config.Cell, string, error) {
	cfg, err := config.LoadWith(cfgPath, sets)
	if err != nil {
		return nil, "", err
	}
	cells, err := config.Expand(cfg)
	if err != nil {
		return nil, "", err
	}
	var picked []*config.Cell
	var ids []string
	for i := range cells {
		c := &cells[i]
		if c.Variant != config.VariantDataMix {
			continue
		}
		ids = append(ids, c.ID)
		if id == "" || c.ID == id {
			picked = append(picked, c)
		}
	}
	switch {
	case len(picked) == 0 && id != "":
		return nil, "", fmt.Errorf("%s has no DataMix cell %s; its DataMix cells are %s", cfgPath, id, strings.Join(ids, ", "))
	case len(picked) == 0:
		return nil, "", fmt.Errorf("%s has no DataMix cell", cfgPath)
	case len(picked) > 1:
		return nil, "", fmt.Errorf("%s has %d DataMix cells; name one with -cell (runexp cells -config %s lists them): %s", cfgPath, len(picked), cfgPath, strings.Join(ids, ", "))
	}
	if run == "" {
		run = filepath.Join("runs", cfg.Name)
	}
	dir := filepath.Join(run, "cells", picked[0].ID)
	if _, err := os.Stat(filepath.Join(dir, "row.json")); err != nil {
		return nil, "", fmt.Errorf("cell %s is not trained in %s (no %s); run runexp run -config %s first", picked[0].ID, run, filepath.Join(dir, "row.json"), cfgPath)
	}
	return picked[0], dir, nil
}

// clientTLS builds the edge's TLS configuration from its flags; nil without -tls-ca.
func clientTLS(ca, cert, key, name string) (*tls.Config, error) {
	if ca == "" {
		if cert != "" || key != "" {
			return nil, errors.New("-tls-cert and -tls-key need -tls-ca")
		}
		return nil, nil
	}
	return wire.NewClientTLS(ca, cert, key, name)
}

// cmdEdge serves a dataset's test images through a cloud as a cell's edge.
func cmdEdge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "the experiment config of the trained cell")
	var sets config.Overrides
	fs.Var((*setFlag)(&sets), "set", "override a config field, as for run (repeatable)")
	run := fs.String("run", "", "the run directory the cell was trained in (default runs/<name>)")
	id := fs.String("cell", "", "the DataMix cell's ID, when the config has several")
	cloud := fs.String("cloud", "127.0.0.1:7070", "the cloud's address")
	n := fs.Int("n", 0, "test images to serve (0: the config's test split)")
	pool := fs.Int("pool", 0, "inputs per exchange, a multiple of the group size (0: the config's shuffling pool)")
	linkName := fs.String("link", "loopback", "emulated link: "+strings.Join(link.Names(), ", "))
	ca := fs.String("tls-ca", "", "speak TLS 1.3, trusting these CAs (PEM) for the cloud's certificate")
	cert := fs.String("tls-cert", "", "present this client certificate (PEM) …")
	key := fs.String("tls-key", "", "… with this key (PEM)")
	serverName := fs.String("tls-server-name", "", "the name the cloud's certificate must carry (default: the host dialled)")
	record := fs.String("record", "", "write the edge's secrets to this file, for scoring attacks on the cloud's capture (runexp attack); evaluation only")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *cfgPath == "" || fs.NArg() > 0 || *n < 0 || *pool < 0 {
		fmt.Fprint(stderr, "runexp edge: need -config FILE, counts ≥ 0 and no other arguments\n")
		return errUsage
	}
	prof, err := link.Lookup(*linkName)
	if err != nil {
		fmt.Fprintf(stderr, "runexp edge: -link: %v\n", err)
		return errUsage
	}
	tcfg, err := clientTLS(*ca, *cert, *key, *serverName)
	if err != nil {
		return fmt.Errorf("runexp edge: %w", err)
	}
	c, dir, err := cellOf(*cfgPath, sets, *run, *id)
	if err != nil {
		return err
	}
	cfg := &c.Config
	scheme, err := c.Scheme()
	if err != nil {
		return err
	}
	ds, err := datasets.Load(datasets.Spec{Name: cfg.Dataset.Name, Path: cfg.Dataset.Path, Label: cfg.Dataset.Label, TrainLimit: 1, TestLimit: cfg.Dataset.TestLimit})
	if err != nil {
		return err
	}
	net, fp, err := experiments.LoadEdge(filepath.Join(dir, experiments.PartFile(models.Head)), filepath.Join(dir, experiments.PartFile(models.Tail)))
	if err != nil {
		return err
	}
	p := *pool
	if p == 0 {
		p = cfg.Train.EvalBatchSize
		if cfg.Mixing.ShufflePool > 0 {
			p = cfg.Mixing.ShufflePool
		}
	}
	if p%scheme.K != 0 {
		return fmt.Errorf("runexp edge: -pool %d, need a multiple of the group size %d", p, scheme.K)
	}
	total := *n
	if total == 0 || total > ds.Test.N {
		total = ds.Test.N
	}
	total -= total % p
	if total == 0 {
		return fmt.Errorf("runexp edge: %d test images, fewer than one pool of %d", ds.Test.N, p)
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cl, err := wire.Dial(dctx, *cloud, wire.ClientConfig{Model: experiments.ModelID(net, fp, false), TLS: tcfg, Link: prof})
	if err != nil {
		return err
	}
	defer cl.Close()
	edge := datamix.NewEdge(net, scheme, mixing.CryptoRand(), cl)
	batch := cfg.Train.EvalBatchSize
	if p%batch != 0 {
		batch = p
	}
	edge.SetBatch(batch)
	var rec datamix.Record
	if *record != "" {
		edge.Record(&rec)
	}
	dim, classes := ds.Test.Dim(), net.Classes
	logits := make([]float32, p*classes)
	var lat []float64
	right := 0
	start := time.Now()
	for lo := 0; lo < total; lo += p {
		t0 := time.Now()
		if err := edge.Logits(ctx, logits, ds.Test.X[lo*dim:(lo+p)*dim]); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0).Seconds()*1000)
		for j := range p {
			if models.Argmax(logits[j*classes:(j+1)*classes]) == ds.Test.Y[lo+j] {
				right++
			}
		}
	}
	secs := time.Since(start).Seconds()
	var r results.WireRow
	experiments.SetLatency(&r, lat)
	fmt.Fprintf(stdout, "edge: %d test images of %s through %s in pools of %d: accuracy %.2f%%\n", total, cfg.Dataset.Name, *cloud, p, 100*float64(right)/float64(total))
	fmt.Fprintf(stdout, "latency per input (its pool's): p50 %.1f ms, p95 %.1f ms, p99 %.1f ms; %.0f inputs/s; %.0f bytes up and %.0f down per input (framing included); link %s\n",
		r.LatencyP50MS, r.LatencyP95MS, r.LatencyP99MS, float64(total)/secs, float64(cl.Sent())/float64(total), float64(cl.Received())/float64(total), prof)
	if *record == "" {
		return nil
	}
	f, err := os.Create(*record)
	if err != nil {
		return fmt.Errorf("runexp edge: -record: %w", err)
	}
	h := experiments.SecretsHeader{Dataset: cfg.Dataset.Name, First: 0, N: rec.N, Pool: rec.Pool, K: scheme.K, UploadDim: net.UploadDim(), Mixed: scheme.Mixed(), Shuffled: scheme.Shuffle}
	if err := experiments.WriteSecrets(f, h, &rec.Secrets); err != nil {
		f.Close()
		return fmt.Errorf("runexp edge: -record %s: %w", *record, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("runexp edge: -record %s: %w", *record, err)
	}
	fmt.Fprintf(stdout, "secrets of the %d inputs written to %s: for scoring attacks only (runexp attack)\n", rec.N, *record)
	return nil
}

// cmdAttack runs a config's attacks on a cloud's capture file.
func cmdAttack(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	capture := fs.String("capture", "", "the cloud's capture file (runexp cloud -capture)")
	secretsPath := fs.String("secrets", "", "the edge's secrets file of the same exchange (runexp edge -record), to score the attacks")
	cfgPath := fs.String("config", "", "the config whose attacks run, and whose DataMix cell was served")
	var sets config.Overrides
	fs.Var((*setFlag)(&sets), "set", "override a config field, as for run (repeatable)")
	run := fs.String("run", "", "the run directory the cell was trained in (default runs/<name>)")
	id := fs.String("cell", "", "the DataMix cell's ID, when the config has several")
	out := fs.String("out", "", "also write the scores and notes to this JSON file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *capture == "" || *secretsPath == "" || *cfgPath == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "runexp attack: need -capture FILE -secrets FILE -config FILE and no other arguments\n")
		return errUsage
	}
	c, dir, err := cellOf(*cfgPath, sets, *run, *id)
	if err != nil {
		return err
	}
	if len(c.Config.Attacks) == 0 {
		return fmt.Errorf("%s lists no attacks", *cfgPath)
	}
	net, err := loadModel(filepath.Join(dir, "model.ckpt"))
	if err != nil {
		return err
	}
	f, err := os.Open(*capture)
	if err != nil {
		return fmt.Errorf("runexp attack: %w", err)
	}
	h, recs, err := wire.ReadCapture(f, *capture)
	f.Close()
	if err != nil {
		return err
	}
	view, err := wire.Pools(h, recs)
	if err != nil {
		return err
	}
	if !slices.Equal(h.InputShape, net.UploadShape()) || h.OutputDim != net.DownloadDim() {
		return fmt.Errorf("%s: uploads of %v and answers of %d values, but cell %s uploads %v and gets %d back", *capture, h.InputShape, h.OutputDim, c.ID, net.UploadShape(), net.DownloadDim())
	}
	sf, err := os.Open(*secretsPath)
	if err != nil {
		return fmt.Errorf("runexp attack: %w", err)
	}
	sh, secrets, err := experiments.ReadSecrets(sf, *secretsPath)
	sf.Close()
	if err != nil {
		return err
	}
	if sh.N != view.N || sh.Pool != view.Pool || sh.Dataset != c.Config.Dataset.Name || sh.UploadDim != net.UploadDim() {
		return fmt.Errorf("%s (%d %s inputs in pools of %d) does not match %s (%d uploads in whole pools of %d, %d pools left out as incomplete)",
			*secretsPath, sh.N, sh.Dataset, sh.Pool, *capture, view.N, view.Pool, view.Dropped)
	}
	ds, err := datasets.Load(datasets.Spec{Name: c.Config.Dataset.Name, Path: c.Config.Dataset.Path, Label: c.Config.Dataset.Label,
		TrainLimit: c.Config.Dataset.TrainLimit, TestLimit: c.Config.Dataset.TestLimit})
	if err != nil {
		return err
	}
	if sh.First+sh.N > ds.Test.N {
		return fmt.Errorf("%s: inputs %d … %d, but the test split has %d", *secretsPath, sh.First, sh.First+sh.N-1, ds.Test.N)
	}
	victims := make([]int, sh.N)
	for i := range victims {
		victims[i] = sh.First + i
	}
	capt := &attacks.Capture{
		Observed: datamix.Observed{N: view.N, Pool: view.Pool, Uploads: view.Uploads, Returns: view.Returns},
		Truth:    attacks.Truth{Images: ds.Test.Subset(victims), Secrets: *secrets},
	}
	res, err := experiments.AttackCapture(ctx, c, ds, net, capt)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(res.Metrics))
	for k := range res.Metrics {
		names = append(names, k)
	}
	slices.Sort(names)
	fmt.Fprintf(stdout, "attacks of %s on %s: %d uploads in pools of %d\n", *cfgPath, *capture, view.N, view.Pool)
	for _, k := range names {
		fmt.Fprintf(stdout, "%-32s %.4g\n", k, res.Metrics[k])
	}
	notes := make([]string, 0, len(res.Notes))
	for k, v := range res.Notes {
		notes = append(notes, k+": "+v)
	}
	slices.Sort(notes)
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	if *out == "" {
		return nil
	}
	metrics := map[string]any{}
	for k, v := range res.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			metrics[k] = fmt.Sprint(v)
		} else {
			metrics[k] = v
		}
	}
	b, err := json.MarshalIndent(map[string]any{"metrics": metrics, "notes": res.Notes}, "", "  ")
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(*out, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err })
}

// loadModel reads a whole-network checkpoint.
func loadModel(path string) (*models.Net, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return models.Load(f, path)
}

// cmdWire runs a wire study: train the config's cells, then serve each through clouds run
// as processes of their own.
func cmdWire(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("wire", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "experiment config with a wire section (YAML)")
	out := fs.String("out", "", "output directory (default runs/<name>, runs/<name>-tiny with -tiny)")
	jobs := fs.Int("jobs", 0, "cells trained at once (default: the number of CPUs)")
	tiny := fs.Bool("tiny", false, "smoke test: a few examples, one epoch, one pool per link, brief scaling points")
	inProcess := fs.Bool("in-process", false, "serve the clouds from this process instead of one process each (no CPU times then)")
	var sets config.Overrides
	fs.Var((*setFlag)(&sets), "set", "override a config field (repeatable; see runexp -h)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *cfgPath == "" || fs.NArg() > 0 || *jobs < 0 {
		fmt.Fprint(stderr, "runexp wire: need -config FILE and no other arguments\n")
		return errUsage
	}
	cfg, err := config.LoadWith(*cfgPath, sets)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Wire == nil {
		return fmt.Errorf("%s has no wire section; runexp wire serves the cells of a wire study (see the README)", *cfgPath)
	}
	if *tiny {
		cfg.Tiny()
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", cfg.Name)
		if *tiny {
			dir += "-tiny"
		}
	}
	var clouds experiments.CloudStarter = experiments.InProcessClouds{}
	if !*inProcess {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("runexp wire: %w", err)
		}
		clouds = &processClouds{exe: exe, stderr: stderr}
	}
	obs := newObserver(stderr, max(*jobs, 1))
	rows, points, err := experiments.RunWire(ctx, cfg, experiments.WireOptions{
		Options: experiments.Options{Out: dir, Observer: obs, Jobs: *jobs},
		Clouds:  clouds,
		Log:     func(s string) { fmt.Fprintln(stderr, s) },
	})
	obs.finish()
	if len(rows) > 0 {
		fmt.Fprintf(stdout, "%d cells and %d wire points written to %s (results.csv, wire.csv, summary.md)\n", len(rows), len(points), dir)
		if perr := redraw(dir, stdout, stderr); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// processClouds starts each cloud of a wire study as a process of its own: this executable
// with the cloud command on loopback ports the kernel picks. RUNEXP_MAIN=1 in its environment
// makes a test binary (see TestMain) run as runexp; runexp itself ignores it.
type processClouds struct {
	exe    string
	stderr io.Writer
}

func (p *processClouds) Start(ctx context.Context, spec experiments.CloudSpec) (experiments.RunningCloud, error) {
	args := []string{"cloud", "-body", spec.Body, "-listen", "127.0.0.1:0", "-metrics", "127.0.0.1:0",
		"-max-batch", fmt.Sprint(spec.MaxBatch), "-max-delay", spec.MaxDelay.String(), "-conn-queue", fmt.Sprint(spec.ConnQueue), "-log-level", "warn"}
	if spec.Tail != "" {
		args = append(args, "-tail", spec.Tail)
	}
	cmd := exec.Command(p.exe, args...)
	cmd.Env = append(os.Environ(), "RUNEXP_MAIN=1")
	cmd.Stderr = p.stderr
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("runexp wire: start the cloud: %w", err)
	}
	done := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outPipe)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, outPipe)
		done <- cmd.Wait()
	}()
	pc := &processCloud{cmd: cmd, done: done}
	select {
	case line, ok := <-lines:
		var model string
		if ok {
			_, err = fmt.Sscanf(line, strings.TrimSuffix(servingLine, "\n"), &model, &pc.addr, &pc.maddr)
		}
		if !ok || err != nil {
			cmd.Process.Kill()
			return nil, fmt.Errorf("runexp wire: the cloud %s did not start (its first line: %q)", strings.Join(args, " "), line)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		return nil, errors.New("runexp wire: the cloud did not report its addresses within 2 minutes")
	case <-ctx.Done():
		cmd.Process.Kill()
		return nil, ctx.Err()
	}
	return pc, nil
}

// processCloud is a cloud process started by processClouds.
type processCloud struct {
	cmd         *exec.Cmd
	done        chan error
	addr, maddr string
	once        sync.Once
	err         error
}

func (c *processCloud) Addr() string        { return c.addr }
func (c *processCloud) MetricsAddr() string { return c.maddr }
func (c *processCloud) Separate() bool      { return true }

// Stop sends the cloud SIGTERM, which drains it, and waits for it to exit; it kills it when
// ctx ends first.
func (c *processCloud) Stop(ctx context.Context) error {
	c.once.Do(func() {
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case c.err = <-c.done:
		case <-ctx.Done():
			c.cmd.Process.Kill()
			<-c.done
			c.err = ctx.Err()
		}
	})
	return c.err
}
