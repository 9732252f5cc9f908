// Package wire carries the DataMix exchange between an edge and a cloud over the network:
// gRPC (the Cloud service of wirepb/wire.proto), the cloud's server and the edge's client.
// The protocol itself — what the edge computes, mixes and keeps secret — is package datamix;
// this package is the transport behind its Transport interface, and knows nothing of networks
// or gorgonia: the cloud runs a Model, rows in and rows out.
//
// # The exchange
//
// The edge's Client sends the uploads of one shuffling pool (Client.Exchange, a
// datamix.Transport) as requests of at most the cloud's MaxBatch rows each, float32 values in
// a bytes field, with the pool's public bookkeeping (a session number, the pool's number, the
// rows' offset and the pool's size); the cloud answers each row with the body's output. The
// requests travel on one long-lived Stream call per client, each answered under its id (a
// refusal too, with its status code, while the stream goes on): a message on an open stream
// costs much less than a call of its own, and for one-row requests that cost is most of
// serving them. Infer, the same exchange as one unary call per request, serves simple
// clients (grpcurl, other languages) and behaves the same. The raw-input baseline sends PNG images instead (Client.InferPNG, EncodePNG), which
// a cloud serving the whole network decodes. Info tells an edge which model a cloud serves
// (the architecture, the split and the network's fingerprint): an edge refuses a cloud that
// serves another network, and the cloud refuses requests for a model it does not serve.
//
// # The cloud
//
// A Server batches the requests of every connection dynamically, as NVIDIA Triton's dynamic
// batcher does: the body runs as soon as it is free and MaxBatch rows wait, or MaxDelay after
// the oldest waiting request arrived, on the rows of as many waiting requests as fit. Unlike
// Triton's, the batcher knows its clients: once every open connection has a request waiting,
// no one else could join the batch, and it runs without waiting out MaxDelay. Each
// connection has its own queue of at most ConnQueue requests, and a batch takes requests
// from the queues in turn, so one client's flood fills only its own queue and is refused
// (ResourceExhausted, with a RetryInfo), while the others keep their share. A client that
// leaves — its request waiting or in the body's current run — holds up no one: a waiting
// request is dropped, a running one's answer discarded. Shutdown drains: it stops accepting,
// answers every request already received, then returns (an open stream ends with Unavailable
// once its requests are answered; the client sends anything unanswered again). The server exports Prometheus
// metrics (requests by status code, rows, batches and their sizes, queue delay, request
// duration, body time, busy seconds, errors by cause, queue length) into a Registerer, and
// can record exactly what it received and answered into a capture file (CaptureWriter; the
// format is documented there): the cloud's view, which an attacker studies (Pools turns it
// into the observations package attacks takes). TLS 1.3 is served with NewServerTLS,
// optionally requiring client certificates.
//
// The body is deterministic per row, whichever rows share its batch (the harness's networks
// normalise with running statistics at inference), so batching changes no prediction.
//
// # The edge
//
// A Client reaches one cloud through an emulated link (package wire/link: bandwidth, round
// trip and jitter; the zero profile only counts bytes) and counts the bytes that crossed it,
// framing included (Sent, Received). It retries a request the cloud could not take — while
// the cloud is unreachable (down, restarting, draining) or asks for a retry — with
// exponential backoff (Retry), and reconnects by itself; the answers of one request are used
// once, so every input gets exactly one prediction.
//
// # Errors
//
// The server answers malformed input with a gRPC status and a log line, never a crash:
// NotFound for an unknown model; InvalidArgument for a row count out of range, data of the
// wrong size, a non-finite value, an unknown encoding, an image that does not decode or has
// the wrong size, pool fields that do not add up; ResourceExhausted for a request above
// MaxMessageBytes (refused before it is decoded) and for a full connection queue; Unavailable
// while stopping; Internal when the body fails (a panic in the body included). Bytes on the
// port that are not a gRPC client's opening are logged and the connection closed. The client
// returns errors starting with "wire:" naming the cloud's address; library code never prints
// (the server logs through the slog.Logger it is given).
package wire
