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
	CelebAAttrFile      = "list_attr_celeba.txt"
	CelebAImagesDir     = "img_align_celeba"
	CelebAPartitionFile = "list_eval_partition.txt"
)

// DefaultCelebALabel is the attribute Load uses as the label of celeba when Spec.Label is "":
// Male: a private attribute a face gives away, and near balance (about 42% of the images are
// male).
const DefaultCelebALabel = "Male"

// The official CelebA partitions of list_eval_partition.txt.
const (
	celebATrain = 0
	celebAVal   = 1
	celebATest  = 2
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
	attrPath, imgDir, attrs, err := readCelebAFolder(dir, opt.Limit)
	if err != nil {
		return nil, err
	}
	out, err := decodeCelebA(imgDir, attrPath, attrs, seqIdx(len(attrs.Files)), size)
	if err != nil {
		return nil, err
	}
	return &CelebA{Images: out, Attrs: attrs}, nil
}

// seqIdx returns 0, 1, …, n−1.
func seqIdx(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// decodeCelebA reads, crops and downscales the images of the attribute entries idx into one
// set of size×size images, in that order; Y and Attrs are left to the caller.
func decodeCelebA(imgDir, attrPath string, attrs *CelebAAttrs, idx []int, size int) (*Images, error) {
	n := len(idx)
	plane := size * size
	out := &Images{X: make([]float32, n*3*plane), N: n, C: 3, H: size, W: size}
	for o, i := range idx {
		p := filepath.Join(imgDir, attrs.Files[i])
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
		downscale(out.X[o*3*plane:(o+1)*3*plane], img, size)
	}
	return out, nil
}

// CelebAAttrNames returns the attribute names of the CelebA folder dir (line 2 of its
// list_attr_celeba.txt, found as LoadCelebA finds it) without reading the rest of the file:
// a cheap check of a label or attribute name before a long load. Errors are those
// ReadCelebAAttrs gives for the first two lines.
func CelebAAttrNames(dir string) ([]string, error) {
	attrPath, err := findCelebA(dir, CelebAAttrFile, "Anno")
	if err != nil {
		return nil, err
	}
	f, err := Open(attrPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxCelebALine)
	var head []string
	for len(head) < 2 && sc.Scan() {
		head = append(head, sc.Text())
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("datasets: %s:%d: line longer than %d bytes", attrPath, len(head)+1, maxCelebALine)
		}
		return nil, fmt.Errorf("datasets: %s: %w", attrPath, err)
	}
	if len(head) == 0 {
		return nil, fmt.Errorf("datasets: %s:1: file ends before the image count (line 1)", attrPath)
	}
	// The count line is checked as ReadCelebAAttrs checks it; the names line by
	// ReadCelebAAttrs itself, behind a count of 0 so that the missing entries are no error.
	text := strings.TrimRight(head[0], " \t\r")
	if count, err := strconv.Atoi(strings.TrimSpace(text)); err != nil || count < 0 {
		return nil, fmt.Errorf("datasets: %s:1: %q, want the number of images (an integer ≥ 0)", attrPath, truncate(text))
	}
	a, err := ReadCelebAAttrs(strings.NewReader("0\n"+strings.Join(head[1:], "")), attrPath, 0)
	if err != nil {
		return nil, err
	}
	return a.Names, nil
}

// ReadCelebAPartition parses list_eval_partition.txt from r, CelebA's official split: one line
// per image, its file name and 0 (train), 1 (validation) or 2 (test). name is used in errors,
// which give the line, as ReadCelebAAttrs's do. It returns each file's partition and line.
func ReadCelebAPartition(r io.Reader, name string) (part map[string]int8, lines map[string]int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxCelebALine)
	line := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("datasets: %s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	part, lines = map[string]int8{}, map[string]int{}
	blankAt := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			if blankAt == 0 {
				blankAt = line
			}
			continue
		}
		if blankAt != 0 {
			line = blankAt
			return nil, nil, fail("empty line among the entries")
		}
		fields := strings.Fields(text)
		if len(fields) != 2 {
			return nil, nil, fail("%d fields, want a file name and a partition (0, 1 or 2)", len(fields))
		}
		file := fields[0]
		if strings.ContainsAny(file, `/\`) || file == "." || file == ".." {
			return nil, nil, fail("file name %q, want a plain file name in %s/", truncate(file), CelebAImagesDir)
		}
		var p int8
		switch fields[1] {
		case "0":
			p = celebATrain
		case "1":
			p = celebAVal
		case "2":
			p = celebATest
		default:
			return nil, nil, fail("%s: partition %q, want 0 (train), 1 (validation) or 2 (test)", truncate(file), truncate(fields[1]))
		}
		if prev, dup := lines[file]; dup {
			return nil, nil, fail("%s listed again (first at line %d)", truncate(file), prev)
		}
		part[file], lines[file] = p, line
	}
	if err := sc.Err(); err != nil {
		line++
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, fail("line longer than %d bytes", maxCelebALine)
		}
		return nil, nil, fmt.Errorf("datasets: %s: %w", name, err)
	}
	return part, lines, nil
}

// readCelebAFolder finds the attribute file and the image folder of the CelebA layout under
// dir and reads the attribute file's first limit rows (0 = all).
func readCelebAFolder(dir string, limit int) (attrPath, imgDir string, attrs *CelebAAttrs, err error) {
	if attrPath, err = findCelebA(dir, CelebAAttrFile, "Anno"); err != nil {
		return "", "", nil, err
	}
	if imgDir, err = findCelebA(dir, CelebAImagesDir, "Img"); err != nil {
		return "", "", nil, err
	}
	f, err := Open(attrPath)
	if err != nil {
		return "", "", nil, err
	}
	defer f.Close()
	attrs, err = ReadCelebAAttrs(f, attrPath, limit)
	return attrPath, imgDir, attrs, err
}

// loadCelebA is Load for celeba: the attribute file in full, the partition file if present,
// then only the images the limits keep.
func loadCelebA(dir string, s Spec) (*Dataset, error) {
	attrPath, imgDir, attrs, err := readCelebAFolder(dir, 0)
	if err != nil {
		return nil, err
	}
	label := s.Label
	if label == "" {
		label = DefaultCelebALabel
	}
	li := slices.Index(attrs.Names, label)
	if li < 0 {
		return nil, fmt.Errorf("datasets: celeba: label %q is not an attribute of %s (line 2 names %s)", label, attrPath, strings.Join(attrs.Names, ", "))
	}
	train, test, err := celebASplit(dir, attrPath, attrs)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Name: "celeba", Classes: 2, Attrs: attrs.Names, Label: label}
	for _, sp := range []struct {
		set   **Images
		idx   []int
		limit int
		what  string
	}{{&d.Train, train, s.TrainLimit, "training"}, {&d.Test, test, s.TestLimit, "test"}} {
		if sp.limit > len(sp.idx) {
			return nil, fmt.Errorf("datasets: %s: limit %d, but the %s split holds only %d images", attrPath, sp.limit, sp.what, len(sp.idx))
		}
		if sp.limit > 0 {
			sp.idx = sp.idx[:sp.limit]
		}
		im, err := decodeCelebA(imgDir, attrPath, attrs, sp.idx, DefaultCelebASize)
		if err != nil {
			return nil, err
		}
		na := len(attrs.Names)
		im.Y = make([]int, im.N)
		im.Attrs = make([]int32, im.N*na)
		for o, i := range sp.idx {
			row := attrs.Values[i*na : (i+1)*na]
			im.Y[o] = int(row[li])
			for j, v := range row {
				im.Attrs[o*na+j] = int32(v)
			}
		}
		*sp.set = im
	}
	return d, nil
}

// celebASplit returns the attribute-file indices of the training and test images: by the
// official partition when dir holds list_eval_partition.txt (or Eval/list_eval_partition.txt,
// as the distribution has it), training 0 and test 2, validation unused; else the last tenth
// of the attribute file (rounded up) is the test split, the rest training (the official test
// images are also the file's last).
func celebASplit(dir, attrPath string, attrs *CelebAAttrs) (train, test []int, err error) {
	n := len(attrs.Files)
	p, err := lookCelebA(dir, CelebAPartitionFile, "Eval")
	if err != nil {
		return nil, nil, err
	}
	if p == "" {
		nTest := (n + 9) / 10
		return seqIdx(n - nTest), seqIdx(n)[n-nTest:], nil
	}
	f, err := Open(p)
	if err != nil {
		return nil, nil, err
	}
	part, _, err := ReadCelebAPartition(f, p)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	for i, file := range attrs.Files {
		v, ok := part[file]
		if !ok {
			return nil, nil, fmt.Errorf("datasets: %s: no partition for %s (listed at %s:%d)", p, file, attrPath, attrs.Lines[i])
		}
		switch v {
		case celebATrain:
			train = append(train, i)
		case celebATest:
			test = append(test, i)
		}
	}
	return train, test, nil
}

// findCelebA returns dir/name, or dir/sub/name when only that exists.
func findCelebA(dir, name, sub string) (string, error) {
	p, err := lookCelebA(dir, name, sub)
	if err == nil && p == "" {
		err = fmt.Errorf("datasets: celeba: %s: no %s (nor %s)", dir, name, filepath.Join(sub, name))
	}
	return p, err
}

// lookCelebA returns dir/name, or dir/sub/name when only that exists, or "" when neither does.
func lookCelebA(dir, name, sub string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, sub, name)} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("datasets: celeba: %w", err)
		}
	}
	return "", nil
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
