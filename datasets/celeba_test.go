package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// celebaAttrText writes an attribute file for the given files and attribute names, the value
// of attribute j for file i being 1 when (i+j) is even.
func celebaAttrText(files, names []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\n%s \n", len(files), strings.Join(names, " "))
	for i, f := range files {
		b.WriteString(f)
		for j := range names {
			if (i+j)%2 == 0 {
				b.WriteString("  1")
			} else {
				b.WriteString(" -1")
			}
		}
		b.WriteString("\r\n")
	}
	return b.String()
}

// writeFace writes a w×h JPEG whose left half is colour a and right half colour b.
func writeFace(t *testing.T, path string, w, h int, a, b color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := a
			if x >= w/2 {
				c = b
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// celebaDir lays out a tiny CelebA: n 20×24 images in img_align_celeba/ and the attribute file.
func celebaDir(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, CelebAImagesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := range n {
		f := fmt.Sprintf("%06d.jpg", i+1)
		files = append(files, f)
		writeFace(t, filepath.Join(dir, CelebAImagesDir, f), 20, 24, color.RGBA{200, 0, 0, 255}, color.RGBA{0, 0, 200, 255})
	}
	attrs := celebaAttrText(files, []string{"Male", "Smiling", "Young"})
	if err := os.WriteFile(filepath.Join(dir, CelebAAttrFile), []byte(attrs), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, files
}

func TestLoadCelebA(t *testing.T) {
	dir, files := celebaDir(t, 3)
	c, err := LoadCelebA(dir, CelebAOptions{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	im := c.Images
	if im.N != 3 || im.C != 3 || im.H != 4 || im.W != 4 || len(im.X) != 3*3*16 || im.Y != nil {
		t.Fatalf("images N=%d C=%d H=%d W=%d len=%d", im.N, im.C, im.H, im.W, len(im.X))
	}
	// The centred 20×20 square of a red|blue image, in 4×4 cells of 5×5 pixels: columns 0-1
	// red, 2-3 blue. 4/255: JPEG's colour subsampling blurs the edge between the halves by a
	// pixel or two, which the 5-pixel cells average away to within a few levels; the cells
	// away from the edge are exact up to rounding.
	for _, p := range []struct {
		ch, x int
		want  float64
	}{{0, 0, 200}, {2, 0, 0}, {0, 3, 0}, {2, 3, 200}} {
		got := float64(im.X[p.ch*16+1*4+p.x]) * 255
		if math.Abs(got-p.want) > 4 {
			t.Errorf("channel %d column %d = %.1f/255, want %g/255", p.ch, p.x, got, p.want)
		}
	}
	male, err := c.Attrs.Attribute("Male")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(male) != "[1 0 1]" {
		t.Errorf("Male = %v, want [1 0 1]", male)
	}
	if smiling, _ := c.Attrs.Attribute("Smiling"); fmt.Sprint(smiling) != "[0 1 0]" {
		t.Errorf("Smiling = %v, want [0 1 0]", smiling)
	}
	if _, err := c.Attrs.Attribute("Bald"); err == nil || !strings.Contains(err.Error(), "Male, Smiling, Young") {
		t.Errorf("unknown attribute: err = %v", err)
	}
	if strings.Join(c.Attrs.Files, ",") != strings.Join(files, ",") {
		t.Errorf("files %v", c.Attrs.Files)
	}
	// Limit keeps the first images; the default size is 32.
	c, err = LoadCelebA(dir, CelebAOptions{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c.Images.N != 2 || c.Images.H != DefaultCelebASize || len(c.Attrs.Values) != 2*3 {
		t.Errorf("limit 2: N=%d H=%d values %d", c.Images.N, c.Images.H, len(c.Attrs.Values))
	}
}

func TestLoadCelebASubfolders(t *testing.T) {
	dir, _ := celebaDir(t, 1)
	for _, m := range [][2]string{{CelebAAttrFile, "Anno"}, {CelebAImagesDir, "Img"}} {
		if err := os.Mkdir(filepath.Join(dir, m[1]), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, m[0]), filepath.Join(dir, m[1], m[0])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadCelebA(dir, CelebAOptions{Size: 8}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCelebAErrors(t *testing.T) {
	t.Run("missing image", func(t *testing.T) {
		dir, files := celebaDir(t, 3)
		os.Remove(filepath.Join(dir, CelebAImagesDir, files[1]))
		_, err := LoadCelebA(dir, CelebAOptions{})
		want := filepath.Join(dir, CelebAImagesDir, files[1]) + ": no such image (listed at " + filepath.Join(dir, CelebAAttrFile) + ":4)"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	})
	t.Run("unreadable image", func(t *testing.T) {
		dir, files := celebaDir(t, 2)
		os.WriteFile(filepath.Join(dir, CelebAImagesDir, files[0]), []byte("not a jpeg"), 0o644)
		_, err := LoadCelebA(dir, CelebAOptions{})
		if err == nil || !strings.Contains(err.Error(), files[0]+": cannot decode JPEG") || !strings.Contains(err.Error(), CelebAAttrFile+":3)") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no attribute file", func(t *testing.T) {
		dir, _ := celebaDir(t, 1)
		os.Remove(filepath.Join(dir, CelebAAttrFile))
		if _, err := LoadCelebA(dir, CelebAOptions{}); err == nil || !strings.Contains(err.Error(), "no list_attr_celeba.txt") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		if _, err := LoadCelebA(t.TempDir(), CelebAOptions{Size: -1}); err == nil || !strings.Contains(err.Error(), "size -1") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestReadCelebAAttrsErrors(t *testing.T) {
	good := celebaAttrText([]string{"1.jpg", "2.jpg"}, []string{"A", "B"})
	for _, c := range []struct {
		name, text, want string
	}{
		{"empty", "", "attrs.txt:1: file ends before the image count"},
		{"bad count", "many\nA B\n", `attrs.txt:1: "many", want the number of images`},
		{"no names", "1\n\n", "attrs.txt:2: no attribute names"},
		{"duplicate name", "1\nA A\n", `attrs.txt:2: attribute "A" named twice`},
		{"missing value", "1\nA B\n1.jpg 1\n", "attrs.txt:3: 1 values for 1.jpg, want 2"},
		{"bad value", "1\nA B\n1.jpg 1 0\n", `attrs.txt:3: 1.jpg: value "0" for B, want 1 or -1`},
		{"path in name", "1\nA\n../x.jpg 1\n", `attrs.txt:3: file name "../x.jpg"`},
		{"duplicate file", "2\nA\n1.jpg 1\n1.jpg -1\n", "attrs.txt:4: 1.jpg listed again (first at line 3)"},
		{"too few", "3\nA\n1.jpg 1\n", "attrs.txt:1: announces 3 images, the file lists 1"},
		{"too many", "1\nA\n1.jpg 1\n2.jpg 1\n", "attrs.txt:4: more entries than the 1 images"},
		{"blank inside", "2\nA\n1.jpg 1\n\n2.jpg 1\n", "attrs.txt:4: empty line among the entries"},
		{"long line", "1\nA\n" + strings.Repeat("x", maxCelebALine+1) + "\n", "attrs.txt:3: line longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCelebAAttrs(strings.NewReader(c.text), "attrs.txt", 0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	a, err := ReadCelebAAttrs(strings.NewReader(good+"\n\n"), "attrs.txt", 0)
	if err != nil {
		t.Fatalf("trailing empty lines: %v", err)
	}
	if fmt.Sprint(a.Values) != "[1 0 0 1]" || fmt.Sprint(a.Lines) != "[3 4]" {
		t.Errorf("values %v lines %v", a.Values, a.Lines)
	}
	if _, err := ReadCelebAAttrs(strings.NewReader(good), "attrs.txt", 3); err == nil || !strings.Contains(err.Error(), "limit 3") {
		t.Errorf("limit beyond the file: err = %v", err)
	}
}

func TestAreaWeightsSumToOne(t *testing.T) {
	for _, c := range [][2]int{{178, 32}, {20, 4}, {5, 7}, {1, 1}} {
		for o, ws := range areaWeights(c[0], c[1]) {
			var s float64
			for _, w := range ws {
				s += w.w
			}
			// 1e-12: a few float64 divisions and additions of numbers of order 1.
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("%d→%d: output %d weights sum to %g", c[0], c[1], o, s)
			}
		}
	}
}

func FuzzReadCelebAAttrs(f *testing.F) {
	f.Add([]byte(celebaAttrText([]string{"000001.jpg", "000002.jpg"}, []string{"Male", "Smiling"})))
	f.Add([]byte("0\nA\n"))
	f.Add([]byte("1\nA B\n1.jpg 1 -1\n\n"))
	f.Add([]byte("2\nA\n1.jpg 1\n1.jpg -1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := ReadCelebAAttrs(bytes.NewReader(in), "fuzz", 0)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "datasets: fuzz") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(a.Names) == 0 || len(a.Values) != len(a.Files)*len(a.Names) || len(a.Lines) != len(a.Files) {
			t.Fatalf("%d names, %d files, %d values, %d lines", len(a.Names), len(a.Files), len(a.Values), len(a.Lines))
		}
		for _, v := range a.Values {
			if v != 0 && v != 1 {
				t.Fatalf("value %d", v)
			}
		}
		seen := map[string]bool{}
		for _, f := range a.Files {
			if seen[f] || strings.ContainsAny(f, `/\`) {
				t.Fatalf("file %q repeated or not plain", f)
			}
			seen[f] = true
		}
	})
}
