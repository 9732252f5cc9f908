package wire

import (
	"bytes"
	"math"
	"testing"

	"google.golang.org/grpc/codes"
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
