package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/datamix/harness/wire/wirepb"
)

// The cloud's codec decodes a streamed request's rows straight from the received frames into
// a float32 buffer of its own pool: one copy, where protobuf's codec makes two (the frames
// gathered into one buffer, then the bytes field copied out of it) and allocates both. For a
// batch of uploads — megabytes at split 1 — those copies and allocations are most of what
// receiving a request costs beyond the kernel's. Everything else (Info, Infer, answers) goes
// through protobuf's codec unchanged; the bytes on the wire are the same protobuf either way.

// pooledRequest is a streamed request whose float32 rows (Data) sit in buf, a buffer of the
// server's pool, which the server takes back once the rows have run (release).
type pooledRequest struct {
	req *wirepb.InferRequest
	buf *[]float32
}

// serverCodec is the cloud's gRPC codec: protobuf's, except that a *pooledRequest is decoded
// by decodePooled.
type serverCodec struct {
	proto encoding.CodecV2
	pool  *floatPool
}

func newServerCodec(pool *floatPool) *serverCodec {
	return &serverCodec{proto: encoding.GetCodecV2("proto"), pool: pool}
}

// Name is protobuf's: clients see the same content type.
func (c *serverCodec) Name() string { return "proto" }

func (c *serverCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c *serverCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if p, ok := v.(*pooledRequest); ok {
		return decodePooled(data, p, c.pool)
	}
	return c.proto.Unmarshal(data, v)
}

// errMalformed is the error of a request that is not an InferRequest in protobuf's wire
// format.
var errMalformed = errors.New("wire: malformed InferRequest")

// decodePooled decodes an InferRequest (protobuf wire format) from data into p: the float32
// rows into a buffer from pool, the rest as protobuf would. It accepts no more than protobuf
// does (a string must be UTF-8, a known field must have its own wire type, no groups); a
// field given twice keeps its last value, a repeated one gathers them all, unknown fields are
// skipped. On error p holds no buffer.
func decodePooled(data mem.BufferSlice, p *pooledRequest, pool *floatPool) (err error) {
	r := data.Reader()
	defer r.Close()
	req := &wirepb.InferRequest{}
	p.req, p.buf = req, nil
	defer func() {
		if err != nil && p.buf != nil {
			pool.put(p.buf)
			p.buf = nil
		}
	}()
	for r.Remaining() > 0 {
		tag, err := binary.ReadUvarint(r)
		if err != nil || tag>>3 == 0 || tag>>3 > uint64(protowire.MaxValidNumber) {
			return fmt.Errorf("%w: bad tag", errMalformed)
		}
		num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
		want, known := requestFieldTypes[num]
		if known && typ != want {
			return fmt.Errorf("%w: field %d has wire type %d", errMalformed, num, typ)
		}
		switch typ {
		case protowire.VarintType:
			v, err := binary.ReadUvarint(r)
			if err != nil {
				return fmt.Errorf("%w: field %d: %v", errMalformed, num, err)
			}
			setVarint(req, num, v)
		case protowire.BytesType:
			n, err := binary.ReadUvarint(r)
			if err != nil || n > uint64(r.Remaining()) {
				return fmt.Errorf("%w: field %d overruns the message", errMalformed, num)
			}
			switch num {
			case 1:
				b := make([]byte, n)
				r.Read(b)
				if !utf8.Valid(b) {
					return fmt.Errorf("%w: model is not UTF-8", errMalformed)
				}
				req.Model = string(b)
			case 4:
				if p.buf != nil { // given twice: the last one counts
					pool.put(p.buf)
					p.buf = nil
				}
				if n == 0 {
					req.Data = []byte{}
					continue
				}
				p.buf = pool.get((int(n) + 3) / 4)
				req.Data = bytesOf(*p.buf)[:n:n]
				r.Read(req.Data)
			case 5:
				b := make([]byte, n)
				r.Read(b)
				req.Images = append(req.Images, b)
			default:
				r.Discard(int(n))
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

// requestFieldTypes are the wire types of InferRequest's fields (wire.proto).
var requestFieldTypes = map[protowire.Number]protowire.Type{
	1: protowire.BytesType, 2: protowire.VarintType, 3: protowire.VarintType, 4: protowire.BytesType,
	5: protowire.BytesType, 6: protowire.VarintType, 7: protowire.VarintType, 8: protowire.VarintType,
	9: protowire.VarintType, 10: protowire.VarintType,
}

// setVarint sets InferRequest's varint field num to v, truncated to the field's type as
// protobuf does; an unknown field is skipped.
func setVarint(req *wirepb.InferRequest, num protowire.Number, v uint64) {
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
}

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

// put gives b back to the pool (one whose capacity is not a size class is dropped); b must
// not be used after.
func (p *slicePool[T]) put(b *[]T) {
	if c := sizeClass(cap(*b)); cap(*b) == 1<<c && c < len(p.classes) {
		p.classes[c].Put(b)
	}
}

// sizeClass is the smallest c with 1<<c ≥ n (at least 8).
func sizeClass(n int) int { return max(bits.Len(uint(max(n, 1)-1)), 8) }

// floatPool holds the rows of received requests.
type floatPool = slicePool[float32]

// bytePool is a slicePool serving as gRPC's buffer pool (mem.BufferPool) for frames and
// messages, on the server (experimental.BufferPool) and the client (WithBufferPool).
type bytePool struct{ slicePool[byte] }

func (p *bytePool) Get(n int) *[]byte { return p.get(n) }
func (p *bytePool) Put(b *[]byte)     { p.put(b) }

// buffers is the byte pool of every server and client of this process.
var buffers = &bytePool{}

var _ mem.BufferPool = buffers

var _ io.ByteReader = (*mem.Reader)(nil)
