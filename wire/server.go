package wire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/datamix/harness/wire/wirepb"
)

// Model is what a cloud runs: the body of one network (datamix.Cloud behind an adapter in the
// harness; anything that maps rows to rows in tests).
type Model interface {
	// Info describes the model.
	Info() ModelInfo
	// Run computes the answers dst (rows × OutputDim) to src (rows × InputDim). The server
	// calls it from one goroutine at a time, with at most Config.MaxBatch rows.
	Run(dst, src []float32) error
}

// Config sets how a cloud serves. The zero value of a field means its documented default.
type Config struct {
	// MaxBatch is the most rows a body run takes, gathered from every connection; it is
	// also the most rows one request may carry. Default 64.
	MaxBatch int
	// MaxDelay is the longest the oldest waiting request waits for others to fill a batch;
	// a full batch runs at once, and so does one holding a request of every open connection.
	// 0 runs whatever waits as soon as the body is free.
	MaxDelay time.Duration
	// ConnQueue is the most requests one connection may have waiting; more are refused
	// with ResourceExhausted, so that one client's flood cannot starve the others. Default 16.
	ConnQueue int
	// MaxMessageBytes is the largest request accepted; a larger one is refused with
	// ResourceExhausted before it is decoded. Default 64 MiB.
	MaxMessageBytes int
	// TLS, when set, serves TLS with it (NewServerTLS makes a TLS 1.3 one, optionally
	// requiring client certificates).
	TLS *tls.Config
	// Capture, when set, receives every request the body ran and its answers: the cloud's
	// view (CaptureWriter). The server flushes it when it stops; the caller closes it.
	Capture *CaptureWriter
	// Logger receives a line per failed request or refused connection, and the server's
	// start and stop; nil discards them.
	Logger *slog.Logger
	// Registerer, when set, gets the server's metrics (see metrics.go for the list).
	Registerer prometheus.Registerer
}

// withDefaults fills the zero fields with their defaults.
func (c Config) withDefaults() Config {
	if c.MaxBatch == 0 {
		c.MaxBatch = 64
	}
	if c.ConnQueue == 0 {
		c.ConnQueue = 16
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Server is a cloud: it serves one Model over gRPC (the Cloud service of wire.proto),
// batching the requests of every connection dynamically into body runs.
type Server struct {
	model Model
	info  ModelInfo
	cfg   Config
	log   *slog.Logger
	m     *metrics
	b     *batcher
	grpc  *grpc.Server
	conns atomic.Uint64

	quit      chan struct{} // closes to stop the body loop at once
	loopDone  chan struct{}
	stopOnce  sync.Once
	drain     chan struct{} // closes when Shutdown begins: streams end once answered
	drainOnce sync.Once
}

// service is the gRPC Cloud service of a Server.
type service struct {
	s *Server
	wirepb.UnimplementedCloudServer
}

// NewServer returns a cloud serving m under cfg. It starts the loop that runs the body;
// Serve accepts connections; Shutdown or Stop end both.
func NewServer(m Model, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.MaxBatch < 1 || cfg.ConnQueue < 1 || cfg.MaxDelay < 0 || cfg.MaxMessageBytes < 1 {
		return nil, fmt.Errorf("wire: max batch %d, connection queue %d, max delay %v, max message %d bytes: need positive sizes and a delay ≥ 0",
			cfg.MaxBatch, cfg.ConnQueue, cfg.MaxDelay, cfg.MaxMessageBytes)
	}
	info := m.Info()
	if info.InputDim() < 1 || info.OutputDim < 1 {
		return nil, fmt.Errorf("wire: model %s has rows of %v values and answers of %d", info.ID, info.InputShape, info.OutputDim)
	}
	s := &Server{model: m, info: info, cfg: cfg, log: cfg.Logger, m: newMetrics(cfg.Registerer, cfg.MaxBatch),
		b: newBatcher(cfg.MaxBatch, cfg.ConnQueue, cfg.MaxDelay), quit: make(chan struct{}), loopDone: make(chan struct{}),
		drain: make(chan struct{})}
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.ForceServerCodecV2(newCodec(floats)), experimental.BufferPool(buffers),
		grpc.StatsHandler(&serverStats{s: s}),
		// Large windows: a batch of uploads is megabytes, and HTTP/2's 64 KiB default
		// window would cost a round trip per 64 KiB on a slow link.
		grpc.InitialWindowSize(8 << 20), grpc.InitialConnWindowSize(16 << 20),
		grpc.ReadBufferSize(256 << 10), grpc.WriteBufferSize(256 << 10), grpc.SharedWriteBuffer(true),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s.grpc = grpc.NewServer(opts...)
	wirepb.RegisterCloudServer(s.grpc, service{s: s})
	go s.loop()
	return s, nil
}

// Info is the served model's description.
func (s *Server) Info() ModelInfo { return s.info }

// Serve accepts connections on lis until Shutdown or Stop. Connections that do not open with
// what the server expects (the HTTP/2 preface, or a TLS handshake when serving TLS) are
// closed at once with a log line.
func (s *Server) Serve(lis net.Listener) error {
	s.log.Info("cloud serving", "addr", lis.Addr().String(), "model", s.info.ID, "max_batch", s.cfg.MaxBatch,
		"max_delay", s.cfg.MaxDelay, "conn_queue", s.cfg.ConnQueue, "tls", s.cfg.TLS != nil)
	err := s.grpc.Serve(newCheckedListener(lis, s.cfg.TLS != nil, s))
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Shutdown drains the server: it stops accepting connections and requests, answers every
// request already received (the queued ones included), then stops. If ctx ends first, the
// rest is cut off as by Stop. The capture is flushed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.log.Info("cloud draining", "queued", s.b.queued())
	s.drainOnce.Do(func() { close(s.drain) })
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
		<-done
		err = ctx.Err()
	}
	s.b.stop()
	if err != nil {
		s.stopLoop()
	}
	<-s.loopDone
	if cerr := s.flushCapture(); err == nil {
		err = cerr
	}
	s.log.Info("cloud stopped")
	return err
}

// Stop stops the server at once: connections close, waiting requests fail.
func (s *Server) Stop() {
	s.grpc.Stop()
	s.b.stop()
	s.stopLoop()
	<-s.loopDone
	s.flushCapture()
}

func (s *Server) stopLoop() { s.stopOnce.Do(func() { close(s.quit) }) }

func (s *Server) flushCapture() error {
	if s.cfg.Capture == nil {
		return nil
	}
	return s.cfg.Capture.Flush()
}

// loop runs the body on batch after batch until the batcher stops and empties, or quit.
func (s *Server) loop() {
	defer close(s.loopDone)
	in, out := s.info.InputDim(), s.info.OutputDim
	var src, dst []float32
	for {
		batch := s.b.next(s.quit)
		if batch == nil {
			return
		}
		s.m.queued.Set(float64(s.b.queued()))
		rows := 0
		for _, it := range batch {
			rows += it.rows
		}
		dst = grow(dst, rows*out)
		start := time.Now()
		in1 := batch[0].src // a batch of one request runs on its rows where they are
		if len(batch) > 1 {
			src = grow(src, rows*in)
			at := 0
			for _, it := range batch {
				copy(src[at*in:], it.src)
				at += it.rows
			}
			in1 = src
		}
		for _, it := range batch {
			s.m.queueDelay.Observe(start.Sub(it.arrived).Seconds())
		}
		err := s.run(dst, in1)
		took := time.Since(start).Seconds()
		s.m.body.Observe(took)
		s.m.busy.Add(took)
		s.m.batches.Inc()
		s.m.batchRows.Observe(float64(rows))
		s.m.rows.Add(float64(rows))
		at := 0
		for _, it := range batch {
			if err == nil {
				if it.pooled {
					it.dstBuf = floats.get(it.rows * out)
					it.dst = *it.dstBuf
					copy(it.dst, dst[at*out:])
				} else {
					it.dst = append([]float32(nil), dst[at*out:(at+it.rows)*out]...)
				}
				if s.cfg.Capture != nil {
					rec := it.meta
					rec.Rows, rec.Uploads, rec.Returns = it.rows, it.src, it.dst
					if cerr := s.cfg.Capture.Write(&rec); cerr != nil {
						s.log.Error("capture write failed", "err", cerr)
					}
				}
			}
			at += it.rows
			it.finish(err)
		}
	}
}

// run calls the model, turning a panic into an error: a bug in the body must not take the
// cloud down with every other client's requests.
func (s *Server) run(dst, src []float32) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("body panicked: %v", r)
		}
	}()
	return s.model.Run(dst, src)
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// Info answers the Info call.
func (v service) Info(context.Context, *wirepb.InfoRequest) (*wirepb.ModelInfo, error) {
	s := v.s
	mi := &wirepb.ModelInfo{Model: s.info.ID, Arch: s.info.Arch, Split: int32(s.info.Split),
		OutputDim: int32(s.info.OutputDim), MaxRows: int32(s.cfg.MaxBatch),
		Encodings: []wirepb.Encoding{wirepb.Encoding_ENCODING_FLOAT32}}
	for _, d := range s.info.InputShape {
		mi.InputShape = append(mi.InputShape, int32(d))
	}
	if s.info.PNG {
		mi.Encodings = append(mi.Encodings, wirepb.Encoding_ENCODING_PNG)
	}
	return mi, nil
}

// connKey is the context key of a connection's number (serverStats.TagConn).
type connKey struct{}

// admit decodes and checks a request and queues it for a body run, which calls finish (see
// item.finish), then release (when not nil: the request's rows are no longer needed). A
// request refused on arrival gets its gRPC status here, counted among the errors by cause,
// and only release is called.
func (s *Server) admit(ctx context.Context, req *wirepb.InferRequest, arrived time.Time, finish func(*item, error), release func()) (err error) {
	if release != nil {
		defer func() {
			if err != nil {
				release()
			}
		}()
	}
	src, err := decodeRows(req, s.info, s.cfg.MaxBatch)
	if err != nil {
		reason := "invalid"
		if status.Code(err) == codes.NotFound {
			reason = "unknown_model"
		}
		s.m.errors.WithLabelValues(reason).Inc()
		return err
	}
	s.m.receivedByte.Add(float64(len(req.GetData()) + imagesBytes(req.GetImages())))
	conn, _ := ctx.Value(connKey{}).(uint64)
	it := &item{ctx: ctx, conn: conn, rows: int(req.GetRows()), src: src, arrived: arrived,
		meta: CaptureRecord{Conn: conn, Client: req.GetClient(), Pool: req.GetPool(), Offset: req.GetOffset(), PoolRows: req.GetPoolRows()}}
	it.pooled = release != nil
	it.finish = func(err error) {
		finish(it, err)
		if release != nil {
			release()
		}
	}
	switch err := s.b.submit(it); {
	case errors.Is(err, errQueueFull):
		s.m.errors.WithLabelValues("queue_full").Inc()
		return queueFullError(s.cfg.ConnQueue, s.retryAfter())
	case err != nil:
		s.m.errors.WithLabelValues("stopping").Inc()
		return status.Error(codes.Unavailable, "the cloud is stopping")
	}
	s.m.queued.Set(float64(s.b.queued()))
	return nil
}

// retryAfter is the delay a refusal for a full queue suggests.
func (s *Server) retryAfter() time.Duration { return max(s.cfg.MaxDelay, time.Millisecond) }

// outcome is the status of a request whose run finished with err: nil, Canceled (or
// DeadlineExceeded) when its client left first, Internal when the body failed.
func (s *Server) outcome(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		s.m.errors.WithLabelValues("cancelled").Inc()
		return status.FromContextError(ctx.Err()).Err()
	}
	s.m.errors.WithLabelValues("body").Inc()
	return status.Errorf(codes.Internal, "body: %v", err)
}

// Infer answers the Infer call: it decodes and checks the request, queues it for the next
// body run and waits for its answer, or for the client to leave.
func (v service) Infer(ctx context.Context, req *wirepb.InferRequest) (*wirepb.InferResponse, error) {
	s := v.s
	arrived := time.Now()
	defer func() { s.m.duration.Observe(time.Since(arrived).Seconds()) }()
	if rs, ok := ctx.Value(rpcKey{}).(*rpcState); ok {
		rs.handled.Store(true)
	}
	type result struct {
		it  *item
		err error
	}
	done := make(chan result, 1)
	if err := s.admit(ctx, req, arrived, func(it *item, err error) { done <- result{it, err} }, nil); err != nil {
		return nil, err
	}
	select {
	case r := <-done:
		if err := s.outcome(ctx, r.err); err != nil {
			return nil, err
		}
		return &wirepb.InferResponse{Rows: req.GetRows(), Data: encodeFloats(r.it.dst)}, nil
	case <-ctx.Done():
		s.m.errors.WithLabelValues("cancelled").Inc()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func imagesBytes(ims [][]byte) int {
	n := 0
	for _, b := range ims {
		n += len(b)
	}
	return n
}

// serverStats numbers the connections, counts the answered requests by code and logs every
// request that failed — including those gRPC refuses before the handler (an oversize
// message, an unknown method).
type serverStats struct{ s *Server }

func (h *serverStats) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, rpcKey{}, &rpcState{method: info.FullMethodName})
}

// rpcKey is the context key of an RPC's rpcState.
type rpcKey struct{}

// rpcState is what the stats handler learns of an RPC: its method, and whether the handler
// ran (a request refused before it, for its size, never reaches it).
type rpcState struct {
	method  string
	handled atomic.Bool
}

func (h *serverStats) HandleRPC(ctx context.Context, st stats.RPCStats) {
	end, ok := st.(*stats.End)
	if !ok {
		return
	}
	code := status.Code(end.Error)
	rs, _ := ctx.Value(rpcKey{}).(*rpcState)
	method := ""
	if rs != nil {
		method = rs.method
	}
	if method == wirepb.Cloud_Infer_FullMethodName {
		h.s.m.requests.WithLabelValues(code.String()).Inc()
	}
	if end.Error == nil {
		return
	}
	if method == wirepb.Cloud_Stream_FullMethodName && code == codes.Canceled {
		return // a client that left: each request it left unanswered is logged on its own
	}
	if rs != nil && !rs.handled.Load() {
		reason := "refused"
		if code == codes.ResourceExhausted {
			reason = "oversize"
		}
		h.s.m.errors.WithLabelValues(reason).Inc()
	}
	conn, _ := ctx.Value(connKey{}).(uint64)
	addr := ""
	if p, ok := peer.FromContext(ctx); ok {
		addr = p.Addr.String()
	}
	h.s.log.Warn("request failed", "conn", conn, "peer", addr, "method", method, "code", code.String(), "err", status.Convert(end.Error).Message())
}

func (h *serverStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return context.WithValue(ctx, connKey{}, h.s.conns.Add(1))
}

func (h *serverStats) HandleConn(_ context.Context, st stats.ConnStats) {
	switch st.(type) {
	case *stats.ConnBegin:
		h.s.b.connect()
	case *stats.ConnEnd:
		h.s.b.disconnect()
	}
}
