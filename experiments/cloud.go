package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/datamix/harness/wire"
)

// CloudSpec is what a wire study asks a cloud to serve, and how.
type CloudSpec struct {
	// Body is the body file of the served cell (body.ckpt); Tail, for the raw-input
	// baseline only, its tail file. The cloud is given nothing else.
	Body, Tail string
	// MaxBatch, MaxDelay and ConnQueue set its batcher (wire.Config).
	MaxBatch  int
	MaxDelay  time.Duration
	ConnQueue int
}

// RunningCloud is a cloud a CloudStarter started.
type RunningCloud interface {
	// Addr is the host:port of its gRPC service, MetricsAddr that of its Prometheus
	// metrics (/metrics).
	Addr() string
	MetricsAddr() string
	// Separate says whether it runs in a process of its own, so that the CPU time of the
	// edges' process is the edges' alone and the cloud reports its own.
	Separate() bool
	// Stop drains it (wire.Server.Shutdown) and releases it.
	Stop(ctx context.Context) error
}

// CloudStarter starts the clouds of a wire study. The command line starts each as a process
// of its own (runexp cloud); InProcessClouds serves them from goroutines of this process,
// behind real loopback sockets, which is what the tests use.
type CloudStarter interface {
	Start(ctx context.Context, spec CloudSpec) (RunningCloud, error)
}

// InProcessClouds serves each cloud from this process, on loopback ports. The edges' CPU
// time then includes the cloud's, so a study run this way reports none (NaN).
type InProcessClouds struct{}

// Start loads the spec's part files and serves them on 127.0.0.1.
func (InProcessClouds) Start(_ context.Context, spec CloudSpec) (RunningCloud, error) {
	c, fp, err := LoadCloud(spec.Body, spec.Tail)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	srv, err := wire.NewServer(CloudModel(c, fp, spec.Tail != "", spec.MaxBatch),
		wire.Config{MaxBatch: spec.MaxBatch, MaxDelay: spec.MaxDelay, ConnQueue: spec.ConnQueue, Registerer: reg})
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("experiments: %w", err)
	}
	mlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		lis.Close()
		srv.Stop()
		return nil, fmt.Errorf("experiments: %w", err)
	}
	go srv.Serve(lis)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(mlis)
	return &localCloud{srv: srv, http: hs, addr: lis.Addr().String(), maddr: mlis.Addr().String()}, nil
}

type localCloud struct {
	srv         *wire.Server
	http        *http.Server
	addr, maddr string
}

func (l *localCloud) Addr() string        { return l.addr }
func (l *localCloud) MetricsAddr() string { return l.maddr }
func (l *localCloud) Separate() bool      { return false }

func (l *localCloud) Stop(ctx context.Context) error {
	err := l.srv.Shutdown(ctx)
	l.http.Close()
	return err
}

// CloudMetrics are the counters of a cloud's metrics that a wire study reads before and after
// each measured window.
type CloudMetrics struct {
	// Rows and Batches count the rows the body ran and its runs; Busy the seconds it spent
	// computing.
	Rows, Batches, Busy float64
	// CPU is the cloud process's CPU seconds (process_cpu_seconds_total), NaN when it does
	// not export them.
	CPU float64
}

// ScrapeCloud reads the metrics a cloud exports at addr (host:port, path /metrics).
func ScrapeCloud(ctx context.Context, addr string) (CloudMetrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return CloudMetrics{}, fmt.Errorf("experiments: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return CloudMetrics{}, fmt.Errorf("experiments: cloud metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return CloudMetrics{}, fmt.Errorf("experiments: cloud metrics at %s: %s", addr, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return CloudMetrics{}, fmt.Errorf("experiments: cloud metrics at %s: %w", addr, err)
	}
	value := func(name string) (float64, bool) {
		f, ok := fams[name]
		if !ok || len(f.GetMetric()) == 0 {
			return 0, false
		}
		m := f.GetMetric()[0]
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
		return 0, false
	}
	var cm CloudMetrics
	var ok [3]bool
	cm.Rows, ok[0] = value("datamix_cloud_rows_total")
	cm.Batches, ok[1] = value("datamix_cloud_batches_total")
	cm.Busy, ok[2] = value("datamix_cloud_busy_seconds_total")
	if !ok[0] || !ok[1] || !ok[2] {
		return CloudMetrics{}, errors.New("experiments: cloud metrics at " + addr + " lack datamix_cloud_rows_total, _batches_total or _busy_seconds_total")
	}
	cm.CPU = math.NaN()
	if v, ok := value("process_cpu_seconds_total"); ok {
		cm.CPU = v
	}
	return cm, nil
}
