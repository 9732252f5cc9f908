package datasets

import (
	"bytes"
	"testing"
)

// checkFuzzImages checks the invariants every successful read must hold. Each value comes from one
// input byte, so a result larger than the input would mean an allocation the data did not justify.
func checkFuzzImages(t *testing.T, im *Images, in []byte) {
	if im.N*im.Dim() != len(im.X) || len(im.X) > len(in) {
		t.Fatalf("N=%d C=%d H=%d W=%d with %d values from a %d-byte input", im.N, im.C, im.H, im.W, len(im.X), len(in))
	}
	for i, v := range im.X {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("value %d = %v, outside [0,1]", i, v)
		}
	}
}

func FuzzReadIDXImages(f *testing.F) {
	f.Add(idxImages(idxImagesMagic, 2, 3, 4, pattern(24, 0)))
	f.Add(idxImages(idxImagesMagic, 0, 28, 28, nil))
	f.Add(idxImages(idxImagesMagic, 1, 28, 28, pattern(784, 9)))
	f.Add(idxImages(idxImagesMagic, 0xffffffff, 28, 28, pattern(50, 0)))
	f.Add(idxLabels(idxLabelsMagic, 3, []byte{1, 2, 3}))
	f.Fuzz(func(t *testing.T, in []byte) {
		im, err := ReadIDXImages(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		if im.C != 1 || im.Y != nil {
			t.Fatalf("C=%d Y=%v, want 1 and nil", im.C, im.Y)
		}
		checkFuzzImages(t, im, in)
		if len(in) != 16+len(im.X) {
			t.Fatalf("accepted %d bytes holding %d pixels: header or trailing data unaccounted for", len(in), len(im.X))
		}
	})
}

func FuzzReadIDXLabels(f *testing.F) {
	f.Add(idxLabels(idxLabelsMagic, 3, []byte{1, 2, 3}))
	f.Add(idxLabels(idxLabelsMagic, 0, nil))
	f.Add(idxLabels(idxLabelsMagic, 0xffffffff, []byte{1}))
	f.Add(idxImages(idxImagesMagic, 1, 1, 1, []byte{7}))
	f.Fuzz(func(t *testing.T, in []byte) {
		y, err := ReadIDXLabels(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		if len(in) != 8+len(y) {
			t.Fatalf("accepted %d bytes holding %d labels", len(in), len(y))
		}
		for i, v := range y {
			if v != int(in[8+i]) {
				t.Fatalf("label %d = %d, want %d", i, v, in[8+i])
			}
		}
	})
}

func FuzzReadCIFAR(f *testing.F) {
	f.Add(cifarRecords(CIFAR10, nil, []byte{1, 9}), false)
	f.Add(cifarRecords(CIFAR100, []byte{3, 19}, []byte{99, 0}), true)
	f.Add(cifarRecords(CIFAR10, nil, []byte{1})[:100], false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, in []byte, hundred bool) {
		format := CIFAR10
		if hundred {
			format = CIFAR100
		}
		im, err := ReadCIFAR(bytes.NewReader(in), "fuzz", format)
		if err != nil {
			return
		}
		checkFuzzImages(t, im, in)
		if im.N == 0 || len(in) != im.N*format.RecordSize() || len(im.Y) != im.N || im.C != 3 || im.H != 32 || im.W != 32 {
			t.Fatalf("accepted %d bytes as %d %v records of %dx%dx%d with %d labels", len(in), im.N, format, im.C, im.H, im.W, len(im.Y))
		}
		for i, y := range im.Y {
			if y < 0 || y >= format.Classes() {
				t.Fatalf("label %d = %d, outside [0, %d)", i, y, format.Classes())
			}
		}
	})
}
