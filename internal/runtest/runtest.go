package runtest

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datamix/harness/internal/celebatest"
	"github.com/datamix/harness/internal/speechtest"
)

// TinyConfig is a config, named tiny, small enough to train in a few seconds: 256 MNIST
// training and 100 test images, one epoch of 8 steps at split 1 and group size 2. extra is
// appended (more top-level keys: a sweep, attacks, …).
func TinyConfig(extra string) string {
	return `name: tiny
seed: 3
dataset: {name: mnist, train_limit: 256, test_limit: 100}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2, coefficients: dirichlet, alpha: 1.0, shuffle: true}
train: {epochs: 1, batch_size: 32, lr: 0.002, eval_batch_size: 50}
` + extra
}

// Sweep12 is a config, named sweep12, of 12 small cells: 3 seeds × 2 group sizes × 2 splits,
// each training one epoch on the first train MNIST training images in batches of 32 and
// evaluated on the first test test images. With train a small multiple of 32 a run can be
// interrupted between the steps of a cell.
func Sweep12(train, test int) string {
	return fmt.Sprintf(`name: sweep12
seed: 1
dataset: {name: mnist, train_limit: %d, test_limit: %d}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 32, eval_batch_size: 32}
sweep:
  seed: [1, 2, 3]
  mixing.group_size: [1, 2]
  model.split: [0, 1]
`, train, test)
}

// CelebAConfig is a tiny celeba config (128 training and 64 test images, cifar-cnn at split
// 0) on the folder dir; dataset is spliced into the dataset mapping (", label: Smiling") and
// extra appended.
func CelebAConfig(dir, dataset, extra string) string {
	return fmt.Sprintf(`name: faces
seed: 2
dataset: {name: celeba, path: %q, train_limit: 128, test_limit: 64%s}
model: {arch: cifar-cnn, split: 0}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 32, eval_batch_size: 32}
`, dir, dataset) + extra
}

// SpeechConfig is a tiny spoken-digits config (128 training and 40 test recordings,
// speech-cnn at split 1) on the corpus dir; extra is appended.
func SpeechConfig(dir, extra string) string {
	return fmt.Sprintf(`name: speech
seed: 2
dataset: {name: spoken-digits, path: %q, train_limit: 128, test_limit: 40}
model: {arch: speech-cnn, split: 1}
mixing: {group_size: 2}
train: {epochs: 1, batch_size: 32, eval_batch_size: 40}
`, dir) + extra
}

// CelebA writes a tiny CelebA folder (package celebatest; official partition: train images,
// then 2 validation images, then test images) into a temporary directory and returns its path.
func CelebA(t testing.TB, train, test int) string {
	t.Helper()
	f, err := celebatest.Write(t.TempDir(), celebatest.Options{Train: train, Val: 2, Test: test, Partition: true, W: 16, H: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return f.Dir
}

// SpokenDigits writes a synthetic FSDD-layout corpus (package speechtest) of 4 speakers into
// a temporary directory and returns its path. It holds at least train training and test test
// recordings under the split rule (the lowest tenth of each speaker's indices of a digit is
// the test split).
func SpokenDigits(t testing.TB, train, test int) string {
	t.Helper()
	const speakers = 4
	reps := 10 // at least ⌈test/(10·speakers)⌉ test indices, i.e. 10× that many repetitions
	for reps/10*10*speakers < test || (reps-(reps+9)/10)*10*speakers < train {
		reps += 10
	}
	dir := t.TempDir()
	if err := speechtest.WriteSpokenDigits(dir, speechtest.Options{Speakers: speakers, Reps: reps, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Listing describes the files under dir, each as path:size:modification time, so that two
// listings differ if a file was added, removed or written in between.
func Listing(t testing.TB, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s:%d:%d ", strings.TrimPrefix(p, dir), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// ImageFolder writes a synthetic image folder (dataset image-folder: train/<class>/ and
// test/<class>/) into a temporary directory and returns its path: three classes — stripes
// across, stripes down, a bright square — of at least ⌈train/3⌉ training and ⌈test/3⌉ test
// images each, 40×30 RGB with seeded noise, as PNG (and every fourth as JPEG), so that a
// network can tell the classes apart and the reader must scale and crop them.
func ImageFolder(t testing.TB, train, test int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	classes := []string{"across", "down", "square"}
	for split, n := range map[string]int{"train": (train + 2) / 3, "test": (test + 2) / 3} {
		for c, name := range classes {
			if err := os.MkdirAll(filepath.Join(dir, split, name), 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				img := image.NewRGBA(image.Rect(0, 0, 40, 30))
				for y := range 30 {
					for x := range 40 {
						on := (c == 0 && y/4%2 == 0) || (c == 1 && x/4%2 == 0) || (c == 2 && x >= 12 && x < 28 && y >= 7 && y < 23)
						v := 40 + rng.IntN(40)
						if on {
							v += 150
						}
						img.Set(x, y, color.RGBA{uint8(v), uint8(v * (c + 1) / 3), uint8(255 - v), 255})
					}
				}
				ext := ".png"
				if i%4 == 3 {
					ext = ".jpg"
				}
				f, err := os.Create(filepath.Join(dir, split, name, fmt.Sprintf("%04d%s", i, ext)))
				if err != nil {
					t.Fatal(err)
				}
				if ext == ".png" {
					err = png.Encode(f, img)
				} else {
					err = jpeg.Encode(f, img, nil)
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return dir
}
