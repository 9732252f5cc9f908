package datasets

import (
	"bytes"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The limited-read path: with a limit the readers keep a prefix but still read and check the
// whole input. These targets compare a limited read with a full one on the same input, read
// in chunks of an arbitrary size (as a decompressor or a pipe delivers them): both succeed or
// both fail, and what the limited one keeps is the full one's prefix.

// chunkReader delivers data at most n bytes per Read.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func chunks(data []byte, n uint8) io.Reader { return &chunkReader{data: data, n: 1 + int(n)} }

// FuzzReadPrefix checks readPrefix against its contract: the first keep bytes kept, want
// bytes consumed (fewer if the input ends), no error for a short input, and a buffer that
// grows with the data that arrives, not with the sizes asked for.
func FuzzReadPrefix(f *testing.F) {
	f.Add([]byte("hello, world"), uint32(12), uint32(5), uint8(3))
	f.Add([]byte{}, uint32(1<<31), uint32(1<<30), uint8(0))
	f.Add(pattern(1000, 7), uint32(2000), uint32(2000), uint8(255))
	f.Add(pattern(70000, 1), uint32(70000), uint32(66000), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, want, keep uint32, chunk uint8) {
		if keep > want {
			keep, want = want, keep // the contract: keep ≤ want
		}
		kept, got, err := readPrefix(chunks(data, chunk), int64(want), int64(keep))
		if err != nil {
			t.Fatalf("error %v from a reader that never fails", err)
		}
		wantKept := data[:min(len(data), int(keep))]
		if !bytes.Equal(kept, wantKept) {
			t.Fatalf("kept %d bytes, want the first %d of %d", len(kept), len(wantKept), len(data))
		}
		if wantGot := min(int64(len(data)), int64(want)); got != wantGot {
			t.Fatalf("consumed %d bytes, want %d (input %d, want %d, keep %d)", got, wantGot, len(data), want, keep)
		}
		if c := cap(kept); c > max(2*len(data), 64<<10) {
			t.Fatalf("buffer of %d bytes for %d bytes of input", c, len(data))
		}
	})
}

// FuzzReadIDXImagesLimited: an IDX images file read with a limit keeps the first images of the
// full read, and fails exactly when the full read fails.
func FuzzReadIDXImagesLimited(f *testing.F) {
	f.Add(idxImages(idxImagesMagic, 3, 2, 2, pattern(12, 0)), uint16(1), uint8(0))
	f.Add(idxImages(idxImagesMagic, 3, 2, 2, pattern(11, 0)), uint16(1), uint8(4))
	f.Add(idxImages(idxImagesMagic, 2, 28, 28, pattern(2*784, 3)), uint16(5), uint8(100))
	f.Add(append(idxImages(idxImagesMagic, 1, 1, 1, []byte{9}), 0), uint16(0), uint8(1))
	f.Add(idxImages(idxImagesMagic, 0xffffffff, 0xffff, 2, pattern(40, 0)), uint16(2), uint8(7))
	f.Fuzz(func(t *testing.T, in []byte, keep uint16, chunk uint8) {
		full, errFull := readIDXImages(bytes.NewReader(in), "fuzz", -1)
		lim, errLim := readIDXImages(chunks(in, chunk), "fuzz", int(keep))
		if (errFull == nil) != (errLim == nil) {
			t.Fatalf("full read: %v; with limit %d: %v", errFull, keep, errLim)
		}
		if errFull != nil {
			if errFull.Error() != errLim.Error() {
				t.Fatalf("different errors: full %q, limited %q", errFull, errLim)
			}
			return
		}
		k := min(int(keep), full.n)
		if lim.n != full.n || lim.h != full.h || lim.w != full.w || lim.kept != k || full.kept != full.n {
			t.Fatalf("limited %d of %d %dx%d (kept %d), full %d %dx%d (kept %d), limit %d", lim.kept, lim.n, lim.h, lim.w, lim.kept, full.n, full.h, full.w, full.kept, keep)
		}
		if !bytes.Equal(lim.pix, full.pix[:k*full.h*full.w]) {
			t.Fatalf("the %d kept images differ from the full read's first ones", k)
		}
	})
}

// FuzzReadCIFARLimited: CIFAR records read with a limit are the full read's first records,
// and the record count and errors are the same.
func FuzzReadCIFARLimited(f *testing.F) {
	f.Add(cifarRecords(CIFAR10, nil, []byte{1, 9, 3}), uint16(2), false, uint8(50))
	f.Add(cifarRecords(CIFAR100, []byte{3, 19}, []byte{99, 0}), uint16(1), true, uint8(255))
	f.Add(cifarRecords(CIFAR10, nil, []byte{1, 11}), uint16(1), false, uint8(9))
	f.Add(cifarRecords(CIFAR10, nil, []byte{4})[:2000], uint16(0), false, uint8(1))
	f.Add(cifarRecords(CIFAR10, nil, []byte{1, 2}), uint16(0), false, uint8(7)) // keeps none of a valid file
	f.Fuzz(func(t *testing.T, in []byte, keep uint16, hundred bool, chunk uint8) {
		format := CIFAR10
		if hundred {
			format = CIFAR100
		}
		var full, lim cifarRaw
		nFull, errFull := full.read(bytes.NewReader(in), "fuzz", format, -1)
		nLim, errLim := lim.read(chunks(in, chunk), "fuzz", format, int(keep))
		if nFull != nLim || (errFull == nil) != (errLim == nil) || errFull != nil && errFull.Error() != errLim.Error() {
			t.Fatalf("full read: %d records, %v; with limit %d: %d, %v", nFull, errFull, keep, nLim, errLim)
		}
		if errFull != nil {
			return
		}
		k := min(int(keep), len(full.y))
		if !slices.Equal(lim.y, full.y[:k]) || !bytes.Equal(lim.pix, full.pix[:k*cifarPixels]) {
			t.Fatalf("limit %d: kept %d records, not the full read's first %d", keep, len(lim.y), k)
		}
	})
}

// FuzzReadCelebAAttrsLimited: the attribute file read with a limit checks every line as the
// full read does, and keeps the full read's first entries; a limit beyond the entries fails.
func FuzzReadCelebAAttrsLimited(f *testing.F) {
	f.Add("3\nMale Smiling\n000001.jpg 1 -1\n000002.jpg -1 -1\n000003.jpg 1 1\n", uint16(2))
	f.Add("2\nA B C\n1.jpg 1 1 1\n2.jpg -1 1\n", uint16(1))
	f.Add("1\nA\nx.jpg 1\n\n\n", uint16(0))
	f.Add("2\nA\nx.jpg 1\nx.jpg 1\n", uint16(1))
	f.Add("1\nA\n../x.jpg 1\n", uint16(5))
	f.Fuzz(func(t *testing.T, in string, limit uint16) {
		full, errFull := ReadCelebAAttrs(strings.NewReader(in), "fuzz", 0)
		lim, errLim := ReadCelebAAttrs(strings.NewReader(in), "fuzz", int(limit))
		switch {
		case errFull != nil:
			if errLim == nil || errLim.Error() != errFull.Error() {
				t.Fatalf("full read: %v; with limit %d: %v", errFull, limit, errLim)
			}
		case int(limit) > len(full.Files):
			if errLim == nil || !strings.Contains(errLim.Error(), "but the file lists only") {
				t.Fatalf("limit %d beyond %d entries: %v", limit, len(full.Files), errLim)
			}
		case errLim != nil:
			t.Fatalf("full read fine, limit %d: %v", limit, errLim)
		default:
			k := len(full.Files)
			if limit > 0 {
				k = int(limit)
			}
			n := len(full.Names)
			if !reflect.DeepEqual(lim.Names, full.Names) || !slices.Equal(lim.Files, full.Files[:k]) ||
				!slices.Equal(lim.Lines, full.Lines[:k]) || !bytes.Equal(int8Bytes(lim.Values), int8Bytes(full.Values[:k*n])) {
				t.Fatalf("limit %d: kept %v, not the first %d of %v", limit, lim.Files, k, full.Files)
			}
		}
	})
}

func int8Bytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}
