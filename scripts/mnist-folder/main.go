// Command mnist-folder writes digits of the embedded MNIST as an image folder — the layout of
// dataset image-folder (torchvision's ImageFolder): DIR/train/<digit>/<n>.png and
// DIR/test/<digit>/<n>.png, 28×28 grey PNG files — a demo of "your own images" that
// configs/own-images.yaml reads, and a check that the image-folder reader gives the IDX
// files' pixels back.
//
// Usage: go run ./scripts/mnist-folder [-train N] [-test N] DIR
//
// It writes the first N training and test digits (default 10000 and 2000) and refuses a DIR
// that already holds train/ or test/.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"github.com/datamix/harness/datasets"
)

func main() {
	train := flag.Int("train", 10000, "training digits to write")
	test := flag.Int("test", 2000, "test digits to write")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mnist-folder [-train N] [-test N] DIR")
		os.Exit(2)
	}
	if err := write(flag.Arg(0), *train, *test); err != nil {
		fmt.Fprintf(os.Stderr, "mnist-folder: %v\n", err)
		os.Exit(1)
	}
}

func write(dir string, train, test int) error {
	for _, split := range []string{"train", "test"} {
		if _, err := os.Stat(filepath.Join(dir, split)); err == nil {
			return fmt.Errorf("%s already exists; remove it or choose another folder", filepath.Join(dir, split))
		}
	}
	d, err := datasets.Load(datasets.Spec{Name: "mnist", TrainLimit: train, TestLimit: test})
	if err != nil {
		return err
	}
	for _, sp := range []struct {
		name string
		set  *datasets.Images
	}{{"train", d.Train}, {"test", d.Test}} {
		for i := range sp.set.N {
			img := image.NewGray(image.Rect(0, 0, 28, 28))
			for p, v := range sp.set.Row(i) {
				img.Pix[p] = uint8(math.Round(float64(v) * 255))
			}
			path := filepath.Join(dir, sp.name, fmt.Sprint(sp.set.Y[i]), fmt.Sprintf("%05d.png", i))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			err = png.Encode(f, img)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
		fmt.Printf("%d %s digits written to %s\n", sp.set.N, sp.name, filepath.Join(dir, sp.name))
	}
	return nil
}
