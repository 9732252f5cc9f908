// Package link emulates a network link in process, as a net.Conn wrapper: bandwidth each way,
// round-trip time and jitter, for the edge's side of a connection to the cloud. The kernel of
// the machines this harness runs on may have no netem (tc qdisc … netem), and tests must run
// anywhere without privileges, so the link is emulated in the edge's process: Conn.Write
// delays what goes up by its transmission time at the uplink's bandwidth plus half the round
// trip (± jitter), and Conn.Read what came down likewise at the downlink's. Each direction is
// one FIFO queue, so bytes keep their order, as over TCP, and a burst waits behind the bytes
// before it. What the emulation leaves out: TCP's own dynamics (slow start, loss and
// retransmission), and the cloud side of the connection, which sees loopback.
//
// A Conn also counts the bytes that crossed it each way: everything above TCP (gRPC and HTTP/2
// framing, TLS records, protobuf), so that the bytes a DataMix edge really sends can be set
// beside the analytic ones. TCP/IP headers (about 40–60 bytes a segment) are not counted.
//
// The named profiles (Lookup, Names) are conventional figures, listed in the README: 3g, lte,
// wifi, datacentre, and loopback (no shaping, counting only).
//
// # Errors
//
// Lookup of an unknown name returns an error naming the known ones; the Conn returns the
// underlying connection's errors, net.ErrClosed once closed and os.ErrDeadlineExceeded past a
// read deadline.
package link
