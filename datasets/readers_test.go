package datasets

import (
	"bytes"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// readVia reads file b written raw or gzipped into a temp dir, through Open and read.
func readVia[T any](t *testing.T, b []byte, zip bool, read func(io.Reader, string) (T, error)) (T, error) {
	t.Helper()
	if zip {
		b = gz(t, b)
	}
	p := writeFile(t, t.TempDir(), "file.bin", b) // the name says nothing: gzip is found by its magic
	rc, err := Open(p)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	return read(rc, p)
}

func TestReadIDXRoundTrip(t *testing.T) {
	const n, h, w = 3, 5, 7
	pix := pattern(n*h*w*3, 200)[:n*h*w] // covers 0 and 255
	pix[0], pix[1] = 0, 255
	labels := []byte{0, 9, 255}
	for _, zip := range []bool{false, true} {
		im, err := readVia(t, idxImages(idxImagesMagic, n, h, w, pix), zip, ReadIDXImages)
		if err != nil {
			t.Fatalf("zip=%v: %v", zip, err)
		}
		if im.N != n || im.C != 1 || im.H != h || im.W != w || im.Y != nil {
			t.Fatalf("zip=%v: got N=%d C=%d H=%d W=%d Y=%v, want %d 1 %d %d nil", zip, im.N, im.C, im.H, im.W, im.Y, n, h, w)
		}
		checkScaled(t, im.X, pix)
		y, err := readVia(t, idxLabels(idxLabelsMagic, 3, labels), zip, ReadIDXLabels)
		if err != nil {
			t.Fatalf("zip=%v: %v", zip, err)
		}
		if len(y) != 3 || y[0] != 0 || y[1] != 9 || y[2] != 255 {
			t.Fatalf("zip=%v: labels %v, want [0 9 255]", zip, y)
		}
	}
}

func TestReadIDXEmpty(t *testing.T) {
	im, err := ReadIDXImages(bytes.NewReader(idxImages(idxImagesMagic, 0, 28, 28, nil)), "empty")
	if err != nil || im.N != 0 || len(im.X) != 0 {
		t.Fatalf("zero-image file: got %+v, %v; want an empty set", im, err)
	}
}

func TestReadCIFARRoundTrip(t *testing.T) {
	for _, f := range []CIFAR{CIFAR10, CIFAR100} {
		fine := []byte{3, 9, 0}
		if f == CIFAR100 {
			fine = []byte{99, 42, 0}
		}
		b := cifarRecords(f, []byte{19, 0, 5}, fine)
		if len(b) != 3*f.RecordSize() {
			t.Fatalf("%v: encoded %d bytes, want %d", f, len(b), 3*f.RecordSize())
		}
		for _, zip := range []bool{false, true} {
			im, err := readVia(t, b, zip, func(r io.Reader, name string) (*Images, error) { return ReadCIFAR(r, name, f) })
			if err != nil {
				t.Fatalf("%v zip=%v: %v", f, zip, err)
			}
			if im.N != 3 || im.C != 3 || im.H != 32 || im.W != 32 || im.Dim() != 3072 {
				t.Fatalf("%v zip=%v: shape N=%d %dx%dx%d", f, zip, im.N, im.C, im.H, im.W)
			}
			for i := range 3 {
				if im.Y[i] != int(fine[i]) {
					t.Errorf("%v: label %d = %d, want %d (the fine label)", f, i, im.Y[i], fine[i])
				}
				checkScaled(t, im.Row(i), pattern(cifarPixels, 7*i))
			}
		}
	}
}

func TestOpenGzipByMagicNotName(t *testing.T) {
	dir := t.TempDir()
	data := []byte("plain bytes, not gzip")
	for name, b := range map[string][]byte{"a.gz": data, "b.raw": gz(t, data), "empty.gz": nil} {
		p := writeFile(t, dir, name, b)
		rc, err := Open(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		want := data
		if name == "empty.gz" {
			want = nil
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: read %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), "datasets: ") || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Open(missing) = %v, want a datasets: error naming the file", err)
	}
}

// TestReaderErrors covers the readers' errors on inputs given directly, raw and gzipped.
func TestReaderErrors(t *testing.T) {
	img := func(r io.Reader, n string) error { _, err := ReadIDXImages(r, n); return err }
	lab := func(r io.Reader, n string) error { _, err := ReadIDXLabels(r, n); return err }
	cif := func(f CIFAR) func(io.Reader, string) error {
		return func(r io.Reader, n string) error { _, err := ReadCIFAR(r, n, f); return err }
	}
	good := idxImages(idxImagesMagic, 2, 28, 28, pattern(2*784, 0))
	cases := []struct {
		name string
		read func(io.Reader, string) error
		in   []byte
		want string
	}{
		{"images empty", img, nil, "truncated: an IDX images header needs 16 bytes, file holds 0"},
		{"images short header", img, good[:7], "header needs 16 bytes, file holds 7"},
		{"images wrong magic", img, idxImages(0x12345678, 1, 1, 1, []byte{0}), "magic number 0x12345678, want 0x00000803 for IDX images"},
		{"images given labels", img, idxLabels(idxLabelsMagic, 4, []byte{1, 2, 3, 4, 5, 6, 7, 8}), "this is an IDX labels file"},
		{"images truncated", img, good[:len(good)-1], "truncated: header says 2 images of 28x28, file holds 1567 bytes of pixels"},
		{"images trailing", img, append(good[:len(good):len(good)], 1, 2), "2 bytes after the 2 images of 28x28"},
		{"images zero rows", img, idxImages(idxImagesMagic, 3, 0, 28, nil), "at least one row and column"},
		{"images huge header", img, idxImages(idxImagesMagic, 0xffffffff, 0xffffffff, 0xffffffff, []byte{1}), "too large"},
		{"images huge count", img, idxImages(idxImagesMagic, 0xffffffff, 28, 28, []byte{1, 2, 3}), "file holds 3 bytes of pixels"},
		{"labels short header", lab, idxLabels(idxLabelsMagic, 1, nil)[:6], "IDX labels header needs 8 bytes, file holds 6"},
		{"labels given images", lab, good, "this is an IDX images file"},
		{"labels truncated", lab, idxLabels(idxLabelsMagic, 5, []byte{1, 2}), "header says 5 labels, file holds 2"},
		{"labels trailing", lab, idxLabels(idxLabelsMagic, 1, []byte{1, 2}), "1 bytes after the 1 labels"},
		{"cifar10 empty", cif(CIFAR10), nil, "empty file"},
		{"cifar10 partial record", cif(CIFAR10), cifarRecords(CIFAR10, nil, []byte{1, 2})[:2*3073+10], "size 6156 bytes is not a whole number of 3073-byte cifar10 records (2 records and 10 bytes)"},
		{"cifar10 label", cif(CIFAR10), cifarRecords(CIFAR10, nil, []byte{1, 10}), "record 1: label 10, cifar10 has classes 0..9"},
		{"cifar100 given cifar10", cif(CIFAR100), cifarRecords(CIFAR10, nil, []byte{1, 2}), "not a whole number of 3074-byte"},
		{"cifar100 fine label", cif(CIFAR100), cifarRecords(CIFAR100, []byte{0}, []byte{100}), "record 0: label 100, cifar100 has classes 0..99"},
		{"cifar100 coarse label", cif(CIFAR100), cifarRecords(CIFAR100, []byte{20}, []byte{3}), "coarse label 20"},
	}
	for _, c := range cases {
		for _, zip := range []bool{false, true} {
			_, err := readVia(t, c.in, zip, func(r io.Reader, n string) (struct{}, error) { return struct{}{}, c.read(r, n) })
			checkErr(t, c.name, err, "file.bin", c.want)
		}
	}
}

// checkErr fails unless err is a one-line error starting with "datasets: " that mentions path
// and contains want.
func checkErr(t *testing.T, name string, err error, path, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one containing %q", name, want)
		return
	}
	msg := err.Error()
	t.Logf("%s: %s", name, msg)
	if !strings.HasPrefix(msg, "datasets: ") || !strings.Contains(msg, path) || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("%s: error %q\nwant one line starting \"datasets: \", naming %q, containing %q", name, msg, path, want)
	}
}

func TestTruncatedGzip(t *testing.T) {
	z := gz(t, idxImages(idxImagesMagic, 50, 28, 28, pattern(50*784, 0)))
	for _, cut := range []int{len(z) / 2, len(z) - 4} { // mid-stream; inside the trailer
		p := writeFile(t, t.TempDir(), "x.gz", z[:cut])
		rc, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ReadIDXImages(rc, p)
		rc.Close()
		checkErr(t, "truncated gzip", err, p, "")
	}
}

// TestHugeHeaderAllocation checks that a header claiming 2³²-1 images of 28×28 (about 3 TB) over a
// few real bytes allocates only in proportion to the bytes that exist.
func TestHugeHeaderAllocation(t *testing.T) {
	in := idxImages(idxImagesMagic, 0xffffffff, 28, 28, pattern(10_000, 0))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadIDXImages(bytes.NewReader(in), "huge")
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("no error for a truncated huge file")
	}
	// 1 MiB: the 64 KiB first buffer plus slack for the error and test machinery; an allocation
	// trusting the header would be terabytes.
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("allocated %d bytes for a 10 kB input", got)
	}
}

func TestCIFARFormat(t *testing.T) {
	if CIFAR10.RecordSize() != 3073 || CIFAR100.RecordSize() != 3074 || CIFAR10.Classes() != 10 || CIFAR100.Classes() != 100 {
		t.Errorf("record sizes %d, %d and classes %d, %d; want 3073, 3074, 10, 100",
			CIFAR10.RecordSize(), CIFAR100.RecordSize(), CIFAR10.Classes(), CIFAR100.Classes())
	}
	for _, f := range []CIFAR{CIFAR10, CIFAR100} {
		c, h, w, classes, ok := Shape(f.String())
		if !ok || c != cifarC || h != cifarH || w != cifarW || classes != f.Classes() {
			t.Errorf("Shape(%q) disagrees with the reader", f)
		}
	}
}
