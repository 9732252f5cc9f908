package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFashionMNISTDir: the environment variable wins and must name a complete folder; else
// the system folder; the errors say what to install or where to put which files.
func TestFashionMNISTDir(t *testing.T) {
	full := t.TempDir()
	writeFiles(t, full, mnistFiles(3, 2), true)
	partial := t.TempDir()
	writeFiles(t, partial, mnistFiles(3, 2), true)
	os.Remove(filepath.Join(partial, testLabelsFile+".gz"))
	nowhere := filepath.Join(t.TempDir(), "none")
	for _, c := range []struct {
		name, env, system, dir, want string
	}{
		{"env", full, nowhere, full, ""},
		{"system", "", full, full, ""},
		{"env incomplete", partial, full, "", "DATAMIX_FASHION_MNIST_DIR=" + partial + " lacks t10k-labels-idx1-ubyte.gz: put them there"},
		{"not installed", "", nowhere, "", "fashion-mnist: not installed: run `apt-get install dataset-fashion-mnist` as root (Debian/Ubuntu; it puts the files in " + nowhere +
			"), or put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (from https://github.com/zalandoresearch/fashion-mnist) in a folder and name it in dataset.path or DATAMIX_FASHION_MNIST_DIR"},
		{"system incomplete", "", partial, "", partial + " lacks t10k-labels-idx1-ubyte.gz: reinstall with `apt-get install --reinstall dataset-fashion-mnist`"},
	} {
		dir, err := fashionMNISTDir(c.env, c.system)
		if c.want == "" {
			if err != nil || dir != c.dir {
				t.Errorf("%s: %q, %v; want %q", c.name, dir, err, c.dir)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err %v, want one line containing %q", c.name, err, c.want)
		}
	}
}

// TestLoadFashionMNISTFromEnv: an empty path reads the folder DATAMIX_FASHION_MNIST_DIR names.
func TestLoadFashionMNISTFromEnv(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, mnistFiles(5, 3), true)
	t.Setenv(FashionMNISTEnv, dir)
	d, err := Load(Spec{Name: "fashion-mnist"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 5 || d.Test.N != 3 {
		t.Errorf("train %d, test %d, want 5 and 3", d.Train.N, d.Test.N)
	}
	t.Setenv(FashionMNISTEnv, t.TempDir())
	if _, err := Load(Spec{Name: "fashion-mnist"}); err == nil || !strings.Contains(err.Error(), "lacks train-images-idx3-ubyte.gz") {
		t.Errorf("empty folder: err %v", err)
	}
}

// Fashion-MNIST as released (Xiao, Rasul and Vollgraf 2017): SHA-256 of each decompressed file
// (the .gz files differ between packagers; their contents do not), and its first labels (9 is
// ankle boot, 0 T-shirt/top, 3 dress, 2 pullover, 7 sneaker, 5 sandal, 1 trouser, 6 shirt,
// 4 coat). Measured on Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1, whose labels
// match the upstream README's.
var fashionSHA256 = map[string]string{
	trainImagesFile: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
	trainLabelsFile: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
	testImagesFile:  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
	testLabelsFile:  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

// TestFashionMNISTReal reads the real Fashion-MNIST wherever FashionMNISTDir finds it (the
// Debian package, or DATAMIX_FASHION_MNIST_DIR), and skips, saying how to install it, when it
// is absent: 60,000 and 10,000 images, exactly 6,000 and 1,000 per class, pixels spanning
// [0, 1], the known first labels and the contents' checksums.
func TestFashionMNISTReal(t *testing.T) {
	dir, err := FashionMNISTDir()
	if err != nil {
		t.Skipf("real Fashion-MNIST absent (%v)", err)
	}
	for name, want := range fashionSHA256 {
		p, err := find(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Open(p)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s: SHA-256 of the contents %s, want %s", p, got, want)
		}
	}
	d, err := Load(Spec{Name: "fashion-mnist"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		set   *Images
		n     int
		first []int
	}{{d.Train, 60000, []int{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}}, {d.Test, 10000, []int{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}}} {
		if c.set.N != c.n || c.set.Dim() != 784 {
			t.Fatalf("%d images of %d values, want %d of 784", c.set.N, c.set.Dim(), c.n)
		}
		if !slices.Equal(c.set.Y[:10], c.first) {
			t.Errorf("first labels %v, want %v", c.set.Y[:10], c.first)
		}
		count := make([]int, 10)
		for _, y := range c.set.Y {
			count[y]++
		}
		for k, n := range count {
			if n != c.n/10 {
				t.Errorf("class %d: %d images, want %d (the set is balanced)", k, n, c.n/10)
			}
		}
		lo, hi := slices.Min(c.set.X), slices.Max(c.set.X)
		if lo != 0 || hi != 1 {
			t.Errorf("pixels span [%v, %v], want [0, 1]", lo, hi)
		}
	}
}
