package link

import (
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection, the first wrapped in p.
func pair(t *testing.T, p Profile) (*Conn, net.Conn) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := lis.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-acc
	l := Wrap(c, p, rand.New(rand.NewPCG(1, 2)))
	t.Cleanup(func() { l.Close(); s.Close() })
	return l, s
}

// TestLinkTimes: 100 kB through an 8 Mbit/s link with 100 ms of round trip arrive no sooner
// than their transmission time (100 ms) plus half the round trip (50 ms), upstream and
// downstream alike, in order and counted. The upper bound is loose (a loaded machine delays
// goroutines), the lower one exact: the link may never deliver early.
func TestLinkTimes(t *testing.T) {
	p := Profile{Name: "test", Up: 8e6, Down: 8e6, RTT: 100 * time.Millisecond}
	l, s := pair(t, p)
	msg := make([]byte, 100_000)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	const want = 150 * time.Millisecond
	for _, dir := range []string{"up", "down"} {
		start := time.Now()
		got := make([]byte, len(msg))
		var err error
		if dir == "up" {
			go l.Write(msg)
			_, err = io.ReadFull(s, got)
		} else {
			go s.Write(msg)
			_, err = io.ReadFull(l, got)
		}
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(msg) {
			t.Fatalf("%s: the bytes arrived changed or out of order", dir)
		}
		if took < want || took > want+time.Second {
			t.Errorf("%s: 100 kB took %v, want %v (transmission 100 ms + half the round trip)", dir, took, want)
		}
	}
	if l.Sent() != int64(len(msg)) || l.Received() != int64(len(msg)) {
		t.Errorf("counted %d bytes sent, %d received; want %d each", l.Sent(), l.Received(), len(msg))
	}
}

// TestLinkJitterKeepsOrder: with jitter as large as the delay, many small writes still arrive
// complete and in order.
func TestLinkJitterKeepsOrder(t *testing.T) {
	l, s := pair(t, Profile{Name: "j", Up: 100e6, RTT: 20 * time.Millisecond, Jitter: 10 * time.Millisecond})
	const n = 200
	go func() {
		for i := range n {
			l.Write([]byte{byte(i)})
		}
	}()
	got := make([]byte, n)
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatal(err)
	}
	for i, b := range got {
		if b != byte(i) {
			t.Fatalf("byte %d arrived as %d: reordered", i, b)
		}
	}
}

// TestReadDeadline: a read past its deadline on an emulated link fails with a timeout instead
// of waiting for data that never comes.
func TestReadDeadline(t *testing.T) {
	l, _ := pair(t, Profile{Name: "d", RTT: 10 * time.Millisecond})
	l.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := l.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
}

// TestLookup: every listed name resolves, and an unknown one is an error naming them.
func TestLookup(t *testing.T) {
	for _, n := range Names() {
		if p, err := Lookup(n); err != nil || p.Name != n {
			t.Errorf("Lookup(%q) = %v, %v", n, p, err)
		}
	}
	if _, err := Lookup("5g"); err == nil {
		t.Error("an unknown profile was accepted")
	}
}
