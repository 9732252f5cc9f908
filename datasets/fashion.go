package datasets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FashionMNISTEnv is the environment variable that names a Fashion-MNIST folder for
// Spec{Name: "fashion-mnist"} with an empty Path.
const FashionMNISTEnv = "DATAMIX_FASHION_MNIST_DIR"

// FashionMNISTDebianDir is where Debian's package dataset-fashion-mnist installs the four IDX
// files of the upstream release (Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image
// Dataset for Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017), gzipped.
const FashionMNISTDebianDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTInstall is the command that installs Fashion-MNIST on Debian and Ubuntu.
const FashionMNISTInstall = "apt-get install dataset-fashion-mnist"

// FashionMNISTDir returns the folder Spec{Name: "fashion-mnist"} reads when its Path is
// empty: the folder named by the environment variable DATAMIX_FASHION_MNIST_DIR if it is set
// (it must then hold the files), else FashionMNISTDebianDir. The error, when neither holds the
// four IDX files, says what to install or where to put which files.
func FashionMNISTDir() (string, error) {
	return fashionMNISTDir(os.Getenv(FashionMNISTEnv), FashionMNISTDebianDir)
}

// fashionMNISTDir is FashionMNISTDir with the environment's value and the system folder given.
func fashionMNISTDir(env, system string) (string, error) {
	files := []string{trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile}
	missing := func(dir string) ([]string, error) { // the files dir lacks (in either form)
		var out []string
		for _, f := range files {
			if _, err := find(dir, f); err != nil {
				for _, p := range []string{filepath.Join(dir, f), filepath.Join(dir, f+".gz")} {
					if _, serr := os.Stat(p); serr != nil && !errors.Is(serr, fs.ErrNotExist) {
						return nil, fmt.Errorf("datasets: fashion-mnist: %w", serr)
					}
				}
				out = append(out, f+".gz")
			}
		}
		return out, nil
	}
	put := "put " + strings.Join(files, ".gz, ") +
		".gz (from https://github.com/zalandoresearch/fashion-mnist) in a folder and name it in dataset.path or " + FashionMNISTEnv
	if env != "" {
		m, err := missing(env)
		if err != nil {
			return "", err
		}
		if len(m) > 0 {
			return "", fmt.Errorf("datasets: fashion-mnist: %s=%s lacks %s: put them there (from https://github.com/zalandoresearch/fashion-mnist), or unset %s to read %s", FashionMNISTEnv, env, strings.Join(m, ", "), FashionMNISTEnv, system)
		}
		return env, nil
	}
	m, err := missing(system)
	if err != nil {
		return "", err
	}
	switch {
	case len(m) == len(files):
		return "", fmt.Errorf("datasets: fashion-mnist: not installed: run `%s` as root (Debian/Ubuntu; it puts the files in %s), or %s", FashionMNISTInstall, system, put)
	case len(m) > 0:
		return "", fmt.Errorf("datasets: fashion-mnist: %s lacks %s: reinstall with `apt-get install --reinstall dataset-fashion-mnist`, or %s", system, strings.Join(m, ", "), put)
	}
	return system, nil
}
