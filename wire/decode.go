package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"math"
	"unsafe"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/datamix/harness/wire/wirepb"
)

// ModelInfo describes the model a cloud serves.
type ModelInfo struct {
	// ID is the identifier requests name (the architecture, the split and the network's
	// fingerprint, e.g. "mnist-cnn/1/3f2a…"): a request for another model is refused.
	ID    string
	Arch  string
	Split int
	// InputShape is the shape of one row: (C, H, W), or one flat length.
	InputShape []int
	// OutputDim is the number of values of one answer.
	OutputDim int
	// PNG says whether rows may come as PNG images (the raw-input baseline, whose rows are
	// images of InputShape (C, H, W) with C = 1 or 3).
	PNG bool
}

// InputDim is the number of values of one row.
func (m ModelInfo) InputDim() int {
	n := 1
	for _, d := range m.InputShape {
		n *= d
	}
	return n
}

// maxPNGSide bounds the side of a PNG row before its pixels are allocated: a header may claim
// any size, and a row is at most a model input (32×64 here).
const maxPNGSide = 4096

// decodeRows checks a request against the model and returns its rows as float32 values
// (rows × InputDim). Every problem is a gRPC status naming what is wrong: NotFound for another
// model, InvalidArgument for a malformed request (row count, sizes, encoding, non-finite
// values, undecodable or misshapen images, pool fields).
func decodeRows(req *wirepb.InferRequest, info ModelInfo, maxRows int) ([]float32, error) {
	if req.GetModel() != info.ID {
		return nil, status.Errorf(codes.NotFound, "unknown model %q; this cloud serves %q", req.GetModel(), info.ID)
	}
	rows := int(req.GetRows())
	if rows < 1 || rows > maxRows {
		return nil, status.Errorf(codes.InvalidArgument, "rows %d, need 1 … %d", req.GetRows(), maxRows)
	}
	if pr := req.GetPoolRows(); pr > 0 && uint64(req.GetOffset())+uint64(rows) > uint64(pr) {
		return nil, status.Errorf(codes.InvalidArgument, "rows %d at offset %d overrun a pool of %d", rows, req.GetOffset(), pr)
	}
	dim := info.InputDim()
	switch req.GetEncoding() {
	case wirepb.Encoding_ENCODING_FLOAT32:
		if len(req.GetImages()) > 0 {
			return nil, status.Errorf(codes.InvalidArgument, "float32 request carries %d images", len(req.GetImages()))
		}
		data := req.GetData()
		if len(data) != rows*dim*4 {
			return nil, status.Errorf(codes.InvalidArgument, "data holds %d bytes; %d rows of %d float32 values need %d", len(data), rows, dim, rows*dim*4)
		}
		out := floatsOf(data)
		if i := firstNonFinite(data); i >= 0 {
			return nil, status.Errorf(codes.InvalidArgument, "row %d value %d is %v; uploads must be finite", i/dim, i%dim, out[i])
		}
		return out, nil
	case wirepb.Encoding_ENCODING_PNG:
		if !info.PNG {
			return nil, status.Errorf(codes.InvalidArgument, "model %s takes float32 uploads, not PNG images", info.ID)
		}
		if len(req.GetData()) > 0 {
			return nil, status.Errorf(codes.InvalidArgument, "PNG request carries %d bytes of float32 data", len(req.GetData()))
		}
		if len(req.GetImages()) != rows {
			return nil, status.Errorf(codes.InvalidArgument, "%d images for %d rows", len(req.GetImages()), rows)
		}
		out := make([]float32, rows*dim)
		for i, b := range req.GetImages() {
			if err := decodePNG(out[i*dim:(i+1)*dim], b, info.InputShape); err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "image %d: %v", i, err)
			}
		}
		return out, nil
	}
	return nil, status.Errorf(codes.InvalidArgument, "encoding %v, want ENCODING_FLOAT32 or ENCODING_PNG", req.GetEncoding())
}

// decodePNG decodes one PNG row into dst (C×H×W, channel-major, pixel/255).
func decodePNG(dst []float32, b []byte, shape []int) error {
	if len(shape) != 3 || (shape[0] != 1 && shape[0] != 3) {
		return fmt.Errorf("the model's rows %v are not images", shape)
	}
	c, h, w := shape[0], shape[1], shape[2]
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not a PNG: %v", err)
	}
	if cfg.Width != w || cfg.Height != h || cfg.Width > maxPNGSide || cfg.Height > maxPNGSide {
		return fmt.Errorf("%d×%d pixels, the model takes %d×%d", cfg.Width, cfg.Height, w, h)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not a PNG: %v", err)
	}
	switch m := img.(type) {
	case *image.Gray:
		if c != 1 {
			return fmt.Errorf("a grey image, the model takes %d channels", c)
		}
		for y := range h {
			for x := range w {
				dst[y*w+x] = float32(m.Pix[y*m.Stride+x]) / 255
			}
		}
	case *image.RGBA: // an opaque RGB PNG
		if c != 3 {
			return fmt.Errorf("a colour image, the model takes %d channel", c)
		}
		rgbRows(dst, m.Pix, m.Stride, h, w)
	case *image.NRGBA:
		if c != 3 {
			return fmt.Errorf("a colour image, the model takes %d channel", c)
		}
		rgbRows(dst, m.Pix, m.Stride, h, w)
	default:
		return fmt.Errorf("8-bit grey or RGB PNG needed, got %T", img)
	}
	return nil
}

// rgbRows copies the colour channels of 4-byte pixels into dst, channel-major.
func rgbRows(dst []float32, pix []uint8, stride, h, w int) {
	for y := range h {
		for x := range w {
			p := pix[y*stride+4*x:]
			for k := range 3 {
				dst[k*h*w+y*w+x] = float32(p[k]) / 255
			}
		}
	}
}

// EncodePNG writes one row of pixels in [0, 1] (C×H×W, channel-major, C = 1 or 3) as an
// 8-bit PNG, each value rounded to the nearest of 256 levels: lossless for images that were
// 8-bit to begin with (MNIST, Fashion-MNIST, CIFAR), whose values are multiples of 1/255.
func EncodePNG(buf *bytes.Buffer, pix []float32, c, h, w int) error {
	level := func(v float32) uint8 { return uint8(math.Round(float64(min(max(v, 0), 1)) * 255)) }
	var img image.Image
	switch c {
	case 1:
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range h * w {
			g.Pix[i] = level(pix[i])
		}
		img = g
	case 3:
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				for k := range 3 {
					m.Pix[y*m.Stride+4*x+k] = level(pix[k*h*w+y*w+x])
				}
				m.Pix[y*m.Stride+4*x+3] = 255
			}
		}
		img = m
	default:
		return fmt.Errorf("wire: %d channels, a PNG row needs 1 or 3", c)
	}
	// zlib's default level, as PIL's PNG writer uses (the split-computing benchmarks' raw
	// upload baselines compress with it).
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	return enc.Encode(buf, img)
}

// expMask selects the exponent bits of a float32 (IEEE 754 binary32).
const expMask = 0x7f800000

// firstNonFinite returns the index of the first NaN or ±Inf among the little-endian float32
// values of b (len(b) a multiple of 4), or -1 if every value is finite. Uploads are megabytes
// checked once per request, nearly always clean, so the test reads two values per 64-bit word
// and branches once per 64 bytes; only a block that holds a non-finite value is searched
// value by value. A value is NaN or ±Inf when every exponent bit is set, and then (and only
// then) adding 1 to its exponent field carries into the sign bit: with the sign bits cleared
// first, (w & exp) + lsb sets bit 31 of a 32-bit half exactly when that value is not finite,
// and no half carries into the next.
func firstNonFinite(b []byte) int {
	const (
		exp  = uint64(expMask)<<32 | expMask
		lsb  = 1<<55 | 1<<23 // the lowest exponent bit of each half
		tops = 1<<63 | 1<<31
	)
	le := binary.LittleEndian
	for at := 0; at < len(b); at += 64 {
		blk := b[at:min(at+64, len(b))]
		if len(blk) == 64 {
			acc := (le.Uint64(blk[0:])&exp + lsb) | (le.Uint64(blk[8:])&exp + lsb) |
				(le.Uint64(blk[16:])&exp + lsb) | (le.Uint64(blk[24:])&exp + lsb) |
				(le.Uint64(blk[32:])&exp + lsb) | (le.Uint64(blk[40:])&exp + lsb) |
				(le.Uint64(blk[48:])&exp + lsb) | (le.Uint64(blk[56:])&exp + lsb)
			if acc&tops == 0 {
				continue
			}
		}
		for i := 0; i+4 <= len(blk); i += 4 {
			if le.Uint32(blk[i:])&expMask == expMask {
				return (at + i) / 4
			}
		}
	}
	return -1
}

// littleEndian says whether this machine stores float32 values as the wire does, so that a
// float32 slice and its bytes on the wire can share memory.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// encodeFloats returns v as little-endian float32 bytes: v's own memory on a little-endian
// machine (the caller must not change v while the bytes are in use), a copy otherwise.
func encodeFloats(v []float32) []byte {
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// floatsOf returns the little-endian float32 values of b (len(b) a multiple of 4): b's own
// memory on a little-endian machine when b is aligned for float32 (the caller must not change
// b while the values are in use), a copy otherwise.
func floatsOf(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%unsafe.Alignof(float32(0)) == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
	}
	out := make([]float32, len(b)/4)
	decodeFloats(out, b)
	return out
}

// decodeFloats reads little-endian float32 values into dst; len(b) must be 4·len(dst).
func decodeFloats(dst []float32, b []byte) {
	if littleEndian && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%unsafe.Alignof(float32(0)) == 0 {
		copy(dst, unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(dst)))
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}
