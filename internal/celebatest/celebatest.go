// Package celebatest writes tiny synthetic CelebA folders for tests: the distributed layout
// (img_align_celeba/ of JPEG files, list_attr_celeba.txt and, optionally,
// list_eval_partition.txt) with a few dozen or hundred small images, so that the CelebA reader
// and every config that names CelebA can be exercised without the real 1.4 GB set, which
// cannot be downloaded here.
//
// The images are not faces, but their content depends on two attributes, so that a classifier
// can learn them: Male sets the red level of the top half and Smiling the brightness of the
// bottom half (the first and second attribute when those names are absent); the others change
// nothing, so they sit at chance. Each pixel also gets uniform noise. Everything is drawn from a seeded
// PCG generator, so a folder is the same for the same Options.
//
// This package imports nothing from the module, so the datasets package's own tests can use
// it without an import cycle.
package celebatest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Names are the 40 attribute names of the real list_attr_celeba.txt, in its order (Liu et al.,
// ICCV 2015).
var Names = []string{
	"5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
	"Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair",
	"Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair",
	"Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
	"Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
	"Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings",
	"Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
}

// Options describe a synthetic folder.
type Options struct {
	// Train, Val and Test are the numbers of images in the official partitions 0, 1 and 2, in
	// that order in the files (as in the real set, whose test images come last).
	Train, Val, Test int
	// Partition writes list_eval_partition.txt; without it only the attribute file says which
	// images exist.
	Partition bool
	// W and H are the image size; 0 means 24×30 (the real images are 178×218: taller than wide).
	W, H int
	// Attrs are the attribute names; nil means Names. Male and Smiling carry signal (see the
	// package documentation).
	Attrs []string
	// Seed seeds the attribute values and the noise.
	Seed uint64
}

// Folder is what Write made.
type Folder struct {
	Dir   string
	Files []string // image file names, in file order
	Attrs []string
	// Values holds attribute j of file i at i*len(Attrs)+j: 1 present, 0 absent (the files
	// write 1 and -1).
	Values []int8
}

// Write lays out a synthetic CelebA in dir (created if needed) and returns what it wrote.
func Write(dir string, opt Options) (*Folder, error) {
	w, h := opt.W, opt.H
	if w == 0 && h == 0 {
		w, h = 24, 30
	}
	names := opt.Attrs
	if names == nil {
		names = Names
	}
	if w < 2 || h < 2 || len(names) == 0 || opt.Train < 0 || opt.Val < 0 || opt.Test < 0 {
		return nil, fmt.Errorf("celebatest: size %d×%d, %d attributes, partitions %d/%d/%d: need a size ≥ 2×2, an attribute and counts ≥ 0",
			w, h, len(names), opt.Train, opt.Val, opt.Test)
	}
	imgDir := filepath.Join(dir, "img_align_celeba")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, fmt.Errorf("celebatest: %w", err)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0xce1eba))
	sig := [2]int{index(names, "Male", 0), index(names, "Smiling", 1)}
	n := opt.Train + opt.Val + opt.Test
	f := &Folder{Dir: dir, Attrs: names, Values: make([]int8, n*len(names))}
	var attrs, part strings.Builder
	fmt.Fprintf(&attrs, "%d\n%s \n", n, strings.Join(names, " "))
	for i := range n {
		name := fmt.Sprintf("%06d.jpg", i+1)
		f.Files = append(f.Files, name)
		attrs.WriteString(name)
		row := f.Values[i*len(names) : (i+1)*len(names)]
		for j := range row {
			if rng.IntN(2) == 1 {
				row[j] = 1
				attrs.WriteString("  1")
			} else {
				attrs.WriteString(" -1")
			}
		}
		attrs.WriteString("\n")
		p := 0
		if i >= opt.Train {
			p = 1
		}
		if i >= opt.Train+opt.Val {
			p = 2
		}
		fmt.Fprintf(&part, "%s %d\n", name, p)
		if err := writeJPEG(filepath.Join(imgDir, name), face(w, h, row, sig, rng)); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "list_attr_celeba.txt"), []byte(attrs.String()), 0o644); err != nil {
		return nil, fmt.Errorf("celebatest: %w", err)
	}
	if opt.Partition {
		if err := os.WriteFile(filepath.Join(dir, "list_eval_partition.txt"), []byte(part.String()), 0o644); err != nil {
			return nil, fmt.Errorf("celebatest: %w", err)
		}
	}
	return f, nil
}

// index returns the index of name in names, else def.
func index(names []string, name string, def int) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return def
}

// face draws an image whose top half's red level follows attribute sig[0] and whose bottom
// half's brightness follows attribute sig[1], with uniform noise of ±20 levels.
func face(w, h int, attrs []int8, sig [2]int, rng *rand.Rand) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	at := func(k int) int {
		if sig[k] < len(attrs) {
			return int(attrs[sig[k]])
		}
		return 0
	}
	for y := range h {
		for x := range w {
			r, g, b := 90, 90, 90
			if y < h/2 {
				r += 100 * at(0)
			} else {
				r, g, b = r+80*at(1), g+80*at(1), b+80*at(1)
			}
			noise := func(v int) uint8 { return uint8(min(max(v+rng.IntN(41)-20, 0), 255)) }
			img.SetRGBA(x, y, color.RGBA{noise(r), noise(g), noise(b), 255})
		}
	}
	return img
}

func writeJPEG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		return fmt.Errorf("celebatest: %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("celebatest: %w", err)
	}
	return nil
}
