package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/datamix/harness/wire/wirepb"
)

// fakeModel answers row r with (sum of r, sum of r + 1, …): a body whose answers show which
// row they answer. It records every run's row count and rows, and can take its time.
type fakeModel struct {
	info    ModelInfo
	delay   time.Duration
	block   chan struct{} // when set, each run waits for a value from it (or its closing)
	started chan struct{} // when set, receives a value as each run starts

	mu   sync.Mutex
	runs []int       // rows per run
	seen [][]float32 // every row it ran
}

func newFake(delay time.Duration) *fakeModel {
	return &fakeModel{info: ModelInfo{ID: "fake/1/0123", Arch: "fake", Split: 1, InputShape: []int{1, 2, 2}, OutputDim: 3, PNG: true}, delay: delay}
}

func (m *fakeModel) Info() ModelInfo { return m.info }

func (m *fakeModel) Run(dst, src []float32) error {
	if m.started != nil {
		select {
		case m.started <- struct{}{}:
		default:
		}
	}
	if m.block != nil {
		<-m.block
	}
	time.Sleep(m.delay)
	in, out := m.info.InputDim(), m.info.OutputDim
	rows := len(src) / in
	m.mu.Lock()
	m.runs = append(m.runs, rows)
	for r := range rows {
		m.seen = append(m.seen, slices.Clone(src[r*in:(r+1)*in]))
	}
	m.mu.Unlock()
	for r := range rows {
		answer(dst[r*out:(r+1)*out], src[r*in:(r+1)*in])
	}
	return nil
}

// answer is fakeModel's answer to one row.
func answer(dst, row []float32) {
	var s float32
	for _, v := range row {
		s += v
	}
	for j := range dst {
		dst[j] = s + float32(j)
	}
}

func (m *fakeModel) runSizes() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.runs)
}

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve starts a server of m on a loopback port and stops it when the test ends.
func serve(t *testing.T, m Model, cfg Config) (string, *Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	s, err := NewServer(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String(), s, logs
}

// dial connects a client and closes it when the test ends.
func dial(t *testing.T, addr string, cfg ClientConfig) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawClient is a gRPC client that sends requests as they are, without the Client's checks
// and retries.
func rawClient(t *testing.T, addr string) wirepb.CloudClient {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return wirepb.NewCloudClient(conn)
}

// rows returns n rows of the fake model's input, row r all r+1 (plus a fraction per value).
func rows(n, dim int) []float32 {
	x := make([]float32, n*dim)
	for i := range x {
		x[i] = float32(i/dim+1) + float32(i%dim)/16
	}
	return x
}

func wantAnswers(x []float32, in, out int) []float32 {
	want := make([]float32, len(x)/in*out)
	for r := range len(x) / in {
		answer(want[r*out:(r+1)*out], x[r*in:(r+1)*in])
	}
	return want
}

// TestExchangeAndCapture: a pool larger than the cloud takes in one request goes as several
// requests and comes back whole and in order; the capture file holds exactly what the body
// received and answered, and Pools gives it back as the pool the edge uploaded.
func TestExchangeAndCapture(t *testing.T) {
	m := newFake(0)
	path := filepath.Join(t.TempDir(), "cloud.capture")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := CaptureHeader{Model: m.info.ID, Arch: m.info.Arch, Split: 1, InputShape: m.info.InputShape, OutputDim: m.info.OutputDim}
	cw, err := NewCaptureWriter(f, h)
	if err != nil {
		t.Fatal(err)
	}
	addr, s, _ := serve(t, m, Config{MaxBatch: 4, Capture: cw})
	c := dial(t, addr, ClientConfig{Model: m.info.ID})
	in, out := m.info.InputDim(), m.info.OutputDim
	const pools, pool = 3, 10
	var sent []float32
	for range pools {
		x := rows(pool, in)
		for i := range x {
			x[i] += float32(len(sent))
		}
		got := make([]float32, pool*out)
		if err := c.Exchange(context.Background(), got, x); err != nil {
			t.Fatal(err)
		}
		if want := wantAnswers(x, in, out); !slices.Equal(got, want) {
			t.Fatalf("answers %v, want %v", got, want)
		}
		sent = append(sent, x...)
	}
	if c.Sent() < int64(4*len(sent)) {
		t.Errorf("counted %d bytes sent for %d float32 values", c.Sent(), len(sent))
	}
	s.Stop()
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	rf, _ := os.Open(path)
	defer rf.Close()
	gh, recs, err := ReadCapture(rf, path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gh.InputShape, h.InputShape) || gh.Model != h.Model {
		t.Errorf("header %+v, want %+v", gh, h)
	}
	if len(recs) != pools*3 { // 10 rows in requests of at most 4
		t.Errorf("%d records, want %d", len(recs), pools*3)
	}
	v, err := Pools(gh, recs)
	if err != nil {
		t.Fatal(err)
	}
	if v.N != pools*pool || v.Pool != pool || v.Dropped != 0 || !slices.Equal(v.Uploads, sent) || !slices.Equal(v.Returns, wantAnswers(sent, in, out)) {
		t.Errorf("view of %d rows in pools of %d (%d dropped) does not hold what was sent", v.N, v.Pool, v.Dropped)
	}
}

// TestReadCaptureCorrupt: a capture cut short or altered is an error naming the record.
func TestReadCaptureCorrupt(t *testing.T) {
	var buf bytes.Buffer
	h := CaptureHeader{Model: "m", InputShape: []int{2}, OutputDim: 1}
	cw, _ := NewCaptureWriter(&buf, h)
	for i := range 3 {
		cw.Write(&CaptureRecord{Pool: uint64(i), PoolRows: 1, Rows: 1, Uploads: []float32{1, 2}, Returns: []float32{3}})
	}
	cw.Flush()
	b := buf.Bytes()
	if _, recs, err := ReadCapture(bytes.NewReader(b), "c"); err != nil || len(recs) != 3 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if _, _, err := ReadCapture(bytes.NewReader(b[:len(b)-3]), "c"); err == nil || !strings.Contains(err.Error(), "record 2") {
		t.Errorf("cut short: %v, want an error naming record 2", err)
	}
	bad := bytes.Clone(b)
	bad[len(bad)-8] ^= 0xff
	if _, _, err := ReadCapture(bytes.NewReader(bad), "c"); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("altered: %v, want a checksum error", err)
	}
}

// TestMalformedRequests: every malformed request gets a gRPC status with a message naming
// the problem and a log line, the server keeps serving, and the metrics count them.
func TestMalformedRequests(t *testing.T) {
	m := newFake(0)
	reg := prometheus.NewRegistry()
	addr, _, logs := serve(t, m, Config{MaxBatch: 4, MaxMessageBytes: 4096, Registerer: reg})
	cc := rawClient(t, addr)
	in := m.info.InputDim()
	good := func() *wirepb.InferRequest {
		return &wirepb.InferRequest{Model: m.info.ID, Rows: 2, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(rows(2, in))}
	}
	nan := rows(2, in)
	nan[5] = float32(math.NaN())
	inf := rows(2, in)
	inf[0] = float32(math.Inf(-1))
	var png bytes.Buffer
	if err := EncodePNG(&png, make([]float32, 9), 1, 3, 3); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(r *wirepb.InferRequest)
		code codes.Code
		msg  string
	}{
		{"unknown model", func(r *wirepb.InferRequest) { r.Model = "mnist-cnn/9/ffff" }, codes.NotFound, "unknown model"},
		{"no rows", func(r *wirepb.InferRequest) { r.Rows = 0; r.Data = nil }, codes.InvalidArgument, "rows 0"},
		{"too many rows", func(r *wirepb.InferRequest) { r.Rows = 5; r.Data = encodeFloats(rows(5, in)) }, codes.InvalidArgument, "rows 5"},
		{"short data", func(r *wirepb.InferRequest) { r.Data = r.Data[:len(r.Data)-4] }, codes.InvalidArgument, "data holds 28 bytes"},
		{"wrong shape", func(r *wirepb.InferRequest) { r.Rows = 1 }, codes.InvalidArgument, "1 rows of 4"},
		{"NaN", func(r *wirepb.InferRequest) { r.Data = encodeFloats(nan) }, codes.InvalidArgument, "row 1 value 1 is NaN"},
		{"Inf", func(r *wirepb.InferRequest) { r.Data = encodeFloats(inf) }, codes.InvalidArgument, "is -Inf"},
		{"no encoding", func(r *wirepb.InferRequest) { r.Encoding = 0 }, codes.InvalidArgument, "encoding"},
		{"images with float32", func(r *wirepb.InferRequest) { r.Images = [][]byte{{1}} }, codes.InvalidArgument, "carries 1 images"},
		{"PNG of the wrong size", func(r *wirepb.InferRequest) {
			r.Encoding, r.Data, r.Rows, r.Images = wirepb.Encoding_ENCODING_PNG, nil, 1, [][]byte{png.Bytes()}
		}, codes.InvalidArgument, "3×3 pixels"},
		{"garbage PNG", func(r *wirepb.InferRequest) {
			r.Encoding, r.Data, r.Rows, r.Images = wirepb.Encoding_ENCODING_PNG, nil, 1, [][]byte{[]byte("not a png")}
		}, codes.InvalidArgument, "not a PNG"},
		{"pool overrun", func(r *wirepb.InferRequest) { r.PoolRows, r.Offset = 2, 1 }, codes.InvalidArgument, "overrun a pool of 2"},
		{"oversize", func(r *wirepb.InferRequest) { r.Data = make([]byte, 8000) }, codes.ResourceExhausted, "larger than max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := strings.Count(logs.String(), "request failed")
			req := good()
			tc.edit(req)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := cc.Infer(ctx, req)
			st := status.Convert(err)
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Errorf("got %v %q, want %v with %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
			// The log line is written as the call ends, which may be after the client has
			// its answer.
			waitFor(t, func() bool { return strings.Count(logs.String(), "request failed") > i }, "the log line of "+tc.name)
			if !strings.Contains(logs.String(), "code="+tc.code.String()) {
				t.Errorf("no log line for it: %s", logs.String())
			}
		})
	}
	resp, err := cc.Infer(context.Background(), good())
	if err != nil || resp.GetRows() != 2 {
		t.Fatalf("a good request after the bad ones: %v, %v", resp, err)
	}
	if n := counter(reg, "datamix_cloud_errors_total", "reason", "invalid"); n != 11 {
		t.Errorf("errors_total{reason=invalid} = %v, want 11", n)
	}
	for reason, want := range map[string]float64{"unknown_model": 1, "oversize": 1} {
		if n := counter(reg, "datamix_cloud_errors_total", "reason", reason); n != want {
			t.Errorf("errors_total{reason=%s} = %v, want %v", reason, n, want)
		}
	}
}

// counter is the value of the counter name{label="value"} in reg (0 when absent).
func counter(reg *prometheus.Registry, name, label, value string) float64 {
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestGarbageOnThePort: bytes that are not HTTP/2 get the connection closed and a log line;
// the cloud goes on serving.
func TestGarbageOnThePort(t *testing.T) {
	m := newFake(0)
	addr, _, logs := serve(t, m, Config{})
	for _, junk := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "\x00\x01\x02\x03garbage garbage garbage garbage", "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(junk))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(make([]byte, 64))
		c.Close()
		if err == nil {
			t.Errorf("%q: the server answered %d bytes instead of closing", junk, n)
		}
	}
	if got := strings.Count(logs.String(), "did not open with the HTTP/2 preface"); got != 3 {
		t.Errorf("%d log lines for 3 garbage connections:\n%s", got, logs.String())
	}
	c := dial(t, addr, ClientConfig{})
	got := make([]float32, 3)
	if err := c.Exchange(context.Background(), got, rows(1, 4)); err != nil {
		t.Fatalf("after the garbage: %v", err)
	}
}

// TestDynamicBatching: requests from many clients that arrive while the body is busy are run
// together, never more than MaxBatch rows at once, and every one gets its own answer — on a
// stream (half the clients) and as calls of their own (the other half) alike.
func TestDynamicBatching(t *testing.T) {
	m := newFake(30 * time.Millisecond)
	addr, _, _ := serve(t, m, Config{MaxBatch: 8, MaxDelay: 5 * time.Millisecond})
	const clients, each = 12, 5
	in, out := m.info.InputDim(), m.info.OutputDim
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		c := dial(t, addr, ClientConfig{Unary: i%2 == 1})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				x := rows(1, in)
				x[0] = float32(100*i + j)
				got := make([]float32, out)
				if err := c.Exchange(context.Background(), got, x); err != nil {
					errs <- err
					return
				}
				if !slices.Equal(got, wantAnswers(x, in, out)) {
					errs <- fmt.Errorf("client %d request %d: answer %v belongs to another row", i, j, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	runs := m.runSizes()
	total := 0
	for _, r := range runs {
		total += r
		if r > 8 {
			t.Errorf("a run of %d rows, above MaxBatch 8", r)
		}
	}
	if total != clients*each {
		t.Errorf("the body ran %d rows for %d requests", total, clients*each)
	}
	// 60 single-row requests from 12 closed-loop clients against a 30 ms body: one request
	// per run would take 60 runs; batching must need far fewer.
	if len(runs) > clients*each/3 {
		t.Errorf("%d runs for %d requests (sizes %v): not batching", len(runs), clients*each, runs)
	}
}

// TestFloodIsBounded: a client that floods one connection with requests fills its own queue
// and is refused with a retryable ResourceExhausted, while another client's requests are all
// answered, each within a few body runs.
func TestFloodIsBounded(t *testing.T) {
	m := newFake(20 * time.Millisecond)
	addr, _, _ := serve(t, m, Config{MaxBatch: 2, ConnQueue: 3})
	flood := rawClient(t, addr)
	in := m.info.InputDim()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var refused, answered sync.WaitGroup
	var mu sync.Mutex
	codesSeen := map[codes.Code]int{}
	for range 40 {
		refused.Add(1)
		go func() {
			defer refused.Done()
			_, err := flood.Infer(ctx, &wirepb.InferRequest{Model: m.info.ID, Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(rows(1, in))})
			mu.Lock()
			codesSeen[status.Code(err)]++
			mu.Unlock()
			if status.Code(err) == codes.ResourceExhausted && !retryable(err) {
				t.Errorf("a full queue's refusal is not retryable: %v", err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the flood fill its queue
	other := dial(t, addr, ClientConfig{Retry: Retry{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 1}})
	var worst time.Duration
	for range 5 {
		answered.Add(1)
		start := time.Now()
		got := make([]float32, 3)
		if err := other.Exchange(context.Background(), got, rows(1, in)); err != nil {
			t.Fatalf("the other client was refused: %v", err)
		}
		worst = max(worst, time.Since(start))
		answered.Done()
	}
	refused.Wait()
	if codesSeen[codes.ResourceExhausted] == 0 {
		t.Errorf("the flood of 40 requests on a queue of 3 was never refused: %v", codesSeen)
	}
	// The other client waits for at most the run in progress and one more (it takes turns
	// with the flood's queue): 2 × 20 ms, with a generous margin for a loaded machine.
	if worst > time.Second {
		t.Errorf("the other client waited %v behind the flood", worst)
	}
}

// TestClientLeavesMidBatch: a client whose request is in the body's current run and one whose
// request waits in the queue both leave; the run finishes for the others, whose answers
// arrive, and the waiting request of the client that left is never run.
func TestClientLeavesMidBatch(t *testing.T) {
	m := newFake(0)
	m.block, m.started = make(chan struct{}), make(chan struct{}, 16)
	reg := prometheus.NewRegistry()
	addr, _, _ := serve(t, m, Config{MaxBatch: 4, Registerer: reg})
	in, out := m.info.InputDim(), m.info.OutputDim
	leaver, stayer := rawClient(t, addr), dial(t, addr, ClientConfig{})
	send := func(ctx context.Context, v float32) error {
		x := rows(1, in)
		x[0] = v
		_, err := leaver.Infer(ctx, &wirepb.InferRequest{Model: m.info.ID, Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(x)})
		return err
	}
	// The first run takes the leaver's request 1 and blocks in the body.
	ctx1, cancel1 := context.WithCancel(context.Background())
	done1 := make(chan error, 1)
	go func() { done1 <- send(ctx1, 1000) }()
	select {
	case <-m.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request never reached the body")
	}
	// While the body runs: the stayer's request and the leaver's request 2 wait.
	stayerDone := make(chan error, 1)
	got := make([]float32, out)
	x := rows(1, in)
	x[0] = 7
	go func() { stayerDone <- stayer.Exchange(context.Background(), got, x) }()
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- send(ctx2, 2000) }()
	time.Sleep(100 * time.Millisecond)
	cancel1() // leaves mid-run
	cancel2() // leaves while queued
	if err := <-done1; status.Code(err) != codes.Canceled {
		t.Errorf("the leaver's running request: %v, want Canceled", err)
	}
	if err := <-done2; status.Code(err) != codes.Canceled {
		t.Errorf("the leaver's queued request: %v, want Canceled", err)
	}
	// The cloud learns of the cancellations as the client resets its streams.
	waitFor(t, func() bool { return counter(reg, "datamix_cloud_errors_total", "reason", "cancelled") == 2 }, "the cloud to see both cancellations")
	close(m.block) // the body finishes its run, and every later one at once
	select {
	case err := <-stayerDone:
		if err != nil || !slices.Equal(got, wantAnswers(x, in, out)) {
			t.Fatalf("the staying client: %v, %v", got, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the staying client's request stalled after another client left")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.seen {
		if r[0] == 2000 {
			t.Error("the queued request of a client that left was run")
		}
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestShutdownDrains: Shutdown answers every request already received, the queued ones
// included, on streams and unary calls alike, while it refuses new connections.
func TestShutdownDrains(t *testing.T) {
	m := newFake(0)
	m.block = make(chan struct{})
	addr, s, _ := serve(t, m, Config{MaxBatch: 1})
	in, out := m.info.InputDim(), m.info.OutputDim
	const n = 6
	errs := make(chan error, n)
	for i := range n {
		c := dial(t, addr, ClientConfig{Retry: Retry{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 1}, Unary: i%2 == 1})
		go func() {
			x := rows(1, in)
			x[0] = float32(i)
			got := make([]float32, out)
			err := c.Exchange(context.Background(), got, x)
			if err == nil && !slices.Equal(got, wantAnswers(x, in, out)) {
				err = errors.New("wrong answer")
			}
			errs <- err
		}()
	}
	// One request is in the blocked body, the others wait.
	waitFor(t, func() bool { return s.b.queued() == n-1 }, "the requests to queue")
	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		drained <- s.Shutdown(ctx)
	}()
	time.Sleep(100 * time.Millisecond) // the shutdown has begun: no new connection
	cctx, ccancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer ccancel()
	if c, err := Dial(cctx, addr, ClientConfig{}); err == nil {
		c.Close()
		t.Error("a client connected during the shutdown")
	}
	close(m.block)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a request received before the shutdown: %v", err)
		}
	}
	if got := len(m.runSizes()); got != n {
		t.Errorf("%d runs for %d requests", got, n)
	}
}

// slogTo returns a logger writing text lines to w.
func slogTo(w *logBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestBatchRunsWhenEveryEdgeWaits: a batch waits up to MaxDelay for more requests, but not once
// every connected edge has one waiting — no one else could join it then.
func TestBatchRunsWhenEveryEdgeWaits(t *testing.T) {
	m := newFake(0)
	const delay = 3 * time.Second
	addr, _, _ := serve(t, m, Config{MaxBatch: 64, MaxDelay: delay})
	in := m.info.InputDim()
	clients := []*Client{dial(t, addr, ClientConfig{}), dial(t, addr, ClientConfig{}), dial(t, addr, ClientConfig{Unary: true})}
	send := func(cs []*Client) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.Exchange(context.Background(), make([]float32, 3), rows(1, in)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	if took := send(clients); took >= delay-500*time.Millisecond {
		t.Errorf("all 3 edges waiting: answered after %v, as if waiting out MaxDelay %v", took, delay)
	}
	if took := send(clients[:2]); took < delay {
		t.Errorf("2 of 3 edges waiting: answered after %v, before MaxDelay %v", took, delay)
	}
	if runs := m.runSizes(); !slices.Equal(runs, []int{3, 2}) {
		t.Errorf("runs of %v rows, want [3 2]", runs)
	}
}
