package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// idxImages encodes an IDX images file with the given header fields and pixel bytes.
func idxImages(magic, n, h, w uint32, pix []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	b = binary.BigEndian.AppendUint32(b, h)
	b = binary.BigEndian.AppendUint32(b, w)
	return append(b, pix...)
}

// idxLabels encodes an IDX labels file.
func idxLabels(magic, n uint32, labels []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, labels...)
}

// pattern returns n bytes cycling through all 256 values from start, so every pixel value occurs.
func pattern(n, start int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(start + i)
	}
	return p
}

// cifarRecords encodes CIFAR records with the given labels; pixels follow pattern.
func cifarRecords(f CIFAR, coarse, fine []byte) []byte {
	var b []byte
	for i := range fine {
		if f == CIFAR100 {
			b = append(b, coarse[i])
		}
		b = append(b, fine[i])
		b = append(b, pattern(cifarPixels, 7*i)...)
	}
	return b
}

// gz gzips b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// mnistFiles returns the four files of a tiny valid MNIST-shaped dataset: nTrain and nTest images
// of 28×28 with labels i mod 10.
func mnistFiles(nTrain, nTest int) map[string][]byte {
	labels := func(n int) []byte {
		l := make([]byte, n)
		for i := range l {
			l[i] = byte(i % 10)
		}
		return l
	}
	return map[string][]byte{
		trainImagesFile: idxImages(idxImagesMagic, uint32(nTrain), 28, 28, pattern(nTrain*784, 0)),
		trainLabelsFile: idxLabels(idxLabelsMagic, uint32(nTrain), labels(nTrain)),
		testImagesFile:  idxImages(idxImagesMagic, uint32(nTest), 28, 28, pattern(nTest*784, 100)),
		testLabelsFile:  idxLabels(idxLabelsMagic, uint32(nTest), labels(nTest)),
	}
}

// writeFiles writes files into dir, gzipped with a .gz suffix if zip is set.
func writeFiles(t testing.TB, dir string, files map[string][]byte, zip bool) {
	t.Helper()
	for name, b := range files {
		if zip {
			writeFile(t, dir, name+".gz", gz(t, b))
		} else {
			writeFile(t, dir, name, b)
		}
	}
}

// checkScaled fails unless x[i] == float32(pix[i])/255 exactly for every i.
func checkScaled(t *testing.T, x []float32, pix []byte) {
	t.Helper()
	if len(x) != len(pix) {
		t.Fatalf("got %d values, want %d", len(x), len(pix))
	}
	for i, v := range pix {
		if want := float32(v) / 255; x[i] != want {
			t.Fatalf("value %d = %v, want %v (pixel %d / 255)", i, x[i], want, v)
		}
	}
}
