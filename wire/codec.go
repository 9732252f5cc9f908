package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/datamix/harness/wire/wirepb"
)

// The codec of the cloud and of the edges' streams decodes the float32 values of a streamed
// request (on the cloud) or answer (on the edge) straight from the received frames into a
// float32 buffer of a pool: one copy, where protobuf's codec makes two (the frames gathered
// into one buffer, then the bytes field copied out of it) and allocates both. For a batch of
// uploads — megabytes at split 1 — those copies and allocations are most of what receiving a
// message costs beyond the kernel's. Everything else (Info, Infer, what is sent) goes through
// protobuf's codec unchanged; the bytes on the wire are the same protobuf either way.

// pooledRequest is a streamed request whose float32 rows (Data) sit in buf, a buffer of the
// server's pool, which the server takes back once the rows have run.
type pooledRequest struct {
	req *wirepb.InferRequest
	buf *[]float32
}

// pooledResponse is an answer on a client's stream whose float32 values (Data) sit in buf, a
// buffer of the client's pool, which the client takes back once it has copied them out.
type pooledResponse struct {
	resp *wirepb.InferResponse
	buf  *[]float32
}

// codec is the gRPC codec of the cloud and of the edges' streams: protobuf's, except that a
// *pooledRequest or *pooledResponse is decoded by decodeRequest or decodeResponse.
type codec struct {
	proto encoding.CodecV2
	pool  *floatPool
}

func newCodec(pool *floatPool) *codec {
	return &codec{proto: encoding.GetCodecV2("proto"), pool: pool}
}

// Name is protobuf's: peers see the same content type.
func (c *codec) Name() string { return "proto" }

// Marshal writes v as protobuf's codec does, into a buffer of the byte pool: protobuf's
// codec takes its buffers from gRPC's default pool, which clears them (megabytes a request).
func (c *codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return c.proto.Marshal(v)
	}
	size := proto.Size(m)
	if mem.IsBelowBufferPoolingThreshold(size) {
		return c.proto.Marshal(v)
	}
	buf := buffers.Get(size)
	b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend((*buf)[:0], m)
	if err != nil {
		buffers.Put(buf)
		return nil, err
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, buffers)}, nil
}

func (c *codec) Unmarshal(data mem.BufferSlice, v any) error {
	switch p := v.(type) {
	case *pooledRequest:
		return decodeRequest(data, p, c.pool)
	case *pooledResponse:
		return decodeResponse(data, p, c.pool)
	}
	return c.proto.Unmarshal(data, v)
}

// errMalformed is the error of a message that is not in protobuf's wire format, or not the
// message it should be.
var errMalformed = errors.New("wire: malformed message")

// message describes the fields of one protobuf message for decodeFields: their wire types,
// and what to do with each value.
type message struct {
	types map[protowire.Number]protowire.Type
	// varint takes a varint field's value.
	varint func(num protowire.Number, v uint64)
	// bytes takes a length-delimited field of n bytes, reading exactly n bytes of r.
	bytes func(num protowire.Number, n int, r *mem.Reader) error
}

// decodeFields walks the fields of one protobuf message in data, handing each known field's
// value to m. It accepts no more than protobuf does (a known field must have its own wire
// type, no groups, nothing overruns the message); unknown fields are skipped.
func decodeFields(data mem.BufferSlice, m message) error {
	r := data.Reader()
	defer r.Close()
	for r.Remaining() > 0 {
		tag, err := binary.ReadUvarint(r)
		if err != nil || tag>>3 == 0 || tag>>3 > uint64(protowire.MaxValidNumber) {
			return fmt.Errorf("%w: bad tag", errMalformed)
		}
		num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
		want, known := m.types[num]
		if known && typ != want {
			return fmt.Errorf("%w: field %d has wire type %d", errMalformed, num, typ)
		}
		switch typ {
		case protowire.VarintType:
			v, err := binary.ReadUvarint(r)
			if err != nil {
				return fmt.Errorf("%w: field %d: %v", errMalformed, num, err)
			}
			if known {
				m.varint(num, v)
			}
		case protowire.BytesType:
			n, err := binary.ReadUvarint(r)
			if err != nil || n > uint64(r.Remaining()) {
				return fmt.Errorf("%w: field %d overruns the message", errMalformed, num)
			}
			if !known {
				r.Discard(int(n))
				continue
			}
			if err := m.bytes(num, int(n), r); err != nil {
				return err
			}
		case protowire.Fixed32Type, protowire.Fixed64Type:
			n := 4
			if typ == protowire.Fixed64Type {
				n = 8
			}
			if k, _ := r.Discard(n); k != n {
				return fmt.Errorf("%w: field %d overruns the message", errMalformed, num)
			}
		default:
			return fmt.Errorf("%w: wire type %d", errMalformed, typ)
		}
	}
	return nil
}

// readString reads a string field of n bytes, which protobuf requires to be UTF-8.
func readString(r *mem.Reader, n int, what string) (string, error) {
	b := make([]byte, n)
	r.Read(b)
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%w: %s is not UTF-8", errMalformed, what)
	}
	return string(b), nil
}

// readFloats reads a float32 field of n bytes into a buffer of pool, giving back the one
// *buf held (a field given twice: the last one counts), and returns the field's bytes.
func readFloats(r *mem.Reader, n int, buf **[]float32, pool *floatPool) []byte {
	pool.put(*buf)
	*buf = nil
	if n == 0 {
		return []byte{}
	}
	*buf = pool.get((n + 3) / 4)
	b := bytesOf(**buf)[:n:n]
	r.Read(b)
	return b
}

// dropOnError gives *buf back to pool when err is not nil, and returns err.
func dropOnError(err error, buf **[]float32, pool *floatPool) error {
	if err != nil {
		pool.put(*buf)
		*buf = nil
	}
	return err
}

// decodeRequest decodes an InferRequest from data into p, its float32 rows into a buffer from
// pool, the rest as protobuf would (decodeFields). On error p holds no buffer.
func decodeRequest(data mem.BufferSlice, p *pooledRequest, pool *floatPool) error {
	req := &wirepb.InferRequest{}
	p.req, p.buf = req, nil
	err := decodeFields(data, message{types: requestFieldTypes,
		varint: func(num protowire.Number, v uint64) {
			switch num {
			case 2:
				req.Rows = uint32(v)
			case 3:
				req.Encoding = wirepb.Encoding(int32(v))
			case 6:
				req.Pool = v
			case 7:
				req.Offset = uint32(v)
			case 8:
				req.PoolRows = uint32(v)
			case 9:
				req.Client = v
			case 10:
				req.Id = v
			}
		},
		bytes: func(num protowire.Number, n int, r *mem.Reader) (err error) {
			switch num {
			case 1:
				req.Model, err = readString(r, n, "model")
			case 4:
				req.Data = readFloats(r, n, &p.buf, pool)
			case 5:
				b := make([]byte, n)
				r.Read(b)
				req.Images = append(req.Images, b)
			}
			return err
		}})
	return dropOnError(err, &p.buf, pool)
}

// decodeResponse decodes an InferResponse from data into p, its float32 values into a buffer
// from pool, the rest as protobuf would (decodeFields). On error p holds no buffer.
func decodeResponse(data mem.BufferSlice, p *pooledResponse, pool *floatPool) error {
	resp := &wirepb.InferResponse{}
	p.resp, p.buf = resp, nil
	err := decodeFields(data, message{types: responseFieldTypes,
		varint: func(num protowire.Number, v uint64) {
			switch num {
			case 1:
				resp.Rows = uint32(v)
			case 3:
				resp.Id = v
			case 4:
				resp.Code = uint32(v)
			case 6:
				resp.RetryAfterMs = uint32(v)
			}
		},
		bytes: func(num protowire.Number, n int, r *mem.Reader) (err error) {
			switch num {
			case 2:
				resp.Data = readFloats(r, n, &p.buf, pool)
			case 5:
				resp.Message, err = readString(r, n, "message")
			}
			return err
		}})
	return dropOnError(err, &p.buf, pool)
}

// requestFieldTypes and responseFieldTypes are the wire types of the fields of InferRequest
// and InferResponse (wire.proto).
var (
	requestFieldTypes = map[protowire.Number]protowire.Type{
		1: protowire.BytesType, 2: protowire.VarintType, 3: protowire.VarintType, 4: protowire.BytesType,
		5: protowire.BytesType, 6: protowire.VarintType, 7: protowire.VarintType, 8: protowire.VarintType,
		9: protowire.VarintType, 10: protowire.VarintType,
	}
	responseFieldTypes = map[protowire.Number]protowire.Type{
		1: protowire.VarintType, 2: protowire.BytesType, 3: protowire.VarintType, 4: protowire.VarintType,
		5: protowire.BytesType, 6: protowire.VarintType,
	}
)

// bytesOf is the memory of v as bytes.
func bytesOf(v []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*cap(v))
}

// slicePool keeps slices by size class (powers of two, from 2⁸ elements), so that a steady
// stream of requests allocates nothing. A slice from get has undefined contents: every user
// here overwrites what it reads (received rows, gRPC's frames and messages), and clearing
// megabytes per request was a measurable share of serving them.
type slicePool[T any] struct {
	classes [48]sync.Pool
}

// get returns a slice of length n.
func (p *slicePool[T]) get(n int) *[]T {
	c := sizeClass(n)
	if c >= len(p.classes) {
		b := make([]T, n)
		return &b
	}
	if b, ok := p.classes[c].Get().(*[]T); ok {
		*b = (*b)[:n]
		return b
	}
	b := make([]T, n, 1<<c)
	return &b
}

// put gives b back to the pool (one whose capacity is not a size class is dropped; nil is
// ignored); b must not be used after.
func (p *slicePool[T]) put(b *[]T) {
	if b == nil {
		return
	}
	if c := sizeClass(cap(*b)); cap(*b) == 1<<c && c < len(p.classes) {
		p.classes[c].Put(b)
	}
}

// sizeClass is the smallest c with 1<<c ≥ n (at least 8).
func sizeClass(n int) int { return max(bits.Len(uint(max(n, 1)-1)), 8) }

// floatPool holds the float32 values of received messages.
type floatPool = slicePool[float32]

// floats is the float pool of every server and client of this process.
var floats = &floatPool{}

// bytePool is a slicePool serving as gRPC's buffer pool (mem.BufferPool) for frames and
// messages, on the server (experimental.BufferPool) and the client (WithBufferPool).
type bytePool struct{ slicePool[byte] }

func (p *bytePool) Get(n int) *[]byte { return p.get(n) }
func (p *bytePool) Put(b *[]byte)     { p.put(b) }

// buffers is the byte pool of every server and client of this process.
var buffers = &bytePool{}

var _ mem.BufferPool = buffers
