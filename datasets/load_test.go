package datasets

import (
	"fmt"
	"path/filepath"
	"testing"
)

func TestLoadIDX(t *testing.T) {
	files := mnistFiles(7, 4)
	for _, name := range []string{"mnist", "fashion-mnist"} {
		for _, zip := range []bool{false, true} {
			dir := t.TempDir()
			writeFiles(t, dir, files, zip)
			d, err := Load(Spec{Name: name, Path: dir})
			if err != nil {
				t.Fatalf("%s zip=%v: %v", name, zip, err)
			}
			if d.Name != name || d.Classes != 10 || d.Train.N != 7 || d.Test.N != 4 || d.Train.Dim() != 784 {
				t.Fatalf("%s zip=%v: got %s classes %d, train %d, test %d, dim %d", name, zip, d.Name, d.Classes, d.Train.N, d.Test.N, d.Train.Dim())
			}
			checkScaled(t, d.Train.X, files[trainImagesFile][16:])
			checkScaled(t, d.Test.X, files[testImagesFile][16:])
			for i, y := range d.Train.Y {
				if y != i%10 {
					t.Fatalf("train label %d = %d, want %d", i, y, i%10)
				}
			}

			l, err := Load(Spec{Name: name, Path: dir, TrainLimit: 3, TestLimit: 4})
			if err != nil {
				t.Fatal(err)
			}
			checkFirst(t, l.Train, d.Train, 3)
			checkFirst(t, l.Test, d.Test, 4)
		}
	}
}

// checkFirst fails unless got is exactly the first n examples of full.
func checkFirst(t *testing.T, got, full *Images, n int) {
	t.Helper()
	if got.N != n || len(got.Y) != n || len(got.X) != n*full.Dim() {
		t.Fatalf("limited set has N=%d, %d labels, %d values; want %d, %d, %d", got.N, len(got.Y), len(got.X), n, n, n*full.Dim())
	}
	for i := range n {
		if got.Y[i] != full.Y[i] {
			t.Fatalf("label %d = %d, want %d", i, got.Y[i], full.Y[i])
		}
		a, b := got.Row(i), full.Row(i)
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("image %d value %d = %v, want %v", i, j, a[j], b[j])
			}
		}
	}
}

func TestLoadCIFAR(t *testing.T) {
	batch := func(labels ...byte) []byte { return cifarRecords(CIFAR10, nil, labels) }
	for _, sub := range []string{"", "cifar-10-batches-bin"} {
		dir := t.TempDir()
		in := filepath.Join(dir, sub)
		for i := 1; i <= 5; i++ {
			writeFile(t, in, "data_batch_"+string(rune('0'+i))+".bin", batch(byte(i), byte(i+1)))
		}
		writeFile(t, in, "test_batch.bin.gz", gz(t, batch(9)))
		d, err := Load(Spec{Name: "cifar10", Path: dir})
		if err != nil {
			t.Fatalf("subfolder %q: %v", sub, err)
		}
		if d.Train.N != 10 || d.Test.N != 1 || d.Classes != 10 || d.Train.C != 3 || d.Test.Y[0] != 9 {
			t.Fatalf("subfolder %q: train %d test %d classes %d C %d", sub, d.Train.N, d.Test.N, d.Classes, d.Train.C)
		}
		for i, want := range []int{1, 2, 2, 3, 3, 4, 4, 5, 5, 6} { // batches in order 1..5
			if d.Train.Y[i] != want {
				t.Fatalf("train label %d = %d, want %d", i, d.Train.Y[i], want)
			}
		}
		l, err := Load(Spec{Name: "cifar10", Path: dir, TrainLimit: 5}) // spans three batches
		if err != nil {
			t.Fatal(err)
		}
		checkFirst(t, l.Train, d.Train, 5)
	}

	for _, sub := range []string{"", "cifar-100-binary"} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, sub), "train.bin", cifarRecords(CIFAR100, []byte{1, 2, 3}, []byte{10, 99, 0}))
		writeFile(t, filepath.Join(dir, sub), "test.bin", cifarRecords(CIFAR100, []byte{19}, []byte{55}))
		d, err := Load(Spec{Name: "cifar100", Path: dir, TrainLimit: 2})
		if err != nil {
			t.Fatalf("subfolder %q: %v", sub, err)
		}
		if d.Classes != 100 || d.Train.N != 2 || d.Train.Y[1] != 99 || d.Test.Y[0] != 55 {
			t.Fatalf("subfolder %q: classes %d, train %d %v, test %v", sub, d.Classes, d.Train.N, d.Train.Y, d.Test.Y)
		}
	}
}

// TestLoadErrors corrupts one file of a valid dataset per case, raw and gzipped.
func TestLoadErrors(t *testing.T) {
	good := mnistFiles(3, 2)
	cifar := func(labels ...byte) []byte { return cifarRecords(CIFAR10, nil, labels) }
	cases := []struct {
		name    string
		dataset string
		files   map[string][]byte // files replaced in (or, if nil, removed from) the valid set
		file    string            // the file the error must name
		want    string
		spec    Spec // limits to use
	}{
		{name: "missing labels", dataset: "mnist", files: map[string][]byte{trainLabelsFile: nil}, file: trainLabelsFile, want: "no such file (nor train-labels-idx1-ubyte.gz)"},
		{name: "truncated header", dataset: "mnist", files: map[string][]byte{testImagesFile: good[testImagesFile][:9]}, file: testImagesFile, want: "truncated: an IDX images header needs 16 bytes, file holds 9"},
		{name: "truncated pixels", dataset: "mnist", files: map[string][]byte{trainImagesFile: good[trainImagesFile][:100]}, file: trainImagesFile, want: "truncated: header says 3 images of 28x28, file holds 84 bytes of pixels"},
		{name: "truncated with limit", dataset: "mnist", spec: Spec{TrainLimit: 1}, files: map[string][]byte{trainImagesFile: good[trainImagesFile][:1000]}, file: trainImagesFile, want: "truncated"},
		{name: "wrong magic", dataset: "mnist", files: map[string][]byte{trainImagesFile: good[trainLabelsFile]}, file: trainImagesFile, want: "magic number 0x00000801, want 0x00000803"},
		{name: "wrong dims", dataset: "fashion-mnist", files: map[string][]byte{trainImagesFile: idxImages(idxImagesMagic, 3, 27, 28, pattern(3*27*28, 0))}, file: trainImagesFile, want: "images are 27x28, want 28x28"},
		{name: "count mismatch", dataset: "mnist", files: map[string][]byte{testLabelsFile: idxLabels(idxLabelsMagic, 3, []byte{1, 2, 3})}, file: testLabelsFile, want: "3 labels, but"},
		{name: "label range", dataset: "mnist", files: map[string][]byte{trainLabelsFile: idxLabels(idxLabelsMagic, 3, []byte{1, 10, 3})}, file: trainLabelsFile, want: "label 10 at index 1, want 0..9"},
		{name: "label range beyond limit", dataset: "mnist", spec: Spec{TrainLimit: 1}, files: map[string][]byte{trainLabelsFile: idxLabels(idxLabelsMagic, 3, []byte{1, 2, 200})}, file: trainLabelsFile, want: "label 200 at index 2"},
		{name: "limit too large", dataset: "mnist", spec: Spec{TestLimit: 3}, file: testImagesFile, want: "limit 3, but the split holds only 2 examples"},
		{name: "cifar partial record", dataset: "cifar10", files: map[string][]byte{"data_batch_3.bin": cifar(1, 2)[:5000]}, file: "data_batch_3.bin", want: "not a whole number of 3073-byte cifar10 records"},
		{name: "cifar missing batch", dataset: "cifar10", files: map[string][]byte{"data_batch_5.bin": nil}, file: "data_batch_5.bin", want: "no such file"},
		{name: "cifar label", dataset: "cifar10", files: map[string][]byte{"test_batch.bin": cifar(10)}, file: "test_batch.bin", want: "label 10"},
		{name: "cifar limit too large", dataset: "cifar10", spec: Spec{TrainLimit: 11}, file: "data_batch_1.bin to data_batch_5.bin", want: "limit 11, but the split holds only 10"},
		{name: "cifar100 label", dataset: "cifar100", files: map[string][]byte{"train.bin": cifarRecords(CIFAR100, []byte{0}, []byte{100})}, file: "train.bin", want: "label 100"},
	}
	for _, c := range cases {
		for _, zip := range []bool{false, true} {
			var files map[string][]byte
			switch c.dataset {
			case "mnist", "fashion-mnist":
				files = mnistFiles(3, 2)
			case "cifar10":
				files = map[string][]byte{"test_batch.bin": cifar(1)}
				for i := 1; i <= 5; i++ {
					files["data_batch_"+string(rune('0'+i))+".bin"] = cifar(1, 2)
				}
			case "cifar100":
				files = map[string][]byte{"train.bin": cifarRecords(CIFAR100, []byte{0}, []byte{1}), "test.bin": cifarRecords(CIFAR100, []byte{0}, []byte{1})}
			}
			for name, b := range c.files {
				if b == nil {
					delete(files, name)
				} else {
					files[name] = b
				}
			}
			dir := t.TempDir()
			writeFiles(t, dir, files, zip)
			spec := c.spec
			spec.Name, spec.Path = c.dataset, dir
			_, err := Load(spec)
			checkErr(t, c.name, err, filepath.Join(dir, c.file), c.want)
		}
	}
}

func TestLoadSpecErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := writeFile(t, dir, "f", []byte("x"))
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{"unknown", Spec{Name: "imagenet"}, `datasets: unknown dataset "imagenet", need one of mnist, fashion-mnist, cifar10, cifar100, celeba, spoken-digits, speech-commands, image-folder`},
		{"negative limit", Spec{Name: "mnist", Path: dir, TrainLimit: -1}, "datasets: mnist: limits train -1, test 0, need ≥ 0 (0 means all)"},
		{"no default", Spec{Name: "cifar10"}, "datasets: cifar10: no path given, and only mnist and fashion-mnist have a default"},
		{"missing dir", Spec{Name: "cifar100", Path: filepath.Join(dir, "nope")}, "datasets: cifar100: " + filepath.Join(dir, "nope") + ": no such directory"},
		{"not a dir", Spec{Name: "mnist", Path: notDir}, "datasets: mnist: " + notDir + " is not a directory"},
	}
	for _, c := range cases {
		if _, err := Load(c.spec); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func TestImagesRowSubset(t *testing.T) {
	s := &Images{X: []float32{0, 1, 2, 3, 4, 5}, Y: []int{7, 8, 9}, N: 3, C: 1, H: 1, W: 2}
	if r := s.Row(1); len(r) != 2 || r[0] != 2 || r[1] != 3 || cap(r) != 2 {
		t.Errorf("Row(1) = %v (cap %d), want [2 3] with cap 2", r, cap(r))
	}
	sub := s.Subset([]int{2, 0, 2})
	want := []float32{4, 5, 0, 1, 4, 5}
	if sub.N != 3 || sub.Dim() != 2 || sub.Y[0] != 9 || sub.Y[1] != 7 || sub.Y[2] != 9 {
		t.Fatalf("Subset = %+v", sub)
	}
	for i := range want {
		if sub.X[i] != want[i] {
			t.Fatalf("Subset X = %v, want %v", sub.X, want)
		}
	}
	sub.X[0] = -1
	if s.X[4] != 4 {
		t.Error("Subset shares memory with its source")
	}
	if u := (&Images{X: s.X, N: 3, C: 1, H: 1, W: 2}).Subset([]int{1}); u.Y != nil {
		t.Errorf("Subset of an unlabelled set has labels %v", u.Y)
	}
	for _, i := range []int{-1, 3} {
		func() {
			defer func() {
				want := fmt.Sprintf("datasets: row %d out of range [0, 3)", i)
				if r := recover(); r != want {
					t.Errorf("Row(%d): panic %v, want %q", i, r, want)
				}
			}()
			s.Row(i)
		}()
	}
}

func TestNamesShape(t *testing.T) {
	for _, n := range Names() {
		// An image folder's shape is its Spec's: the one name without a fixed shape.
		if _, _, _, _, ok := Shape(n); ok == (n == ImageFolderName) {
			t.Errorf("Shape(%q): ok %v", n, ok)
		}
	}
	if c, h, w, k, _ := Shape("celeba"); c != 3 || h != 32 || w != 32 || k != 2 {
		t.Errorf("Shape(celeba) = %d×%d×%d, %d classes, want 3×32×32, 2 (cifar-cnn's input, a binary label)", c, h, w, k)
	}
	if _, _, _, _, ok := Shape("imagenet"); ok {
		t.Error("Shape(imagenet) ok, want not ok")
	}
}
