package wire

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/datamix/harness/wire/wirepb"
)

// FuzzDecodeRequest: whatever bytes arrive as an Infer request, decoding them as the cloud
// does either fails with a gRPC status or gives exactly rows × input finite values — never a
// panic, never a row count or a value the body must not see. The seed corpus
// (testdata/fuzz/FuzzDecodeRequest) holds a valid float32 request, a valid PNG one and
// malformed ones.
func FuzzDecodeRequest(f *testing.F) {
	info := ModelInfo{ID: "m", InputShape: []int{1, 2, 2}, OutputDim: 3, PNG: true}
	for _, req := range fuzzSeeds() {
		b, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req wirepb.InferRequest
		if proto.Unmarshal(b, &req) != nil {
			return
		}
		rows, err := decodeRows(&req, info, 8)
		if err != nil {
			if _, ok := status.FromError(err); !ok || status.Code(err) == codes.Unknown {
				t.Fatalf("a malformed request's error is not a gRPC status: %v", err)
			}
			return
		}
		if r := int(req.GetRows()); r < 1 || r > 8 || len(rows) != r*info.InputDim() {
			t.Fatalf("decoded %d values for %d rows", len(rows), req.GetRows())
		}
		for i, v := range rows {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("value %d is %v", i, v)
			}
		}
	})
}

// fuzzSeeds are the requests the fuzz corpus starts from.
func fuzzSeeds() []*wirepb.InferRequest {
	var png bytes.Buffer
	EncodePNG(&png, []float32{0, 0.5, 1, 0.25}, 1, 2, 2)
	nan := encodeFloats([]float32{1, 2, float32(math.NaN()), 4})
	return []*wirepb.InferRequest{
		{Model: "m", Rows: 2, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: encodeFloats(make([]float32, 8)), Pool: 1, Offset: 0, PoolRows: 4, Client: 9},
		{Model: "m", Rows: 1, Encoding: wirepb.Encoding_ENCODING_PNG, Images: [][]byte{png.Bytes()}},
		{Model: "m", Rows: 1, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: nan},
		{Model: "other", Rows: 3, Encoding: wirepb.Encoding_ENCODING_FLOAT32, Data: []byte{1, 2, 3}},
		{Model: "m", Rows: 1, Encoding: wirepb.Encoding_ENCODING_PNG, Images: [][]byte{[]byte("\x89PNG\r\n\x1a\nshort")}},
	}
}

// FuzzPooledDecoding: the decoding of a streamed request on the cloud (decodeRequest) and of
// a streamed answer on the edge (decodeResponse), fed the bytes in frames of any size, agree
// with protobuf's: what they accept, protobuf accepts, with the same fields; what protobuf
// accepts, they accept too, unless a field has a wire type other than its own (which
// protobuf keeps as an unknown field).
func FuzzPooledDecoding(f *testing.F) {
	for _, req := range fuzzSeeds() {
		b, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(7))
		f.Add(b, uint8(0))
	}
	for _, resp := range []*wirepb.InferResponse{
		{Rows: 2, Data: encodeFloats([]float32{1, 2, 3, 4, 5, 6}), Id: 7},
		{Id: 3, Code: 8, Message: "this connection already has 4 requests waiting", RetryAfterMs: 2},
	} {
		b, err := proto.Marshal(resp)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(2))
	}
	f.Add([]byte{0x22, 0x00, 0x22, 0x04, 1, 2, 3, 4, 0x10, 0x02}, uint8(3)) // data twice, the first empty
	f.Add([]byte{0x0a, 0x02, 0xff, 0xfe}, uint8(1))                         // a string that is not UTF-8
	f.Add([]byte{0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, uint8(2))       // a value above 32 bits
	f.Add([]byte{0x7d, 1, 2, 3, 4, 0x82, 0x01, 0x01, 0x00}, uint8(5))       // unknown fields
	f.Fuzz(func(t *testing.T, b []byte, frame uint8) {
		var slice mem.BufferSlice
		step := int(frame%32) + 1
		for lo := 0; lo < len(b); lo += step {
			slice = append(slice, mem.SliceBuffer(b[lo:min(lo+step, len(b))]))
		}
		var pool floatPool
		var req pooledRequest
		err := decodeRequest(slice, &req, &pool)
		comparePooled(t, b, err, req.req, req.buf, &wirepb.InferRequest{}, req.req.GetData())
		var resp pooledResponse
		err = decodeResponse(slice, &resp, &pool)
		comparePooled(t, b, err, resp.resp, resp.buf, &wirepb.InferResponse{}, resp.resp.GetData())
	})
}

// comparePooled checks one pooled decoding of b (got, its buffer buf and its float32 field's
// bytes data, or err) against protobuf's decoding into want.
func comparePooled(t *testing.T, b []byte, err error, got proto.Message, buf *[]float32, want proto.Message, data []byte) {
	t.Helper()
	perr := proto.Unmarshal(b, want)
	want.ProtoReflect().SetUnknown(nil) // skipped by the pooled decoding
	switch {
	case err == nil && perr != nil:
		t.Fatalf("pooled decoding accepts what protobuf refuses (%v): %v", perr, got)
	case err == nil && !proto.Equal(got, want):
		t.Fatalf("decoded %v, protobuf %v", got, want)
	case err != nil && perr == nil && !strings.Contains(err.Error(), "wire type"):
		t.Fatalf("pooled decoding refuses what protobuf accepts: %v", err)
	case err != nil && buf != nil:
		t.Fatal("a refused message kept its buffer")
	case err == nil && buf != nil && len(data) > 4*len(*buf):
		t.Fatalf("%d bytes of data in a buffer of %d values", len(data), len(*buf))
	}
}

// TestFirstNonFinite puts a NaN, +Inf or −Inf at every position of uploads of every length up to
// 40 values, beside values with some but not all exponent bits set (the largest finite
// values, subnormals, negative zero), a second one three values later, and checks that the
// first one's index is returned (-1 with none).
func TestFirstNonFinite(t *testing.T) {
	fill := []float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Copysign(0, -1)), 1, -2.5, 0x1p-126}
	for n := 0; n <= 40; n++ {
		base := make([]float32, n)
		for i := range base {
			base[i] = fill[i%len(fill)]
		}
		if got := firstNonFinite(encodeFloats(base)); got != -1 {
			t.Fatalf("%d finite values: firstNonFinite = %d, want -1", n, got)
		}
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0xffc00001)} {
			for at := range n {
				v := append([]float32(nil), base...)
				v[at] = bad
				if at+3 < n {
					v[at+3] = bad // a later one must not win
				}
				if got := firstNonFinite(encodeFloats(v)); got != at {
					t.Fatalf("%d values, %v at %d: firstNonFinite = %d", n, bad, at, got)
				}
			}
		}
	}
}

// cleanUpload is mnist-cnn's upload at split 1, batch 64, every value finite.
func cleanUpload() []float32 {
	v := make([]float32, 64*3136)
	for i := range v {
		v[i] = float32(i%255) / 255
	}
	return v
}

func BenchmarkFirstNonFinite(b *testing.B) {
	data := encodeFloats(cleanUpload())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if firstNonFinite(data) != -1 {
			b.Fatal("finite values reported non-finite")
		}
	}
}

// BenchmarkNonFiniteLoop is the value-by-value test, for comparison.
func BenchmarkNonFiniteLoop(b *testing.B) {
	v := cleanUpload()
	b.SetBytes(int64(len(v) * 4))
	for b.Loop() {
		for _, x := range v {
			if math.Float32bits(x)&expMask == expMask {
				b.Fatal("finite values reported non-finite")
			}
		}
	}
}
