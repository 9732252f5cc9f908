package datasets

import (
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// The image-folder tests write their images themselves (testdata/tiny.webp excepted: Go has no
// WebP encoder; it is a 3×2 lossless WebP of the pixels webpPixels, written by PIL with
// Image.new('RGB', (3, 2)).putdata(webpPixels).save('tiny.webp', lossless=True)).

var webpPixels = [][3]uint8{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}, {200, 100, 50}, {255, 255, 255}}

// uniform is a w×h image of one colour.
func uniform(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

// writeImage encodes img into path in the format its extension names.
func writeImage(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := map[string]func(io.Writer, image.Image) error{
		".png":  png.Encode,
		".jpg":  func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: 100}) },
		".gif":  func(w io.Writer, m image.Image) error { return gif.Encode(w, m, nil) },
		".bmp":  bmp.Encode,
		".tiff": func(w io.Writer, m image.Image) error { return tiff.Encode(w, m, nil) },
	}[strings.ToLower(filepath.Ext(path))]
	if err := enc(f, img); err != nil {
		t.Fatal(err)
	}
}

// classColour is the colour of the images of class c (exactly representable in a GIF palette:
// plan9's holds these).
func classColour(c int) color.RGBA {
	return []color.RGBA{{255, 0, 0, 255}, {0, 0, 255, 255}, {0, 255, 0, 255}}[c]
}

// TestImageFolderFormats writes a folder of three classes, each image one colour of its class,
// in every format at sizes other than the configured one, and checks the classes (named by
// folder, sorted), the counts, each image's label against its colour (exact for the lossless
// formats, within 3/255 for JPEG), and that the order does not depend on anything but the
// files.
func TestImageFolderFormats(t *testing.T) {
	dir := t.TempDir()
	classes := []string{"ant", "bee", "cat"} // sorted: the labels are these indices
	exts := []string{".png", ".jpg", ".gif", ".bmp", ".tiff"}
	counts := map[string]int{}
	for ci, cname := range classes {
		for split, n := range map[string]int{"train": 5, "test": 2} {
			for i := range n {
				ext := exts[(ci+i)%len(exts)]
				writeImage(t, filepath.Join(dir, split, cname, fmt.Sprintf("img%d%s", i, ext)), uniform(7+i, 5+2*i, classColour(ci)))
				counts[split]++
			}
		}
	}
	// Files that are not images are ignored, as torchvision's ImageFolder ignores them.
	os.WriteFile(filepath.Join(dir, "train", "ant", "notes.txt"), []byte("not an image"), 0o644)
	os.WriteFile(filepath.Join(dir, "train", "bee", ".DS_Store"), []byte{0}, 0o644)
	d, err := Load(Spec{Name: ImageFolderName, Path: dir, Height: 4, Width: 6, Channels: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.ClassNames, classes) || d.Classes != 3 || d.Train.N != counts["train"] || d.Test.N != counts["test"] {
		t.Fatalf("classes %v (%d), %d train, %d test; want %v, %d, %d", d.ClassNames, d.Classes, d.Train.N, d.Test.N, classes, counts["train"], counts["test"])
	}
	for _, set := range []*Images{d.Train, d.Test} {
		if set.C != 3 || set.H != 4 || set.W != 6 || len(set.X) != set.N*72 {
			t.Fatalf("shape %d×%d×%d, %d values for %d images", set.C, set.H, set.W, len(set.X), set.N)
		}
		for i := range set.N {
			want := classColour(set.Y[i])
			px := set.Row(i)
			for p := range 24 {
				for c, v := range []uint8{want.R, want.G, want.B} {
					// 3/255: JPEG's rounding of a uniform colour at quality 100.
					if d := math.Abs(float64(px[c*24+p]) - float64(v)/255); d > 3.0/255 {
						t.Fatalf("image %d (label %d): channel %d pixel %d = %v, want %v", i, set.Y[i], c, p, px[c*24+p], float64(v)/255)
					}
				}
			}
		}
	}
	again, err := Load(Spec{Name: ImageFolderName, Path: dir, Height: 4, Width: 6})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Train.Y, d.Train.Y) || !slices.Equal(again.Train.X, d.Train.X) {
		t.Error("two loads give different orders (channels 0 should mean 3)")
	}
	// Labels are spread over the order (shuffled), not in class runs.
	if slices.IsSorted(d.Train.Y) {
		t.Errorf("training labels %v in class order: the split should be shuffled", d.Train.Y)
	}
}

// TestImageFolderWebP reads the committed lossless WebP at its own size: exact pixels.
func TestImageFolderWebP(t *testing.T) {
	dst := make([]float32, 3*2*3)
	if err := readImage(dst, "testdata/tiny.webp", 3, 2, 3); err != nil {
		t.Fatal(err)
	}
	for p, px := range webpPixels {
		for c := range 3 {
			if got, want := dst[c*6+p], float32(px[c])/255; got != want {
				t.Fatalf("pixel %d channel %d: %v, want %v", p, c, got, want)
			}
		}
	}
}

// TestFitImage checks the resizing rule: an image of the size itself is copied exactly, one of
// twice the size is averaged over 2×2 blocks, a wide one is cropped around its centre, a
// colour pixel becomes its luma on one channel and a grey one stays as it is.
func TestFitImage(t *testing.T) {
	grad := image.NewGray(image.Rect(0, 0, 4, 2))
	for i := range grad.Pix {
		grad.Pix[i] = uint8(17 * i)
	}
	out := make([]float32, 8)
	fitImage(out, grad, 1, 2, 4)
	for i, v := range out {
		if v != float32(17*i)/255 {
			t.Fatalf("same size: pixel %d = %v, want %v", i, v, float32(17*i)/255)
		}
	}
	// 4×2 → 2×1: the means of the 2×2 blocks {0,17,68,85} and {34,51,102,119}.
	out = out[:2]
	fitImage(out, grad, 1, 1, 2)
	for i, want := range []float64{42.5, 76.5} {
		if math.Abs(float64(out[i])-want/255) > 1e-6 {
			t.Errorf("halved: pixel %d = %v, want %v", i, out[i]*255, want)
		}
	}
	// A 4×2 image into 2×2: scaled by 1 (the height fits), the centre columns 1 and 2 kept.
	out = out[:4]
	fitImage(out, grad, 1, 2, 2)
	for i, want := range []int{17, 34, 85, 102} {
		if out[i] != float32(want)/255 {
			t.Errorf("cropped: pixel %d = %v, want %v", i, out[i]*255, want)
		}
	}
	rgb := uniform(1, 1, color.RGBA{200, 100, 50, 255})
	fitImage(out[:1], rgb, 1, 1, 1)
	if want := (0.299*200 + 0.587*100 + 0.114*50) / 255; math.Abs(float64(out[0])-want) > 1e-6 {
		t.Errorf("luma %v, want %v", out[0], want)
	}
}

// TestImageFolderMNIST writes embedded MNIST digits as grey PNGs in an image folder and reads
// them back at 28×28×1: every image is bit for bit an image of the IDX files.
func TestImageFolderMNIST(t *testing.T) {
	m, err := Load(Spec{Name: "mnist", TrainLimit: 30, TestLimit: 10})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(split string, set *Images) {
		for i := range set.N {
			img := image.NewGray(image.Rect(0, 0, 28, 28))
			for p, v := range set.Row(i) {
				img.Pix[p] = uint8(math.Round(float64(v) * 255))
			}
			writeImage(t, filepath.Join(dir, split, fmt.Sprint(set.Y[i]), fmt.Sprintf("%03d.png", i)), img)
		}
	}
	write("train", m.Train)
	write("test", m.Test)
	d, err := Load(Spec{Name: ImageFolderName, Path: dir, Height: 28, Width: 28, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i := range m.Train.N {
		idx[fmt.Sprint(m.Train.Row(i))] = m.Train.Y[i]
	}
	for i := range d.Train.N {
		label, ok := idx[fmt.Sprint(d.Train.Row(i))]
		if !ok {
			t.Fatalf("image %d is not an image of the IDX file", i)
		}
		if d.ClassNames[d.Train.Y[i]] != fmt.Sprint(label) {
			t.Fatalf("image %d: class %s, the IDX label %d", i, d.ClassNames[d.Train.Y[i]], label)
		}
	}
}

// TestImageFolderManifest reads the CSV form: paths relative to the folder, class names as
// labels, and attribute columns, whose values become classes of their own (integers in
// numeric order).
func TestImageFolderManifest(t *testing.T) {
	dir := t.TempDir()
	rows := map[string][]string{"train": nil, "test": nil}
	for i := range 12 {
		split := "train"
		if i >= 9 {
			split = "test"
		}
		c := i % 2
		name := fmt.Sprintf("pics/%d.png", i)
		writeImage(t, filepath.Join(dir, name), uniform(3, 3, classColour(c)))
		rows[split] = append(rows[split], fmt.Sprintf("%s,%s,%d,%s", name, []string{"dog", "cow"}[c], []int{2, 10, 9}[i%3], []string{"f", "m"}[i/2%2]))
	}
	for split, lines := range rows {
		os.WriteFile(filepath.Join(dir, split+".csv"), []byte("path,label,age,sex\n"+strings.Join(lines, "\n")+"\n"), 0o644)
	}
	d, err := Load(Spec{Name: ImageFolderName, Path: dir, Height: 2, Width: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.ClassNames, []string{"cow", "dog"}) || !slices.Equal(d.Attrs, []string{"age", "sex"}) || !slices.Equal(d.AttrClasses, []int{3, 2}) {
		t.Fatalf("classes %v, attributes %v %v", d.ClassNames, d.Attrs, d.AttrClasses)
	}
	if d.Train.N != 9 || d.Test.N != 3 || len(d.Train.Attrs) != 18 {
		t.Fatalf("%d train, %d test, %d attribute values", d.Train.N, d.Test.N, len(d.Train.Attrs))
	}
	names, err := AttrNames(ImageFolderName, dir)
	if err != nil || !slices.Equal(names, d.Attrs) {
		t.Errorf("AttrNames: %v, %v", names, err)
	}
	for i := range d.Train.N {
		// age values 2, 9, 10 in numeric order: classes 0, 1, 2. The class colour tells the
		// label, the attribute is checked through its own range.
		if a := d.Train.Attr(i); a[0] < 0 || a[0] > 2 || a[1] < 0 || a[1] > 1 {
			t.Fatalf("image %d: attributes %v", i, a)
		}
		if want := classColour([]int{1, 0}[d.Train.Y[i]]); d.Train.Row(i)[0] != float32(want.R)/255 {
			t.Fatalf("image %d: label %s but its colour is another class's", i, d.ClassNames[d.Train.Y[i]])
		}
	}
}

// TestImageFolderErrors checks that every bad folder is a one-line error naming the file or
// folder at fault, and that skip_bad skips (and lists) unreadable images instead.
func TestImageFolderErrors(t *testing.T) {
	good := func(t *testing.T) string {
		dir := t.TempDir()
		for _, split := range []string{"train", "test"} {
			for c, name := range []string{"a", "b"} {
				for i := range 3 {
					writeImage(t, filepath.Join(dir, split, name, fmt.Sprintf("%d.png", i)), uniform(4, 4, classColour(c)))
				}
			}
		}
		return dir
	}
	spec := func(dir string) Spec { return Spec{Name: ImageFolderName, Path: dir, Height: 4, Width: 4} }
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		spec  func(Spec) Spec
		want  string // a prefix; "DIR" stands for the folder
	}{
		{"corrupt image", func(dir string) {
			os.WriteFile(filepath.Join(dir, "train", "a", "1.png"), []byte("\x89PNG\r\n\x1a\nbroken"), 0o644)
		}, nil, "datasets: DIR/train/a/1.png: cannot decode the image: "},
		{"not an image at all", func(dir string) {
			os.WriteFile(filepath.Join(dir, "test", "b", "0.png"), []byte("hello"), 0o644)
		}, nil, "datasets: DIR/test/b/0.png: cannot decode the image: image: unknown format"},
		{"no test folder", func(dir string) { os.RemoveAll(filepath.Join(dir, "test")) }, nil,
			"datasets: image-folder: DIR/test: no such directory (an image folder holds train/<class>/ and test/<class>/, or train.csv and test.csv)"},
		{"test class without training", func(dir string) { os.Rename(filepath.Join(dir, "test", "b"), filepath.Join(dir, "test", "c")) }, nil,
			"datasets: DIR/test/c: class c has no training folder (DIR/train/c)"},
		{"one class", func(dir string) {
			os.RemoveAll(filepath.Join(dir, "train", "b"))
			os.RemoveAll(filepath.Join(dir, "test", "b"))
		}, nil, "datasets: DIR/train: 1 class folders, need at least 2"},
		{"empty class folder", func(dir string) {
			os.RemoveAll(filepath.Join(dir, "train", "b"))
			os.MkdirAll(filepath.Join(dir, "train", "b"), 0o755)
		}, nil, "datasets: DIR/train/b: no images (.png, .jpg, .jpeg, .gif, .bmp, .tif, .tiff, .webp)"},
		{"limit beyond the split", nil, func(s Spec) Spec { s.TestLimit = 7; return s },
			"datasets: image-folder: DIR: limit 7, but the test split holds only 6 images"},
		{"size missing", nil, func(s Spec) Spec { s.Height = 0; return s },
			"datasets: image-folder: size 0×4, need a height and width in 1..4096"},
		{"channels", nil, func(s Spec) Spec { s.Channels = 2; return s },
			"datasets: image-folder: 2 channels, need 1 (grey) or 3 (RGB)"},
		{"manifest header", func(dir string) {
			os.WriteFile(filepath.Join(dir, "train.csv"), []byte("file,class\ntrain/a/0.png,a\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "test.csv"), []byte("path,label\ntest/a/0.png,a\n"), 0o644)
		}, nil, `datasets: DIR/train.csv:1: header "file,class", want path,label[,attribute,…]`},
		{"manifest label not a class", func(dir string) {
			os.WriteFile(filepath.Join(dir, "train.csv"), []byte("path,label\ntrain/a/0.png,a\ntrain/b/0.png,b\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "test.csv"), []byte("path,label\ntest/a/0.png,a\ntest/b/1.png,zebra\n"), 0o644)
		}, nil, `datasets: DIR/test.csv:3: label "zebra" is not a class of train.csv`},
		{"manifest missing image", func(dir string) {
			os.WriteFile(filepath.Join(dir, "train.csv"), []byte("path,label\ntrain/a/0.png,a\ntrain/b/9.png,b\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "test.csv"), []byte("path,label\ntest/a/0.png,a\n"), 0o644)
		}, nil, "datasets: DIR/train/b/9.png: no such image (listed at DIR/train.csv:3)"},
		{"manifest field count", func(dir string) {
			os.WriteFile(filepath.Join(dir, "train.csv"), []byte("path,label,age\ntrain/a/0.png,a,3\ntrain/b/0.png,b\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "test.csv"), []byte("path,label,age\ntest/a/0.png,a,4\n"), 0o644)
		}, nil, "datasets: DIR/train.csv:3: 2 fields, the header has 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := good(t)
			if tc.setup != nil {
				tc.setup(dir)
			}
			s := spec(dir)
			if tc.spec != nil {
				s = tc.spec(s)
			}
			_, err := Load(s)
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got  %v\nwant %s…", err, want)
			}
		})
	}
	t.Run("skip_bad", func(t *testing.T) {
		dir := good(t)
		bad := filepath.Join(dir, "train", "a", "1.png")
		os.WriteFile(bad, []byte("broken"), 0o644)
		d, err := Load(Spec{Name: ImageFolderName, Path: dir, Height: 4, Width: 4, SkipBad: true})
		if err != nil {
			t.Fatal(err)
		}
		if d.Train.N != 5 || len(d.Skipped) != 1 || !strings.HasPrefix(d.Skipped[0], bad+": cannot decode the image") {
			t.Errorf("%d training images, skipped %q; want 5 and %s", d.Train.N, d.Skipped, bad)
		}
		// A limit is filled from the images that read.
		d, err = Load(Spec{Name: ImageFolderName, Path: dir, Height: 4, Width: 4, SkipBad: true, TrainLimit: 5})
		if err != nil || d.Train.N != 5 {
			t.Errorf("limit 5 with one bad image: %v, %v", d, err)
		}
		if _, err := Load(Spec{Name: ImageFolderName, Path: dir, Height: 4, Width: 4, SkipBad: true, TrainLimit: 6}); err == nil ||
			!strings.Contains(err.Error(), "limit 6, but only 5 training images could be read (1 skipped)") {
			t.Errorf("limit 6 with one bad image of 6: %v", err)
		}
	})
}

// FuzzImageFolderManifest feeds the manifest reader an arbitrary train.csv (beside a fixed
// test.csv): it must never panic, and what it accepts must have classes, labels and attribute
// values in range.
func FuzzImageFolderManifest(f *testing.F) {
	f.Add([]byte("path,label,age\na.png,x,3\nb.png,y,4\n"))
	f.Add([]byte("path,label\n\"a,b.png\",x\nc.png,y\n"))
	f.Add([]byte("path,label,label\n"))
	f.Add([]byte("path;label\n"))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ImageFolderTestCSV), []byte("path,label,age\na.png,x,3\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, train []byte) {
		if err := os.WriteFile(filepath.Join(dir, ImageFolderTrainCSV), train, 0o644); err != nil {
			t.Fatal(err)
		}
		folder, err := listImageFolder(dir)
		if err != nil {
			return
		}
		for _, e := range append(folder.train, folder.test...) {
			if e.label < 0 || e.label >= len(folder.classes) || len(e.attrs) != len(folder.attrs) {
				t.Fatalf("entry %+v of %d classes, %d attributes", e, len(folder.classes), len(folder.attrs))
			}
			for j, a := range e.attrs {
				if a < 0 || int(a) >= len(folder.attrValues[j]) {
					t.Fatalf("attribute %d value %d of %d", j, a, len(folder.attrValues[j]))
				}
			}
		}
	})
}
