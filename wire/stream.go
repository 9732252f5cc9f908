package wire

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/datamix/harness/wire/wirepb"
)

// The Stream call carries many requests on one gRPC call, each answered by its id: an open
// stream saves every request the call's own costs (a new HTTP/2 stream, its headers and
// trailers, a goroutine on the server), which for small requests are most of what serving
// them costs. The server side below; the client's is clientStream.

// Stream answers the Stream call: it reads requests as they come and queues each for the body
// like Infer; answers go back as their runs finish, a refusal at once, each carrying its
// request's id. At most streamWindow requests of one stream wait for their answers: the
// stream is not read further until one is sent, so a client that stops reading holds up only
// itself. Shutdown ends the stream with Unavailable once every request it took is answered;
// requests it did not take are the client's to send again.
func (v service) Stream(st wirepb.Cloud_StreamServer) error {
	s := v.s
	ctx := st.Context()
	if rs, ok := ctx.Value(rpcKey{}).(*rpcState); ok {
		rs.handled.Store(true)
	}
	window := s.streamWindow()
	// answers never fills: at most window requests are taken and unanswered at a time, so
	// the body's loop never waits on a client.
	answers := make(chan streamReply, window)
	slots := make(chan struct{}, window)
	var mu sync.Mutex
	pending, draining := 0, false
	received := make(chan error, 1)
	go func() {
		for {
			var p pooledRequest // decoded by codec, its rows in a buffer of the pool
			if err := st.RecvMsg(&p); err != nil {
				received <- err
				return
			}
			release := func() { floats.put(p.buf) }
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				release()
				received <- ctx.Err()
				return
			}
			mu.Lock()
			if draining { // left for the client to send again
				mu.Unlock()
				release()
				<-slots
				continue
			}
			pending++
			mu.Unlock()
			s.admitStreamed(ctx, p.req, answers, release)
		}
	}()
	drain := s.drain
	var recvErr error
	for {
		mu.Lock()
		idle, stopping := pending == 0, draining
		mu.Unlock()
		if idle && stopping {
			return status.Error(codes.Unavailable, "the cloud is stopping")
		}
		if idle && recvErr != nil {
			if errors.Is(recvErr, io.EOF) { // the client closed its side: all answered
				return nil
			}
			if status.Code(recvErr) == codes.ResourceExhausted {
				s.m.errors.WithLabelValues("oversize").Inc()
			}
			return recvErr
		}
		select {
		case a := <-answers:
			err := st.Send(a.resp) // marshals a.resp before it returns
			floats.put(a.buf)
			<-slots
			mu.Lock()
			pending--
			mu.Unlock()
			if err != nil {
				return err
			}
		case err := <-received:
			recvErr, received = err, nil
		case <-drain:
			mu.Lock()
			draining = true
			mu.Unlock()
			drain = nil
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

// streamReply is an answer on its way back on a stream, and the pool buffer holding its
// values (nil for a refusal), given back once the answer is sent.
type streamReply struct {
	resp *wirepb.InferResponse
	buf  *[]float32
}

// streamWindow is the most requests of one stream that may wait for their answers: twice a
// connection's queue, so that a stream can keep its queue full while answers are on their
// way back.
func (s *Server) streamWindow() int { return 2 * s.cfg.ConnQueue }

// admitStreamed queues a request that came on a stream; its answer, or its refusal, goes to
// answers, with the request's id. Each is counted and, when it failed, logged as a unary
// call's would be. release gives the request's rows back (see Server.admit).
func (s *Server) admitStreamed(ctx context.Context, req *wirepb.InferRequest, answers chan<- streamReply, release func()) {
	arrived, id := time.Now(), req.GetId()
	reply := func(resp *wirepb.InferResponse, buf *[]float32, err error) {
		s.m.duration.Observe(time.Since(arrived).Seconds())
		code := status.Code(err)
		s.m.requests.WithLabelValues(code.String()).Inc()
		if err != nil {
			resp = refusal(err)
			conn, _ := ctx.Value(connKey{}).(uint64)
			addr := ""
			if p, ok := peer.FromContext(ctx); ok {
				addr = p.Addr.String()
			}
			s.log.Warn("request failed", "conn", conn, "peer", addr, "method", wirepb.Cloud_Stream_FullMethodName,
				"id", id, "code", code.String(), "err", status.Convert(err).Message())
		}
		resp.Id = id
		answers <- streamReply{resp, buf}
	}
	err := s.admit(ctx, req, arrived, func(it *item, err error) {
		if err := s.outcome(ctx, err); err != nil {
			reply(nil, nil, err)
			return
		}
		reply(&wirepb.InferResponse{Rows: uint32(it.rows), Data: encodeFloats(it.dst)}, it.dstBuf, nil)
	}, release)
	if err != nil {
		reply(nil, nil, err)
	}
}

// refusal is the answer on a stream to a request that failed with err: its code and message,
// and the delay a retryable refusal suggests.
func refusal(err error) *wirepb.InferResponse {
	st := status.Convert(err)
	resp := &wirepb.InferResponse{Code: uint32(st.Code()), Message: st.Message()}
	if d, ok := retryDelay(err); ok {
		resp.RetryAfterMs = uint32(max(d.Milliseconds(), 1))
	}
	return resp
}

// refused is the error of a stream's answer that carries a refusal (see refusal): a status
// like the unary call's, RetryInfo included.
func refused(resp *wirepb.InferResponse) error {
	code := codes.Code(resp.GetCode())
	if code == codes.ResourceExhausted && resp.GetRetryAfterMs() > 0 {
		return queueFullErrorMsg(resp.GetMessage(), time.Duration(resp.GetRetryAfterMs())*time.Millisecond)
	}
	return status.Error(code, resp.GetMessage())
}

// clientStream is a client's open Stream call: requests go out under sendMu, one goroutine
// reads the answers and hands each to the call waiting for its id. When the stream breaks —
// the cloud stopped, drained or the connection failed — every waiting call gets the error
// (Unavailable where the stream ended cleanly), and the client opens a new stream for the
// next attempt.
type clientStream struct {
	st     wirepb.Cloud_StreamClient
	cancel context.CancelFunc
	sendMu sync.Mutex

	mu      sync.Mutex
	next    uint64
	waiting map[uint64]chan streamAnswer
	err     error         // set once the stream has broken
	done    chan struct{} // closes when receive returns
}

// streamAnswer is what a call on a stream waits for: the answer, its values' buffer from
// the pool, or the stream's failure.
type streamAnswer struct {
	resp *wirepb.InferResponse
	buf  *[]float32
	err  error
}

// stream returns the client's open stream, opening one if there is none or the last broke.
func (c *Client) stream() (*clientStream, error) {
	c.smu.Lock()
	defer c.smu.Unlock()
	if cs := c.cur; cs != nil {
		cs.mu.Lock()
		broken := cs.err != nil
		cs.mu.Unlock()
		if !broken {
			return cs, nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := c.cc.Stream(ctx, grpc.ForceCodecV2(newCodec(floats)))
	if err != nil {
		cancel()
		return nil, err
	}
	cs := &clientStream{st: st, cancel: cancel, waiting: map[uint64]chan streamAnswer{}, done: make(chan struct{})}
	c.cur = cs
	go cs.receive()
	return cs, nil
}

// receive hands each answer to its call until the stream breaks, then fails the calls left.
func (cs *clientStream) receive() {
	defer close(cs.done)
	for {
		var p pooledResponse // decoded by codec, its values in a buffer of the pool
		if err := cs.st.RecvMsg(&p); err != nil {
			if errors.Is(err, io.EOF) {
				err = status.Error(codes.Unavailable, "the cloud ended the stream")
			}
			cs.fail(err)
			return
		}
		cs.mu.Lock()
		ch, ok := cs.waiting[p.resp.GetId()]
		delete(cs.waiting, p.resp.GetId())
		cs.mu.Unlock()
		if ok {
			ch <- streamAnswer{resp: p.resp, buf: p.buf}
		} else { // its call has given up
			floats.put(p.buf)
		}
	}
}

// fail marks the stream broken with err and gives err to every waiting call.
func (cs *clientStream) fail(err error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.err == nil {
		cs.err = err
	}
	for id, ch := range cs.waiting {
		ch <- streamAnswer{err: cs.err}
		delete(cs.waiting, id)
	}
	cs.cancel()
}

// do sends req on the stream and waits for its answer, or ctx. The answer's values sit in a
// buffer of the pool until release is called.
func (cs *clientStream) do(ctx context.Context, req *wirepb.InferRequest) (resp *wirepb.InferResponse, release func(), err error) {
	ch := make(chan streamAnswer, 1)
	cs.mu.Lock()
	if cs.err != nil {
		cs.mu.Unlock()
		return nil, nil, cs.err
	}
	id := cs.next
	cs.next++
	cs.waiting[id] = ch
	cs.mu.Unlock()
	req.Id = id
	cs.sendMu.Lock()
	err = cs.st.Send(req)
	cs.sendMu.Unlock()
	if err != nil {
		// Send reports io.EOF when the stream has ended; its status comes from Recv, which
		// receive passes on through ch.
		if !errors.Is(err, io.EOF) {
			cs.fail(err)
		}
	}
	select {
	case a := <-ch:
		release := func() { floats.put(a.buf) }
		if a.err != nil {
			return nil, nil, a.err
		}
		if a.resp.GetCode() != 0 {
			release()
			return nil, nil, refused(a.resp)
		}
		return a.resp, release, nil
	case <-ctx.Done():
		cs.mu.Lock()
		_, waiting := cs.waiting[id]
		delete(cs.waiting, id)
		cs.mu.Unlock()
		if !waiting { // its answer came as ctx ended
			floats.put((<-ch).buf)
		}
		return nil, nil, status.FromContextError(ctx.Err()).Err()
	}
}

// close ends the stream.
// close ends the stream: it closes the sending side, so that the cloud ends the stream cleanly
// once it has answered what it received, waits for that up to a second, then cuts it off.
func (cs *clientStream) close() {
	cs.sendMu.Lock()
	cs.st.CloseSend()
	cs.sendMu.Unlock()
	select {
	case <-cs.done:
	case <-time.After(time.Second):
	}
	cs.fail(status.Error(codes.Canceled, "the client closed"))
}
