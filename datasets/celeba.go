package datasets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CelebA file and folder names, as distributed (Liu, Luo, Wang and Tang, "Deep Learning Face
// Attributes in the Wild", ICCV 2015; https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html).
const (
	CelebAAttrFile  = "list_attr_celeba.txt"
	CelebAImagesDir = "img_align_celeba"
)

// DefaultCelebASize is the side of the downscaled CelebA images when CelebAOptions.Size is 0:
// 32 pixels, the size of CIFAR, so that cifar-cnn takes them.
const DefaultCelebASize = 32

// maxCelebALine bounds one line of the attribute file; a real line is about 130 bytes.
const maxCelebALine = 64 << 10

// CelebAAttrs is the content of list_attr_celeba.txt: the attribute names (40 in the real
// file) and, per image file, one value per attribute, 1 when present and 0 when absent (the
// file writes 1 and −1).
type CelebAAttrs struct {
	Names  []string
	Files  []string
	Values []int8 // len(Files) × len(Names), row-major
	// Lines holds the 1-based line of each file's entry, for error messages.
	Lines []int
}

// ReadCelebAAttrs parses a CelebA attribute file from r; name is used in errors. The format is
// the image count on line 1, the attribute names on line 2 (separated by white space), then
// one line per image: a file name and one value, 1 or −1, per attribute. Carriage returns,
// trailing white space and empty lines at the end are allowed. limit > 0 keeps only the first
// limit entries, but every line is checked. Errors name the file and line:
//
//	datasets: list_attr_celeba.txt:7: 39 values for 000005.jpg, want 40 (one per attribute)
func ReadCelebAAttrs(r io.Reader, name string, limit int) (*CelebAAttrs, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxCelebALine)
	line := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("datasets: %s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return strings.TrimRight(sc.Text(), " \t\r"), true
	}
	scanErr := func(what string) error {
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				line++
				return fail("line longer than %d bytes", maxCelebALine)
			}
			return fmt.Errorf("datasets: %s: %w", name, err)
		}
		line++
		return fail("file ends before %s", what)
	}
	text, ok := next()
	if !ok {
		return nil, scanErr("the image count (line 1)")
	}
	count, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil || count < 0 {
		return nil, fail("%q, want the number of images (an integer ≥ 0)", truncate(text))
	}
	text, ok = next()
	if !ok {
		return nil, scanErr("the attribute names (line 2)")
	}
	a := &CelebAAttrs{Names: strings.Fields(text)}
	if len(a.Names) == 0 {
		return nil, fail("no attribute names, want them separated by spaces")
	}
	seenName := map[string]bool{}
	for _, n := range a.Names {
		if seenName[n] {
			return nil, fail("attribute %q named twice", truncate(n))
		}
		seenName[n] = true
	}
	seen := map[string]int{}
	entries := 0
	blankAt := 0 // first line of a run of empty lines; only trailing ones are allowed
	for {
		text, ok = next()
		if !ok {
			break
		}
		if strings.TrimSpace(text) == "" {
			if blankAt == 0 {
				blankAt = line
			}
			continue
		}
		if blankAt != 0 {
			line = blankAt
			return nil, fail("empty line among the entries")
		}
		fields := strings.Fields(text)
		file := fields[0]
		if strings.ContainsAny(file, `/\`) || file == "." || file == ".." {
			return nil, fail("file name %q, want a plain file name in %s/", truncate(file), CelebAImagesDir)
		}
		if len(fields)-1 != len(a.Names) {
			return nil, fail("%d values for %s, want %d (one per attribute)", len(fields)-1, truncate(file), len(a.Names))
		}
		if prev, dup := seen[file]; dup {
			return nil, fail("%s listed again (first at line %d)", truncate(file), prev)
		}
		seen[file] = line
		entries++
		if entries > count {
			return nil, fail("more entries than the %d images line 1 announces", count)
		}
		keep := limit <= 0 || len(a.Files) < limit
		for j, f := range fields[1:] {
			var v int8
			switch f {
			case "1":
				v = 1
			case "-1":
				v = 0
			default:
				return nil, fail("%s: value %q for %s, want 1 or -1", truncate(file), truncate(f), a.Names[j])
			}
			if keep {
				a.Values = append(a.Values, v)
			}
		}
		if keep {
			a.Files = append(a.Files, file)
			a.Lines = append(a.Lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, scanErr("")
	}
	if entries != count {
		line = 1
		return nil, fail("announces %d images, the file lists %d", count, entries)
	}
	if limit > entries {
		return nil, fmt.Errorf("datasets: %s: limit %d, but the file lists only %d images", name, limit, entries)
	}
	return a, nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// CelebAOptions say how much of CelebA to load and at what size.
type CelebAOptions struct {
	// Size is the side of the square images returned; 0 means DefaultCelebASize.
	Size int
	// Limit keeps the first Limit images of the attribute file (file order, no sampling);
	// 0 means all of them (about 200,000 JPEGs: minutes to decode).
	Limit int
}

// CelebA is the aligned-and-cropped CelebA set: face images with 40 binary attributes.
type CelebA struct {
	// Images holds the faces, 3×Size×Size, in the order of the attribute file; Y is nil.
	Images *Images
	// Attrs are the attributes of the same images.
	Attrs *CelebAAttrs
}

// LoadCelebA reads CelebA from dir in its distributed layout: list_attr_celeba.txt and the
// folder img_align_celeba/ of JPEG files, either directly in dir or in its Anno/ and Img/
// subfolders. Each image is cropped to its centred square (the aligned images are 178×218,
// faces centred) and reduced to Size×Size by area averaging (each output pixel is the mean of
// the input pixels it covers, weighted by overlap), then scaled to [0,1] like the other
// datasets. A missing or undecodable image is an error naming the file and the attribute
// file's line that lists it.
func LoadCelebA(dir string, opt CelebAOptions) (*CelebA, error) {
	size := opt.Size
	if size == 0 {
		size = DefaultCelebASize
	}
	if size < 1 || opt.Limit < 0 {
		return nil, fmt.Errorf("datasets: celeba: size %d and limit %d, need size ≥ 1 (0 = %d) and limit ≥ 0 (0 = all)", opt.Size, opt.Limit, DefaultCelebASize)
	}
	attrPath, err := findCelebA(dir, CelebAAttrFile, "Anno")
	if err != nil {
		return nil, err
	}
	imgDir, err := findCelebA(dir, CelebAImagesDir, "Img")
	if err != nil {
		return nil, err
	}
	f, err := Open(attrPath)
	if err != nil {
		return nil, err
	}
	attrs, err := ReadCelebAAttrs(f, attrPath, opt.Limit)
	f.Close()
	if err != nil {
		return nil, err
	}
	n := len(attrs.Files)
	plane := size * size
	out := &Images{X: make([]float32, n*3*plane), N: n, C: 3, H: size, W: size}
	for i, name := range attrs.Files {
		p := filepath.Join(imgDir, name)
		where := fmt.Sprintf("listed at %s:%d", attrPath, attrs.Lines[i])
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("datasets: %s: no such image (%s)", p, where)
		}
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: %w (%s)", p, err, where)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("datasets: %s: cannot decode JPEG: %v (%s)", p, err, where)
		}
		downscale(out.X[i*3*plane:(i+1)*3*plane], img, size)
	}
	return &CelebA{Images: out, Attrs: attrs}, nil
}

// findCelebA returns dir/name, or dir/sub/name when only that exists.
func findCelebA(dir, name, sub string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, sub, name)} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("datasets: celeba: %w", err)
		}
	}
	return "", fmt.Errorf("datasets: celeba: %s: no %s (nor %s)", dir, name, filepath.Join(sub, name))
}

// Attribute returns the 0/1 values of the named attribute for every image, e.g. "Male" or
// "Smiling": labels for an attribute-inference attack.
func (a *CelebAAttrs) Attribute(name string) ([]int, error) {
	j := slices.Index(a.Names, name)
	if j < 0 {
		return nil, fmt.Errorf("datasets: celeba: no attribute %q, the file has %s", name, strings.Join(a.Names, ", "))
	}
	out := make([]int, len(a.Files))
	for i := range out {
		out[i] = int(a.Values[i*len(a.Names)+j])
	}
	return out, nil
}

// downscale writes the centred square of img, reduced to size×size by area averaging, into
// dst (3 planes, values /255).
func downscale(dst []float32, img image.Image, size int) {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	// Read the square once into float planes.
	src := make([]float64, 3*side*side)
	for y := range side {
		for x := range side {
			r, g, bl, _ := img.At(x0+x, y0+y).RGBA() // 16-bit, v·257 for 8-bit v
			src[y*side+x] = float64(r) / 257
			src[side*side+y*side+x] = float64(g) / 257
			src[2*side*side+y*side+x] = float64(bl) / 257
		}
	}
	w := areaWeights(side, size)
	plane := size * size
	rows := make([]float64, size*side)
	for c := range 3 {
		in := src[c*side*side : (c+1)*side*side]
		clear(rows)
		for o, ws := range w { // rows: size × side
			for _, t := range ws {
				for x := range side {
					rows[o*side+x] += t.w * in[t.i*side+x]
				}
			}
		}
		for oy := range size {
			for ox, ws := range w {
				var s float64
				for _, t := range ws {
					s += t.w * rows[oy*side+t.i]
				}
				dst[c*plane+oy*size+ox] = float32(s / 255)
			}
		}
	}
}

type tap struct {
	i int
	w float64
}

// areaWeights returns, for each of n output samples over m input samples, the input samples it
// covers and their weights (overlap / output width), which sum to 1.
func areaWeights(m, n int) [][]tap {
	out := make([][]tap, n)
	scale := float64(m) / float64(n)
	for o := range n {
		lo, hi := float64(o)*scale, float64(o+1)*scale
		for i := int(lo); i < m && float64(i) < hi; i++ {
			ov := min(hi, float64(i+1)) - max(lo, float64(i))
			if ov > 0 {
				out[o] = append(out[o], tap{i, ov / scale})
			}
		}
	}
	return out
}
