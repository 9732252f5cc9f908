package datasets

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// IDX magic numbers (LeCun et al., "THE MNIST DATABASE of handwritten digits", file formats
// section): two zero bytes, the element type 0x08 (unsigned byte), then the number of dimensions.
const (
	idxImagesMagic = 0x00000803 // ubyte, 3 dimensions: count, rows, columns
	idxLabelsMagic = 0x00000801 // ubyte, 1 dimension: count
)

// idxImagesRaw is an IDX images file as stored: pixel bytes, image count and size.
type idxImagesRaw struct {
	pix     []byte
	n, h, w int // n is the count the header declares
	kept    int // pix holds the first kept images
}

// ReadIDXImages reads an IDX images file (magic 0x00000803, then big-endian uint32 count, rows and
// columns, then count×rows×columns pixel bytes) from r, which must already be decompressed (see
// Open). The result has C = 1 and Y = nil. name identifies r in errors, usually the file path.
// Data after the last image is an error, as are a short header, a wrong magic number, zero rows or
// columns with a non-zero count, and fewer pixel bytes than the header declares.
func ReadIDXImages(r io.Reader, name string) (*Images, error) {
	raw, err := readIDXImages(r, name, -1)
	if err != nil {
		return nil, err
	}
	return &Images{X: toFloat(raw.pix), N: raw.n, C: 1, H: raw.h, W: raw.w}, nil
}

// ReadIDXLabels reads an IDX labels file (magic 0x00000801, then a big-endian uint32 count, then
// count label bytes) from r, which must already be decompressed (see Open). Labels are returned as
// stored, 0..255; Load checks them against the class count. name identifies r in errors. Data after
// the last label is an error, as are a short header, a wrong magic number and a short file.
func ReadIDXLabels(r io.Reader, name string) ([]int, error) {
	b, err := readIDXLabels(r, name)
	if err != nil {
		return nil, err
	}
	y := make([]int, len(b))
	for i, v := range b {
		y[i] = int(v)
	}
	return y, nil
}

// readIDXHeader reads the magic number, checks it, and reads the dims big-endian uint32 sizes that
// follow it. The magic number is checked before the sizes are read, so a file of the wrong kind is
// reported as such even when it is shorter than a header.
func readIDXHeader(r io.Reader, name string, magic uint32, what string, dims int) ([]uint32, error) {
	hdr := make([]byte, 4*(1+dims))
	short := func(n int, err error) error {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fmt.Errorf("datasets: %s: truncated: an IDX %s header needs %d bytes, file holds %d", name, what, len(hdr), n)
		}
		return streamErr(name, "reading header", err)
	}
	if n, err := io.ReadFull(r, hdr[:4]); err != nil {
		return nil, short(n, err)
	}
	if got := binary.BigEndian.Uint32(hdr); got != magic {
		hint := ""
		switch {
		case got == idxImagesMagic:
			hint = " (this is an IDX images file)"
		case got == idxLabelsMagic:
			hint = " (this is an IDX labels file)"
		case hdr[0] == gzipMagic[0] && hdr[1] == gzipMagic[1]:
			hint = " (this looks gzip-compressed; read it through Open)"
		}
		return nil, fmt.Errorf("datasets: %s: magic number 0x%08x, want 0x%08x for IDX %s%s", name, got, magic, what, hint)
	}
	if n, err := io.ReadFull(r, hdr[4:]); err != nil {
		return nil, short(4+n, err)
	}
	sizes := make([]uint32, dims)
	for i := range sizes {
		sizes[i] = binary.BigEndian.Uint32(hdr[4*(i+1):])
	}
	return sizes, nil
}

// readIDXImages reads an IDX images file, keeping the pixels of the first keep images (all if keep
// < 0) but reading and checking the whole file.
func readIDXImages(r io.Reader, name string, keep int) (*idxImagesRaw, error) {
	sz, err := readIDXHeader(r, name, idxImagesMagic, "images", 3)
	if err != nil {
		return nil, err
	}
	n, h, w := int64(sz[0]), int64(sz[1]), int64(sz[2])
	desc := fmt.Sprintf("%d images of %dx%d", n, h, w)
	if n > 0 && (h == 0 || w == 0) {
		return nil, fmt.Errorf("datasets: %s: header says %s: an image needs at least one row and column", name, desc)
	}
	// Each size is < 2³², so h·w and n·h·w can overflow int64; refuse such headers before multiplying.
	if h > 0 && w > math.MaxInt64/h || h*w > 0 && n > math.MaxInt64/(h*w) {
		return nil, fmt.Errorf("datasets: %s: header says %s: too large to be real", name, desc)
	}
	dim := h * w
	want := n * dim
	k := n
	if keep >= 0 && int64(keep) < n {
		k = int64(keep)
	}
	pix, got, err := readPrefix(r, want, k*dim)
	if err != nil {
		return nil, streamErr(name, "reading pixels", err)
	}
	if got < want {
		return nil, fmt.Errorf("datasets: %s: truncated: header says %s, file holds %d bytes of pixels", name, desc, got)
	}
	if extra, err := trailing(r); err != nil {
		return nil, streamErr(name, "after the pixels", err)
	} else if extra > 0 {
		return nil, fmt.Errorf("datasets: %s: %d bytes after the %s the header declares", name, extra, desc)
	}
	return &idxImagesRaw{pix: pix, n: int(n), h: int(h), w: int(w), kept: int(k)}, nil
}

// readIDXLabels reads a whole IDX labels file and returns its label bytes.
func readIDXLabels(r io.Reader, name string) ([]byte, error) {
	sz, err := readIDXHeader(r, name, idxLabelsMagic, "labels", 1)
	if err != nil {
		return nil, err
	}
	n := int64(sz[0])
	b, got, err := readPrefix(r, n, n)
	if err != nil {
		return nil, streamErr(name, "reading labels", err)
	}
	if got < n {
		return nil, fmt.Errorf("datasets: %s: truncated: header says %d labels, file holds %d", name, n, got)
	}
	if extra, err := trailing(r); err != nil {
		return nil, streamErr(name, "after the labels", err)
	} else if extra > 0 {
		return nil, fmt.Errorf("datasets: %s: %d bytes after the %d labels the header declares", name, extra, n)
	}
	return b, nil
}
