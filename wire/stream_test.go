package wire

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"

	"github.com/datamix/harness/wire/wirepb"
)

// openStream opens a raw Stream call that ends with the test.
func openStream(t *testing.T, addr string) wirepb.Cloud_StreamClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := rawClient(t, addr).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// recvAll reads n answers from st, by id, failing the test after 10 s.
func recvAll(t *testing.T, st wirepb.Cloud_StreamClient, n int) map[uint64]*wirepb.InferResponse {
	t.Helper()
	got := map[uint64]*wirepb.InferResponse{}
	done := make(chan error, 1)
	go func() {
		for range n {
			resp, err := st.Recv()
			if err != nil {
				done <- err
				return
			}
			got[resp.GetId()] = resp
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after %d of %d answers: %v", len(got), n, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%d of %d answers in 10 s", len(got), n)
	}
	return got
}

// TestStreamRefusesInline: on a stream, a malformed request is answered with its status code
// and message under its id, and logged and counted as a unary call's refusal would be; the
// stream goes on, and the good requests around it are answered with their own rows.
func TestStreamRefusesInline(t *testing.T) {
	m := newFake(0)
	reg := prometheus.NewRegistry()
	addr, _, logs := serve(t, m, Config{MaxBatch: 4, Registerer: reg})
	in, out := m.info.InputDim(), m.info.OutputDim
	st := openStream(t, addr)
	nan := rows(1, in)
	nan[2] = float32(math.NaN())
	reqs := []*wirepb.InferRequest{
		{Id: 10, Model: m.info.ID, Rows: 2, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(rows(2, in))},
		{Id: 11, Model: "mnist-cnn/9/ffff", Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(rows(1, in))},
		{Id: 12, Model: m.info.ID, Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(nan)},
		{Id: 13, Model: m.info.ID, Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(rows(1, in)[:in-1])},
		{Id: 14, Model: m.info.ID, Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(rows(1, in))},
	}
	for _, r := range reqs {
		if err := st.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	got := recvAll(t, st, len(reqs))
	for id, want := range map[uint64]struct {
		code codes.Code
		msg  string
	}{11: {codes.NotFound, "unknown model"}, 12: {codes.InvalidArgument, "is NaN"}, 13: {codes.InvalidArgument, "data holds 12 bytes"}} {
		r := got[id]
		if codes.Code(r.GetCode()) != want.code || !strings.Contains(r.GetMessage(), want.msg) || len(r.GetData()) > 0 {
			t.Errorf("request %d: answered %v %q with %d bytes, want %v with %q", id, codes.Code(r.GetCode()), r.GetMessage(), len(r.GetData()), want.code, want.msg)
		}
	}
	for _, id := range []uint64{10, 14} {
		r, x := got[id], rows(int(reqs[id-10].GetRows()), in)
		if r.GetCode() != 0 || !slices.Equal(floatsOf(slices.Clone(r.GetData())), wantAnswers(x, in, out)) {
			t.Errorf("request %d: answered %v %q %v, want the answers to its rows", id, codes.Code(r.GetCode()), r.GetMessage(), r.GetData())
		}
	}
	waitFor(t, func() bool { return strings.Count(logs.String(), "request failed") == 3 }, "three log lines")
	for code, want := range map[string]float64{"OK": 2, "NotFound": 1, "InvalidArgument": 2} {
		if n := counter(reg, "datamix_cloud_requests_total", "code", code); n != want {
			t.Errorf("requests_total{code=%s} = %v, want %v", code, n, want)
		}
	}
	if n := counter(reg, "datamix_cloud_errors_total", "reason", "invalid"); n != 2 {
		t.Errorf("errors_total{reason=invalid} = %v, want 2", n)
	}
}

// TestStreamFloodIsBounded: a stream that sends far more requests than its connection may
// queue gets the excess refused with a retryable ResourceExhausted carrying a delay, while
// another client is answered within a few body runs.
func TestStreamFloodIsBounded(t *testing.T) {
	m := newFake(20 * time.Millisecond)
	addr, _, _ := serve(t, m, Config{MaxBatch: 2, ConnQueue: 3})
	in := m.info.InputDim()
	st := openStream(t, addr)
	const n = 40
	go func() {
		for i := range n {
			st.Send(&wirepb.InferRequest{Id: uint64(i), Model: m.info.ID, Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(rows(1, in))})
		}
	}()
	time.Sleep(50 * time.Millisecond) // let the flood fill its queue
	other := dial(t, addr, ClientConfig{Retry: Retry{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 1}})
	var worst time.Duration
	for range 5 {
		start := time.Now()
		if err := other.Exchange(context.Background(), make([]float32, 3), rows(1, in)); err != nil {
			t.Fatalf("the other client was refused: %v", err)
		}
		worst = max(worst, time.Since(start))
	}
	got := recvAll(t, st, n)
	refusedN := 0
	for _, r := range got {
		if r.GetCode() == 0 {
			continue
		}
		refusedN++
		err := refused(r)
		if codes.Code(r.GetCode()) != codes.ResourceExhausted || r.GetRetryAfterMs() == 0 || !retryable(err) {
			t.Errorf("a refusal of the flood: %v %q, retry after %d ms, retryable %v", codes.Code(r.GetCode()), r.GetMessage(), r.GetRetryAfterMs(), retryable(err))
		}
	}
	if refusedN == 0 {
		t.Errorf("a stream of %d requests on a queue of 3 was never refused", n)
	}
	if worst > time.Second {
		t.Errorf("the other client waited %v behind the flood", worst)
	}
}

// TestCloseIsQuiet: an edge that closes its client after its requests ends its stream cleanly:
// the cloud logs no failure and counts no error.
func TestCloseIsQuiet(t *testing.T) {
	m := newFake(0)
	reg := prometheus.NewRegistry()
	addr, _, logs := serve(t, m, Config{Registerer: reg})
	for range 3 {
		c := dial(t, addr, ClientConfig{})
		if err := c.Exchange(context.Background(), make([]float32, 3), rows(1, m.info.InputDim())); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	time.Sleep(100 * time.Millisecond) // the streams' ends reach the cloud
	if strings.Contains(logs.String(), "request failed") {
		t.Errorf("closing a client logged a failure:\n%s", logs.String())
	}
	if n := counter(reg, "datamix_cloud_requests_total", "code", "OK"); n != 3 {
		t.Errorf("requests_total{code=OK} = %v, want 3", n)
	}
}
