package wire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/datamix/harness/wire/link"
	"github.com/datamix/harness/wire/wirepb"
)

// Retry says how a client retries a request the cloud could not take: while it is
// unreachable (Unavailable: down, restarting, draining) or its queue for this connection is
// full (ResourceExhausted carrying a RetryInfo). It waits Initial before the second attempt,
// doubling up to Max, each wait drawn uniformly from its upper half, for at most Attempts
// attempts in all. Other failures are returned at once.
type Retry struct {
	Initial, Max time.Duration
	Attempts     int
}

// DefaultRetry rides out a cloud restart of several seconds: 50 ms doubling to 1 s, 60
// attempts (about a minute).
var DefaultRetry = Retry{Initial: 50 * time.Millisecond, Max: time.Second, Attempts: 60}

// ClientConfig sets how an edge reaches its cloud.
type ClientConfig struct {
	// Model is the model the edge needs (ModelInfo.ID); a cloud serving another is refused.
	// "" takes whatever the cloud serves.
	Model string
	// TLS, when set, speaks TLS with it (NewClientTLS).
	TLS *tls.Config
	// Link is the emulated link every connection goes through (link.Wrap); the zero
	// profile only counts bytes.
	Link link.Profile
	// LinkSeed seeds the link's jitter.
	LinkSeed uint64
	// Retry is the retry policy; the zero value means DefaultRetry.
	Retry Retry
	// Unary sends each request as a call of its own (Infer) rather than on the client's
	// stream: the same exchange at a higher cost per request, for comparison.
	Unary bool
}

// Client is an edge's connection to a cloud. Exchange makes it a datamix.Transport. It is
// safe for concurrent use; it reconnects by itself after the cloud restarts.
type Client struct {
	addr    string
	conn    *grpc.ClientConn
	cc      wirepb.CloudClient
	info    ModelInfo
	maxRows int
	retry   Retry
	unary   bool
	session uint64
	pools   atomic.Uint64
	retries atomic.Int64

	mu    sync.Mutex
	links []*link.Conn

	smu sync.Mutex
	cur *clientStream // the open Stream call, nil before the first request
}

// Dial connects to the cloud at addr (host:port) and asks it what it serves. It fails when
// the cloud cannot be reached within ctx, or serves another model than cfg.Model.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Client, error) {
	c := &Client{addr: addr, retry: cfg.Retry, unary: cfg.Unary}
	if c.retry == (Retry{}) {
		c.retry = DefaultRetry
	}
	var seed [8]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	c.session = binary.LittleEndian.Uint64(seed[:])
	var jitter *mrand.Rand
	var jmu sync.Mutex
	if cfg.Link.Jitter > 0 {
		jitter = mrand.New(mrand.NewPCG(cfg.LinkSeed, 1))
	}
	dial := func(ctx context.Context, a string) (net.Conn, error) {
		var d net.Dialer
		raw, err := d.DialContext(ctx, "tcp", a)
		if err != nil {
			return nil, err
		}
		var rng *mrand.Rand
		if jitter != nil { // each connection's own generator, drawn from the link's
			jmu.Lock()
			rng = mrand.New(mrand.NewPCG(jitter.Uint64(), jitter.Uint64()))
			jmu.Unlock()
		}
		l := link.Wrap(raw, cfg.Link, rng)
		c.mu.Lock()
		c.links = append(c.links, l)
		c.mu.Unlock()
		return l, nil
	}
	creds := insecure.NewCredentials()
	if cfg.TLS != nil {
		creds = credentials.NewTLS(cfg.TLS)
	}
	conn, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithContextDialer(dial),
		grpc.WithTransportCredentials(creds),
		grpc.WithInitialWindowSize(8<<20), grpc.WithInitialConnWindowSize(16<<20),
		grpc.WithReadBufferSize(256<<10), grpc.WithWriteBufferSize(256<<10), grpc.WithSharedWriteBuffer(true),
		experimental.WithBufferPool(buffers),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30)),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 5 * time.Second,
		}))
	if err != nil {
		return nil, fmt.Errorf("wire: %s: %w", addr, err)
	}
	c.conn, c.cc = conn, wirepb.NewCloudClient(conn)
	mi, err := c.cc.Info(ctx, &wirepb.InfoRequest{}, grpc.WaitForReady(true))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("wire: %s: %w", addr, err)
	}
	c.info = ModelInfo{ID: mi.GetModel(), Arch: mi.GetArch(), Split: int(mi.GetSplit()), OutputDim: int(mi.GetOutputDim())}
	for _, d := range mi.GetInputShape() {
		c.info.InputShape = append(c.info.InputShape, int(d))
	}
	for _, e := range mi.GetEncodings() {
		c.info.PNG = c.info.PNG || e == wirepb.Encoding_ENCODING_PNG
	}
	c.maxRows = int(mi.GetMaxRows())
	if cfg.Model != "" && c.info.ID != cfg.Model {
		conn.Close()
		return nil, fmt.Errorf("wire: the cloud at %s serves %s, not %s", addr, c.info.ID, cfg.Model)
	}
	if c.maxRows < 1 || c.info.InputDim() < 1 || c.info.OutputDim < 1 {
		conn.Close()
		return nil, fmt.Errorf("wire: the cloud at %s describes its model as %+v with %d rows a request", addr, c.info, c.maxRows)
	}
	return c, nil
}

// Info describes the model the cloud serves.
func (c *Client) Info() ModelInfo { return c.info }

// Sent and Received are the bytes that crossed the client's connections each way, everything
// above TCP included (gRPC, HTTP/2, TLS, protobuf), over every connection it made.
func (c *Client) Sent() int64 { return c.sum((*link.Conn).Sent) }

// Received is the bytes the client read (see Sent).
func (c *Client) Received() int64 { return c.sum((*link.Conn).Received) }

func (c *Client) sum(f func(*link.Conn) int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, l := range c.links {
		n += f(l)
	}
	return n
}

// Retries is the number of attempts repeated so far.
func (c *Client) Retries() int64 { return c.retries.Load() }

// Close closes the client's stream and connections.
func (c *Client) Close() error {
	c.smu.Lock()
	if c.cur != nil {
		c.cur.close()
	}
	c.smu.Unlock()
	return c.conn.Close()
}

// Exchange sends the uploads of one pool (rows of the model's input dimension) and writes the
// cloud's answers into returns: datamix.Transport. A pool larger than the cloud takes in one
// request goes as several requests at once, which the cloud's batcher gathers again.
func (c *Client) Exchange(ctx context.Context, returns, uploads []float32) error {
	in, out := c.info.InputDim(), c.info.OutputDim
	if len(uploads)%in != 0 || len(returns) != len(uploads)/in*out {
		panic(fmt.Sprintf("wire: %d upload values and %d answer values are not whole rows of %d and %d", len(uploads), len(returns), in, out))
	}
	rows := len(uploads) / in
	return c.send(ctx, returns, rows, func(req *wirepb.InferRequest, lo, hi int) {
		req.Encoding = wirepb.Encoding_ENCODING_FLOAT32
		req.Data = encodeFloats(uploads[lo*in : hi*in])
	})
}

// InferPNG sends one PNG image per row (EncodePNG) and writes the answers into dst: the
// raw-input baseline, for a cloud whose model takes images.
func (c *Client) InferPNG(ctx context.Context, dst []float32, images [][]byte) error {
	if len(dst) != len(images)*c.info.OutputDim {
		panic(fmt.Sprintf("wire: %d answer values for %d images of %d", len(dst), len(images), c.info.OutputDim))
	}
	return c.send(ctx, dst, len(images), func(req *wirepb.InferRequest, lo, hi int) {
		req.Encoding = wirepb.Encoding_ENCODING_PNG
		req.Images = images[lo:hi]
	})
}

// send sends rows as requests of at most maxRows rows, concurrently, fill writing each
// request's payload, and copies the answers into dst.
func (c *Client) send(ctx context.Context, dst []float32, rows int, fill func(req *wirepb.InferRequest, lo, hi int)) error {
	pool := c.pools.Add(1) - 1
	out := c.info.OutputDim
	if rows <= c.maxRows { // one request: no goroutine to wait for
		req := &wirepb.InferRequest{Model: c.info.ID, Rows: uint32(rows), Pool: pool, PoolRows: uint32(rows), Client: c.session}
		fill(req, 0, rows)
		return c.call(ctx, req, dst)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for lo := 0; lo < rows; lo += c.maxRows {
		hi := min(lo+c.maxRows, rows)
		req := &wirepb.InferRequest{Model: c.info.ID, Rows: uint32(hi - lo), Pool: pool, Offset: uint32(lo), PoolRows: uint32(rows), Client: c.session}
		fill(req, lo, hi)
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.call(ctx, req, dst[lo*out:hi*out])
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// call makes one request on the client's stream (or as a call of its own, Unary), retrying as
// c.retry says, and decodes its answer into dst.
func (c *Client) call(ctx context.Context, req *wirepb.InferRequest, dst []float32) error {
	wait := c.retry.Initial
	for attempt := 1; ; attempt++ {
		resp, release, err := c.infer(ctx, req)
		if err == nil {
			defer release()
			if int(resp.GetRows()) != int(req.GetRows()) || len(resp.GetData()) != 4*len(dst) {
				return fmt.Errorf("wire: %s answered %d rows in %d bytes to %d rows of %d values", c.addr, resp.GetRows(), len(resp.GetData()), req.GetRows(), c.info.OutputDim)
			}
			decodeFloats(dst, resp.GetData())
			return nil
		}
		if !retryable(err) || attempt >= c.retry.Attempts || ctx.Err() != nil {
			return fmt.Errorf("wire: %s: after %d attempts: %w", c.addr, attempt, err)
		}
		c.retries.Add(1)
		d := wait/2 + time.Duration(mrand.Int64N(int64(wait/2)+1))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return fmt.Errorf("wire: %s: %w", c.addr, ctx.Err())
		}
		wait = min(2*wait, c.retry.Max)
	}
}

// infer makes one attempt at req; release gives back the answer's memory once its values
// are read.
func (c *Client) infer(ctx context.Context, req *wirepb.InferRequest) (resp *wirepb.InferResponse, release func(), err error) {
	if c.unary {
		resp, err := c.cc.Infer(ctx, req, grpc.WaitForReady(true))
		return resp, func() {}, err
	}
	cs, err := c.stream()
	if err != nil {
		return nil, nil, err
	}
	return cs.do(ctx, req)
}

// retryable says whether a failed request may succeed when sent again unchanged: the cloud
// was unreachable, or asked for a retry (a full queue; an oversize request is refused
// without one).
func retryable(err error) bool {
	s, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch s.Code() {
	case codes.Unavailable:
		return true
	case codes.ResourceExhausted:
		_, ok := retryDelay(err)
		return ok
	}
	return false
}

// retryDelay is the delay the RetryInfo of err's status suggests, if it carries one.
func retryDelay(err error) (time.Duration, bool) {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// queueFullError is the status of a request refused for a full connection queue: retryable,
// with a RetryInfo suggesting a delay.
func queueFullError(n int, delay time.Duration) error {
	return queueFullErrorMsg(fmt.Sprintf("this connection already has %d requests waiting; retry later", n), delay)
}

// queueFullErrorMsg is queueFullError with its message given.
func queueFullErrorMsg(msg string, delay time.Duration) error {
	st := status.New(codes.ResourceExhausted, msg)
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)}); err == nil {
		return d.Err()
	}
	return st.Err()
}
