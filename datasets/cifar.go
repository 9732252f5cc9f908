package datasets

import (
	"fmt"
	"io"
)

// CIFAR selects one of the two CIFAR binary formats (Krizhevsky, "Learning Multiple Layers of
// Features from Tiny Images", 2009; layout as documented at https://www.cs.toronto.edu/~kriz/cifar.html).
type CIFAR int

const (
	// CIFAR10 records are 1 label byte (0..9) then 3072 pixel bytes.
	CIFAR10 CIFAR = iota
	// CIFAR100 records are 1 coarse label byte (0..19), 1 fine label byte (0..99), then 3072 pixel
	// bytes; the fine label is the one used.
	CIFAR100
)

// CIFAR image geometry: 3 channels (red, green, blue planes) of 32×32, row-major.
const (
	cifarC, cifarH, cifarW = 3, 32, 32
	cifarPixels            = cifarC * cifarH * cifarW // 3072
)

// labelBytes returns the number of label bytes before the pixels of each record.
func (f CIFAR) labelBytes() int {
	if f == CIFAR100 {
		return 2
	}
	return 1
}

// RecordSize returns the size in bytes of one record: 3073 for CIFAR10, 3074 for CIFAR100.
func (f CIFAR) RecordSize() int { return f.labelBytes() + cifarPixels }

// Classes returns the number of (fine) classes: 10 or 100.
func (f CIFAR) Classes() int {
	if f == CIFAR100 {
		return 100
	}
	return 10
}

// String returns "cifar10" or "cifar100", the dataset names of Names.
func (f CIFAR) String() string {
	if f == CIFAR100 {
		return "cifar100"
	}
	return "cifar10"
}

// ReadCIFAR reads one CIFAR binary file (a batch such as data_batch_1.bin, test_batch.bin, train.bin
// or test.bin) of format f from r, which must already be decompressed (see Open). The result is
// N×3×32×32. name identifies r in errors, usually the file path. An empty input, a size that is not
// a whole number of records, and a label out of range (for CIFAR100 also a coarse label ≥ 20) are
// errors.
func ReadCIFAR(r io.Reader, name string, f CIFAR) (*Images, error) {
	var raw cifarRaw
	if _, err := raw.read(r, name, f, -1); err != nil {
		return nil, err
	}
	return raw.images(), nil
}

// cifarRaw accumulates CIFAR records as stored, across batch files.
type cifarRaw struct {
	pix []byte
	y   []int
}

func (c *cifarRaw) images() *Images {
	return &Images{X: toFloat(c.pix), Y: c.y, N: len(c.y), C: cifarC, H: cifarH, W: cifarW}
}

// read appends the first keep records of r (all if keep < 0) to c, reading and checking the whole
// input all the same, and returns the number of records r holds.
func (c *cifarRaw) read(r io.Reader, name string, f CIFAR, keep int) (records int, err error) {
	size := f.RecordSize()
	lb := f.labelBytes()
	classes := f.Classes()
	rec := make([]byte, size)
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, rec)
		if err == io.EOF {
			if i == 0 {
				return i, fmt.Errorf("datasets: %s: empty file, want %d-byte %s records", name, size, f)
			}
			return i, nil
		}
		if err == io.ErrUnexpectedEOF && n == 0 {
			// Only a decompressor reports this at a record boundary: the stream was cut short.
			return i, fmt.Errorf("datasets: %s: truncated after record %d: %w", name, i, err)
		}
		if err == io.ErrUnexpectedEOF {
			return i, fmt.Errorf("datasets: %s: size %d bytes is not a whole number of %d-byte %s records (%d records and %d bytes)",
				name, int64(i)*int64(size)+int64(n), size, f, i, n)
		}
		if err != nil {
			return i, fmt.Errorf("datasets: %s: record %d: %w", name, i, err)
		}
		if f == CIFAR100 && rec[0] >= 20 {
			return i, fmt.Errorf("datasets: %s: record %d: coarse label %d, cifar100 has coarse classes 0..19", name, i, rec[0])
		}
		label := int(rec[lb-1])
		if label >= classes {
			return i, fmt.Errorf("datasets: %s: record %d: label %d, %s has classes 0..%d", name, i, label, f, classes-1)
		}
		if keep < 0 || i < keep {
			c.pix = append(c.pix, rec[lb:]...)
			c.y = append(c.y, label)
		}
	}
}
