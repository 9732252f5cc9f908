package wire

import (
	"context"
	"errors"
	"sync"
	"time"
)

// item is one request waiting for, or in, a body run.
type item struct {
	ctx  context.Context
	conn uint64
	rows int
	src  []float32 // rows × input values
	dst  []float32 // rows × output values, written by the run
	// pooled says that dst is to come from the float pool (dstBuf), for whoever sends the
	// answer to give back: a streamed request's.
	pooled  bool
	dstBuf  *[]float32
	arrived time.Time
	meta    CaptureRecord // the request's pool fields and connection, for the capture
	// finish is called once, with the run's error (nil: dst holds the answers) or the
	// client's when it left first. It must not block: the body's loop calls it.
	finish func(error)
}

// errQueueFull is the error of a request refused because its connection has as many waiting
// as it may.
var errQueueFull = errors.New("queue full")

// errStopped is the error of a request that arrived after the batcher stopped.
var errStopped = errors.New("server stopping")

// batcher gathers requests from every connection into body runs of at most maxBatch rows,
// waiting at most maxDelay after the oldest waiting request for others to join it (Triton's
// dynamic batcher), and no longer once every open connection has a request waiting: no one
// else could join then (a batcher that, unlike Triton's, knows its clients). Each connection has its own queue of at most perConn requests, and a run
// takes requests from the queues in turn, one at a time each, so that a client that floods
// the cloud fills its own queue and is refused, while the others keep their share.
type batcher struct {
	maxBatch, perConn int
	maxDelay          time.Duration

	mu      sync.Mutex
	queues  map[uint64][]*item
	ring    []uint64 // connections with waiting requests, in turn order
	turn    int      // the ring position to take from first
	waiting int      // rows waiting
	items   int      // requests waiting
	conns   int      // open connections (connect, disconnect)
	stopped bool
	wake    chan struct{}
}

func newBatcher(maxBatch, perConn int, maxDelay time.Duration) *batcher {
	return &batcher{maxBatch: maxBatch, perConn: perConn, maxDelay: maxDelay,
		queues: map[uint64][]*item{}, wake: make(chan struct{}, 1)}
}

// submit queues it, or refuses it when its connection's queue is full or the batcher stopped.
func (b *batcher) submit(it *item) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return errStopped
	}
	q := b.queues[it.conn]
	if len(q) >= b.perConn {
		return errQueueFull
	}
	if len(q) == 0 {
		b.ring = append(b.ring, it.conn)
	}
	b.queues[it.conn] = append(q, it)
	b.waiting += it.rows
	b.items++
	b.signal()
	return nil
}

// connect and disconnect count the open connections: a batch waits for no one once each of
// them has a request waiting.
func (b *batcher) connect() {
	b.mu.Lock()
	b.conns++
	b.mu.Unlock()
}

func (b *batcher) disconnect() {
	b.mu.Lock()
	b.conns--
	b.mu.Unlock()
	b.signal() // the connections left may all be waiting now
}

// queued is the number of requests waiting.
func (b *batcher) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.items
}

func (b *batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// stop makes the batcher refuse new requests; next returns nil once the queue is empty.
func (b *batcher) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.signal()
}

// next waits for the next batch and returns it: once maxBatch rows wait, every open connection
// has a request waiting, or maxDelay after the oldest waiting request arrived, whichever comes
// first. It returns nil when the batcher has
// stopped and nothing waits, or when quit closes.
func (b *batcher) next(quit <-chan struct{}) []*item {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.items == 0 {
			if b.stopped {
				return nil
			}
		} else {
			wait := time.Until(b.oldest().Add(b.maxDelay))
			if b.waiting >= b.maxBatch || len(b.ring) >= b.conns || b.stopped || wait <= 0 {
				if batch := b.take(); len(batch) > 0 {
					return batch
				}
				continue // every waiting request's client had gone
			}
			if !b.sleep(quit, wait) {
				return nil
			}
			continue
		}
		if !b.sleep(quit, -1) {
			return nil
		}
	}
}

// sleep waits, unlocked, for a signal, quit, or d (d < 0: no limit); false on quit.
func (b *batcher) sleep(quit <-chan struct{}, d time.Duration) bool {
	b.mu.Unlock()
	defer b.mu.Lock()
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-b.wake:
	case <-timeout:
	case <-quit:
		return false
	}
	return true
}

// oldest is the arrival time of the oldest waiting request (the heads of the queues).
func (b *batcher) oldest() time.Time {
	var t time.Time
	for _, c := range b.ring {
		if a := b.queues[c][0].arrived; t.IsZero() || a.Before(t) {
			t = a
		}
	}
	return t
}

// take removes a batch from the queues: requests in turn, one per connection per round,
// while they fit in maxBatch rows. A request whose client has gone is dropped on the way.
func (b *batcher) take() []*item {
	var batch []*item
	rows := 0
	for progress := true; progress && len(b.ring) > 0; {
		progress = false
		for range len(b.ring) {
			if len(b.ring) == 0 {
				break
			}
			b.turn %= len(b.ring)
			c := b.ring[b.turn]
			it := b.queues[c][0]
			if it.ctx.Err() == nil && rows+it.rows > b.maxBatch {
				b.turn++
				continue
			}
			b.pop(c)
			if it.ctx.Err() != nil {
				it.finish(it.ctx.Err())
				progress = true
				continue
			}
			batch = append(batch, it)
			rows += it.rows
			progress = true
		}
	}
	return batch
}

// pop removes the head of connection c's queue, and c from the ring when it empties; the
// turn moves past c.
func (b *batcher) pop(c uint64) {
	q := b.queues[c]
	it := q[0]
	q[0] = nil
	b.waiting -= it.rows
	b.items--
	if len(q) == 1 {
		delete(b.queues, c)
		b.ring = append(b.ring[:b.turn], b.ring[b.turn+1:]...)
		return
	}
	b.queues[c] = q[1:]
	b.turn++
}
