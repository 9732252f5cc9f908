package datasets

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Spec selects a dataset and how much of it to load.
//
// Name is one of Names. Path is the dataset's folder (see the package documentation for the layout
// of each); "" means the embedded default for mnist (see EmbeddedMNISTDir) and the installed
// files for fashion-mnist (see FashionMNISTDir); the other datasets need a path.
// TrainLimit and TestLimit cap the number of examples kept from each split: 0 means all, n > 0
// keeps the first n examples in file order (deterministic: no sampling), and n larger than the split
// is an error. The whole of every file is read and checked whatever the limits, so a corrupt file
// is reported even when the corrupt part would have been dropped; for celeba that holds for its
// text files, while only the JPEGs kept are decoded (the full set is about 200,000 of them).
//
// Label, for celeba only, names the binary attribute the labels are (class 1 where the
// attribute file says 1, class 0 where it says −1); "" means DefaultCelebALabel. It must be ""
// for the other datasets, whose labels are their classes.
//
// Height, Width and Channels (1 or 3; 0 means 3) give the size an image folder's images are
// brought to, and SkipBad skips the images of one that cannot be read (Dataset.Skipped lists
// them) instead of failing; they must be zero for the other datasets, whose shapes are fixed.
type Spec struct {
	Name, Path              string
	Label                   string
	TrainLimit, TestLimit   int
	Height, Width, Channels int
	SkipBad                 bool
}

// IDX file names of MNIST and Fashion-MNIST, as distributed; each may also carry a .gz suffix.
const (
	trainImagesFile = "train-images-idx3-ubyte"
	trainLabelsFile = "train-labels-idx1-ubyte"
	testImagesFile  = "t10k-images-idx3-ubyte"
	testLabelsFile  = "t10k-labels-idx1-ubyte"
)

// Load reads the dataset s selects. Errors (unknown name, missing or corrupt file, shape or
// label out of range, bad limit) start with "datasets: " and name the file involved.
func Load(s Spec) (*Dataset, error) {
	_, h, w, classes, ok := Shape(s.Name)
	if s.Name != ImageFolderName && (s.Height != 0 || s.Width != 0 || s.Channels != 0 || s.SkipBad) {
		return nil, fmt.Errorf("datasets: %s: a size, channels or skipping of bad images given, but only %s takes them", s.Name, ImageFolderName)
	}
	if !ok && s.Name != ImageFolderName {
		return nil, fmt.Errorf("datasets: unknown dataset %q, need one of %s", s.Name, strings.Join(Names(), ", "))
	}
	if s.TrainLimit < 0 || s.TestLimit < 0 {
		return nil, fmt.Errorf("datasets: %s: limits train %d, test %d, need ≥ 0 (0 means all)", s.Name, s.TrainLimit, s.TestLimit)
	}
	if s.Label != "" && s.Name != "celeba" {
		return nil, fmt.Errorf("datasets: %s: label %q, but only celeba has attributes to choose a label from", s.Name, s.Label)
	}
	dir := s.Path
	if dir == "" {
		var err error
		switch s.Name {
		case "mnist":
			dir, err = EmbeddedMNISTDir()
		case "fashion-mnist":
			dir, err = FashionMNISTDir()
		default:
			err = fmt.Errorf("datasets: %s: no path given, and only mnist and fashion-mnist have a default", s.Name)
		}
		if err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("datasets: %s: %s: no such directory", s.Name, dir)
		}
		return nil, fmt.Errorf("datasets: %s: %w", s.Name, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("datasets: %s: %s is not a directory", s.Name, dir)
	}

	d := &Dataset{Name: s.Name, Classes: classes}
	var err error
	switch s.Name {
	case "mnist", "fashion-mnist":
		if d.Train, err = loadIDX(dir, trainImagesFile, trainLabelsFile, s.TrainLimit, h, w, classes); err != nil {
			return nil, err
		}
		if d.Test, err = loadIDX(dir, testImagesFile, testLabelsFile, s.TestLimit, h, w, classes); err != nil {
			return nil, err
		}
	case "cifar10":
		dir = subdir(dir, "cifar-10-batches-bin")
		train := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
		if d.Train, err = loadCIFAR(dir, train, CIFAR10, s.TrainLimit); err != nil {
			return nil, err
		}
		if d.Test, err = loadCIFAR(dir, []string{"test_batch.bin"}, CIFAR10, s.TestLimit); err != nil {
			return nil, err
		}
	case "cifar100":
		dir = subdir(dir, "cifar-100-binary")
		if d.Train, err = loadCIFAR(dir, []string{"train.bin"}, CIFAR100, s.TrainLimit); err != nil {
			return nil, err
		}
		if d.Test, err = loadCIFAR(dir, []string{"test.bin"}, CIFAR100, s.TestLimit); err != nil {
			return nil, err
		}
	case "celeba":
		return loadCelebA(dir, s)
	case "spoken-digits", "speech-commands":
		return loadSpeech(dir, s)
	case ImageFolderName:
		return loadImageFolder(dir, s)
	default:
		return nil, fmt.Errorf("datasets: %s: no reader for this dataset", s.Name)
	}
	return d, nil
}

// subdir returns dir/name if that is a directory (the folder a distribution archive unpacks to),
// else dir.
func subdir(dir, name string) string {
	p := filepath.Join(dir, name)
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return p
	}
	return dir
}

// find returns the path of dir/name, or of dir/name.gz if only that exists.
func find(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	for _, q := range []string{p, p + ".gz"} {
		if _, err := os.Stat(q); err == nil {
			return q, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("datasets: %w", err)
		}
	}
	return "", fmt.Errorf("datasets: %s: no such file (nor %s.gz)", p, name)
}

// withFile finds dir/name (or name.gz), opens it through Open and passes it to read.
func withFile(dir, name string, read func(r io.Reader, path string) error) error {
	p, err := find(dir, name)
	if err != nil {
		return err
	}
	rc, err := Open(p)
	if err != nil {
		return err
	}
	err = read(rc, p)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("datasets: %s: %w", p, cerr)
	}
	return err
}

// checkLimit reports a limit larger than the n examples available in the files named by where.
func checkLimit(limit, n int, where string) error {
	if limit > n {
		return fmt.Errorf("datasets: %s: limit %d, but the split holds only %d examples", where, limit, n)
	}
	return nil
}

// loadIDX reads one IDX split (images and labels file), checks it against the expected image size
// and class count, and keeps the first limit examples (all if limit is 0).
func loadIDX(dir, imagesName, labelsName string, limit, h, w, classes int) (*Images, error) {
	keep := limit
	if keep == 0 {
		keep = -1
	}
	var img *idxImagesRaw
	var ipath string
	err := withFile(dir, imagesName, func(r io.Reader, p string) error {
		var err error
		ipath = p
		img, err = readIDXImages(r, p, keep)
		return err
	})
	if err != nil {
		return nil, err
	}
	if img.h != h || img.w != w {
		return nil, fmt.Errorf("datasets: %s: images are %dx%d, want %dx%d", ipath, img.h, img.w, h, w)
	}
	var lab []byte
	err = withFile(dir, labelsName, func(r io.Reader, p string) error {
		var err error
		if lab, err = readIDXLabels(r, p); err != nil {
			return err
		}
		if len(lab) != img.n {
			return fmt.Errorf("datasets: %s: %d labels, but %s holds %d images", p, len(lab), ipath, img.n)
		}
		for i, v := range lab {
			if int(v) >= classes {
				return fmt.Errorf("datasets: %s: label %d at index %d, want 0..%d", p, v, i, classes-1)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := checkLimit(limit, img.n, ipath); err != nil {
		return nil, err
	}
	y := make([]int, img.kept)
	for i := range y {
		y[i] = int(lab[i])
	}
	return &Images{X: toFloat(img.pix), Y: y, N: img.kept, C: 1, H: h, W: w}, nil
}

// loadCIFAR reads the CIFAR batch files of one split in order and keeps the first limit records
// across them (all if limit is 0).
func loadCIFAR(dir string, names []string, f CIFAR, limit int) (*Images, error) {
	var raw cifarRaw
	total := 0
	for _, name := range names {
		keep := -1
		if limit > 0 {
			keep = max(limit-len(raw.y), 0)
		}
		err := withFile(dir, name, func(r io.Reader, p string) error {
			n, err := raw.read(r, p, f, keep)
			total += n
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	where := filepath.Join(dir, names[0])
	if len(names) > 1 {
		where += " to " + names[len(names)-1]
	}
	if err := checkLimit(limit, total, where); err != nil {
		return nil, err
	}
	return raw.images(), nil
}
