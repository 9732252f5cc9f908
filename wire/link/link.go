package link

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Profile is an emulated link: its bandwidth each way, its round-trip time and its jitter.
type Profile struct {
	// Name names the profile in configs, flags and results.
	Name string
	// Up and Down are the bandwidths from the edge to the cloud and back, in bits per
	// second; 0 is unlimited.
	Up, Down float64
	// RTT is the round-trip time: each direction adds half of it to every byte.
	RTT time.Duration
	// Jitter is the largest deviation of a chunk's one-way delay from RTT/2, drawn uniformly
	// in [−Jitter, +Jitter] (and never below zero); delivery stays in order, as over TCP.
	Jitter time.Duration
}

// String describes the profile in one line: "lte (5.5/12 Mbit/s up/down, RTT 50 ms ± 10 ms)".
func (p Profile) String() string {
	bw := func(b float64) string {
		if b == 0 {
			return "∞"
		}
		return fmt.Sprintf("%g", b/1e6)
	}
	s := fmt.Sprintf("%s (%s/%s Mbit/s up/down, RTT %v", p.Name, bw(p.Up), bw(p.Down), p.RTT)
	if p.Jitter > 0 {
		s += fmt.Sprintf(" ± %v", p.Jitter)
	}
	return s + ")"
}

// Unshaped reports whether the profile adds neither delay nor a bandwidth limit.
func (p Profile) Unshaped() bool { return p.Up == 0 && p.Down == 0 && p.RTT == 0 && p.Jitter == 0 }

// The named profiles. Their figures are conventional round values of the kind the
// split-computing literature evaluates with (a slow cellular uplink, a modern one, a home
// Wi-Fi, a data-centre network), chosen for this harness; they are not measurements of any
// network. The 3G uplink of 0.77 Mbit/s with 150 ms of round trip is the slow end.
var profiles = []Profile{
	{Name: "3g", Up: 0.77e6, Down: 1.5e6, RTT: 150 * time.Millisecond, Jitter: 20 * time.Millisecond},
	{Name: "lte", Up: 5.5e6, Down: 12e6, RTT: 50 * time.Millisecond, Jitter: 10 * time.Millisecond},
	{Name: "wifi", Up: 20e6, Down: 50e6, RTT: 10 * time.Millisecond, Jitter: 2 * time.Millisecond},
	{Name: "datacentre", Up: 10e9, Down: 10e9, RTT: 200 * time.Microsecond},
	{Name: "loopback"},
}

// Lookup returns the profile called name.
func Lookup(name string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("link: unknown profile %q, want one of %s", name, strings.Join(Names(), ", "))
}

// Names lists the named profiles, from the slowest to loopback.
func Names() []string {
	var n []string
	for _, p := range profiles {
		n = append(n, p.Name)
	}
	return n
}

// Profiles returns the named profiles, from the slowest to loopback.
func Profiles() []Profile { return slices.Clone(profiles) }

// chunkSize is the most bytes the downstream pump reads at once: one delivery.
const chunkSize = 32 << 10

// upQueue bounds the chunks written but not yet delivered upstream: a full queue makes Write
// wait, as a full socket buffer would.
const upQueue = 64

// chunk is a piece of the byte stream with the time it reaches the other end.
type chunk struct {
	b  []byte
	at time.Time
}

// Conn is a net.Conn seen through an emulated link: Write sends up (the edge to the cloud),
// Read receives what came down. Each chunk of bytes occupies its direction's bandwidth for
// len·8/bandwidth, then arrives RTT/2 (± jitter) later, in order. It also counts the bytes
// that crossed it each way (framing included: everything above TCP).
type Conn struct {
	net.Conn
	p   Profile
	rng *rand.Rand
	mu  sync.Mutex // guards rng, the busy times and the delivery floors

	upBusy, upLast     time.Time
	downBusy, downLast time.Time

	up        chan chunk
	upErr     atomic.Pointer[error]
	down      chan chunk
	downErr   error // set before down is closed
	pending   []byte
	rdeadline atomic.Pointer[time.Time]
	kick      chan struct{} // wakes a Read when its deadline changes

	sent, received atomic.Int64
	closeOnce      sync.Once
	done           chan struct{}
}

// Wrap returns c seen through the link p, its jitter drawn from rng (the link's own
// generator; nil draws none). An unshaped profile only counts bytes.
func Wrap(c net.Conn, p Profile, rng *rand.Rand) *Conn {
	l := &Conn{Conn: c, p: p, rng: rng, done: make(chan struct{}), kick: make(chan struct{}, 1)}
	if p.Unshaped() {
		return l
	}
	l.up = make(chan chunk, upQueue)
	l.down = make(chan chunk, upQueue)
	go l.pumpUp()
	go l.pumpDown()
	return l
}

// Sent is the number of bytes written to the link (edge to cloud).
func (l *Conn) Sent() int64 { return l.sent.Load() }

// Received is the number of bytes read from the link (cloud to edge).
func (l *Conn) Received() int64 { return l.received.Load() }

// schedule returns when n bytes handed to a direction at now arrive at its other end, and
// advances that direction's busy time and delivery floor.
func (l *Conn) schedule(now time.Time, n int, bw float64, busy, last *time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := now
	if busy.After(start) {
		start = *busy
	}
	end := start
	if bw > 0 {
		end = start.Add(time.Duration(float64(n) * 8 / bw * float64(time.Second)))
	}
	*busy = end
	delay := l.p.RTT / 2
	if l.p.Jitter > 0 && l.rng != nil {
		delay += time.Duration((2*l.rng.Float64() - 1) * float64(l.p.Jitter))
		delay = max(delay, 0)
	}
	at := end.Add(delay)
	if at.Before(*last) {
		at = *last
	}
	*last = at
	return at
}

// Write sends b up the link. It returns once b is queued (at most upQueue chunks wait).
func (l *Conn) Write(b []byte) (int, error) {
	if l.up == nil {
		n, err := l.Conn.Write(b)
		l.sent.Add(int64(n))
		return n, err
	}
	if e := l.upErr.Load(); e != nil {
		return 0, *e
	}
	at := l.schedule(time.Now(), len(b), l.p.Up, &l.upBusy, &l.upLast)
	select {
	case l.up <- chunk{b: append([]byte(nil), b...), at: at}:
		l.sent.Add(int64(len(b)))
		return len(b), nil
	case <-l.done:
		return 0, net.ErrClosed
	}
}

// pumpUp delivers the queued chunks to the underlying connection at their times.
func (l *Conn) pumpUp() {
	for {
		select {
		case c := <-l.up:
			if !sleepUntil(c.at, l.done) {
				return
			}
			if _, err := l.Conn.Write(c.b); err != nil {
				l.upErr.Store(&err)
				return
			}
		case <-l.done:
			return
		}
	}
}

// pumpDown reads what the cloud sent and queues it for Read at its arrival time.
func (l *Conn) pumpDown() {
	defer close(l.down)
	for {
		buf := make([]byte, chunkSize)
		n, err := l.Conn.Read(buf)
		if n > 0 {
			at := l.schedule(time.Now(), n, l.p.Down, &l.downBusy, &l.downLast)
			select {
			case l.down <- chunk{b: buf[:n], at: at}:
			case <-l.done:
				return
			}
		}
		if err != nil {
			l.downErr = err
			return
		}
	}
}

// Read receives what came down the link, waiting for its arrival time.
func (l *Conn) Read(b []byte) (int, error) {
	if l.down == nil {
		n, err := l.Conn.Read(b)
		l.received.Add(int64(n))
		return n, err
	}
	if len(l.pending) == 0 {
		c, ok, err := l.next()
		if err != nil {
			return 0, err
		}
		if !ok {
			if l.downErr != nil {
				return 0, l.downErr
			}
			return 0, io.EOF
		}
		l.pending = c.b
		if !l.sleepRead(c.at) {
			return 0, l.readErr()
		}
	}
	n := copy(b, l.pending)
	l.pending = l.pending[n:]
	l.received.Add(int64(n))
	return n, nil
}

// next waits for the next chunk, honouring the read deadline.
func (l *Conn) next() (chunk, bool, error) {
	for {
		var timeout <-chan time.Time
		if d := l.rdeadline.Load(); d != nil && !d.IsZero() {
			wait := time.Until(*d)
			if wait <= 0 {
				return chunk{}, false, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case c, ok := <-l.down:
			return c, ok, nil
		case <-timeout:
			return chunk{}, false, os.ErrDeadlineExceeded
		case <-l.kick:
		case <-l.done:
			return chunk{}, false, net.ErrClosed
		}
	}
}

// sleepRead waits until at, or until the connection closes.
func (l *Conn) sleepRead(at time.Time) bool { return sleepUntil(at, l.done) }

func (l *Conn) readErr() error {
	select {
	case <-l.done:
		return net.ErrClosed
	default:
		return os.ErrDeadlineExceeded
	}
}

// sleepUntil waits until t; it returns false if done closes first.
func sleepUntil(t time.Time, done <-chan struct{}) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}

// SetDeadline sets the read and write deadlines.
func (l *Conn) SetDeadline(t time.Time) error {
	l.SetReadDeadline(t)
	return l.Conn.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline of Read, which waits on the emulated link.
func (l *Conn) SetReadDeadline(t time.Time) error {
	if l.down == nil {
		return l.Conn.SetReadDeadline(t)
	}
	l.rdeadline.Store(&t)
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return nil
}

// Close closes the connection and stops the link's pumps.
func (l *Conn) Close() error {
	err := l.Conn.Close()
	l.closeOnce.Do(func() { close(l.done) })
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
