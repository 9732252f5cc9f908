package wire

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// http2Preface opens every HTTP/2 connection (RFC 9113, 3.4); a TLS connection opens with a
// handshake record, byte 0x16 (RFC 8446, 5.1).
const http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// prefaceTimeout bounds how long a new connection may take to send its first bytes.
const prefaceTimeout = 10 * time.Second

// checkedListener hands gRPC only the connections that open as a gRPC client's would: with
// the HTTP/2 preface, or with a TLS handshake record when the server speaks TLS. Any other
// connection — garbage bytes on the port, an HTTP/1 request, a client speaking plain text to
// a TLS server — is logged and closed before gRPC sees it (gRPC would first answer it with
// its own settings). Each new connection is checked in a goroutine of its own, so a slow one
// holds up no other.
type checkedListener struct {
	net.Listener
	tls bool
	s   *Server

	once  sync.Once
	ready chan net.Conn
	err   chan error
	done  chan struct{}
}

func newCheckedListener(lis net.Listener, tls bool, s *Server) *checkedListener {
	return &checkedListener{Listener: lis, tls: tls, s: s, ready: make(chan net.Conn), err: make(chan error, 1), done: make(chan struct{})}
}

// Accept returns the next connection that opened as expected.
func (l *checkedListener) Accept() (net.Conn, error) {
	l.once.Do(func() { go l.acceptLoop() })
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.err:
		l.err <- err // every later Accept fails alike
		return nil, err
	}
}

func (l *checkedListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.err <- err
			return
		}
		go func() {
			if cc := l.check(c); cc != nil {
				select {
				case l.ready <- cc:
				case <-l.done:
					cc.Close()
				}
			}
		}()
	}
}

// Close closes the listener; connections still being checked are closed.
func (l *checkedListener) Close() error {
	err := l.Listener.Close()
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	return err
}

// check reads as many bytes as the expected opening has and compares them: it returns the
// connection with those bytes to be read again, or closes it and returns nil.
func (l *checkedListener) check(c net.Conn) net.Conn {
	want := []byte(http2Preface)
	if l.tls {
		want = []byte{0x16}
	}
	c.SetReadDeadline(time.Now().Add(prefaceTimeout))
	got := make([]byte, len(want))
	n, err := io.ReadFull(c, got)
	c.SetReadDeadline(time.Time{})
	if err == nil && bytes.Equal(got, want) {
		return &replayConn{Conn: c, pending: got}
	}
	if n > 0 {
		what := "TLS handshake"
		if !l.tls {
			what = "HTTP/2 preface"
		}
		l.s.m.errors.WithLabelValues("garbage").Inc()
		l.s.log.Warn("connection refused: it did not open with the "+what, "peer", c.RemoteAddr().String(), "first_bytes", quoted(got[:n]))
	}
	c.Close()
	return nil
}

// replayConn gives back the bytes already read before reading on.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(b []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}

// quoted shows up to 16 opening bytes of a connection for a log line.
func quoted(b []byte) string {
	if len(b) > 16 {
		b = b[:16]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}
