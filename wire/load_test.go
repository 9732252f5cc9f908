package wire_test

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/datamix/harness/datamix"
	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/wire"
)

// TestLoad64Edges: 64 edges — each a DataMix edge (mnist-cnn's head and tail at split 1, k = 2,
// pools of 8, secrets from crypto/rand) on its own connection — serve pools against one cloud
// (the body, dynamic batching up to 64 rows, 2 ms) for 60 s on loopback, each starting a pool
// every 250 ms (a camera's rate; 2,048 inputs/s offered in all, about a third of what this
// cloud serves flat out on 2 cores, so that the test leaves the other packages' tests some
// CPU), with no error at all; it logs the latency percentiles of a pool and the throughput
// (bench/README.md reports them). It runs in parallel with the other tests of the package,
// and is skipped with -short.
func TestLoad64Edges(t *testing.T) {
	if testing.Short() {
		t.Skip("a 60-second load test")
	}
	t.Parallel()
	const edges, pool, seconds = 64, 8, 60
	const interval = 250 * time.Millisecond // between the starts of an edge's pools
	arch, _ := models.Lookup("mnist-cnn")
	trained, err := models.New(arch, 10, 1, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	cloud := datamix.NewCloud(trained)
	srv, err := wire.NewServer(experiments.CloudModel(cloud, trained.Fingerprint(), false, 64), wire.Config{MaxBatch: 64, MaxDelay: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()
	sampler, _ := mixing.NewSampler("dirichlet", 1, nil)
	scheme := datamix.Scheme{Scheme: mixing.Scheme{K: 2, Sampler: sampler, Shuffle: true, Guard: mixing.Guard{MaxCond: 100, MaxTries: 1000}}}
	x := make([]float32, pool*trained.InputDim())
	src := rand.New(rand.NewPCG(3, 4))
	for i := range x {
		x[i] = src.Float32()
	}
	id := experiments.ModelID(trained, trained.Fingerprint(), false)
	lat := make([][]float64, edges)
	errs := make([]error, edges)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(seconds * time.Second)
	for e := range edges {
		// Each edge its own copy of the weights: concurrent graphs must not share them.
		buf := new(bytes.Buffer)
		trained.SavePart(buf, models.Head)
		head, _, err := models.LoadPart(buf, "head", nil)
		if err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		trained.SavePart(buf, models.Tail)
		if _, _, err := models.LoadPart(buf, "tail", head); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cl, err := wire.Dial(ctx, lis.Addr().String(), wire.ClientConfig{Model: id})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		edge := datamix.NewEdge(head, scheme, mixing.CryptoRand(), cl)
		wg.Add(1)
		go func() {
			defer wg.Done()
			logits := make([]float32, pool*trained.Classes)
			next := start.Add(time.Duration(e) * interval / edges) // the edges' starts spread over one interval
			for next.Before(deadline) {
				time.Sleep(time.Until(next))
				t0 := time.Now()
				if err := edge.Logits(context.Background(), logits, x); err != nil {
					errs[e] = err
					return
				}
				lat[e] = append(lat[e], time.Since(t0).Seconds()*1000)
				next = next.Add(interval)
				if now := time.Now(); next.Before(now) { // a late pool does not make the next ones bunch
					next = now
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	var all []float64
	for e := range edges {
		if errs[e] != nil || len(lat[e]) == 0 {
			t.Errorf("edge %d: %d pools served, error %v", e, len(lat[e]), errs[e])
		}
		all = append(all, lat[e]...)
	}
	slices.Sort(all)
	pct := func(q float64) float64 { return all[max(int(math.Ceil(q*float64(len(all))))-1, 0)] }
	t.Logf("64 edges × %.0f s, a pool every %v each: %d pools of %d (%.0f inputs/s), zero errors; latency of a pool p50 %.1f ms, p95 %.1f ms, p99 %.1f ms",
		elapsed, interval, len(all), pool, float64(len(all)*pool)/elapsed, pct(0.5), pct(0.95), pct(0.99))
}
