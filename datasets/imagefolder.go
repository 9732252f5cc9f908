package datasets

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	// The formats an image folder may hold besides the standard library's PNG, JPEG and GIF.
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
)

// ImageFolderName is the dataset name of your own images (Spec.Name).
const ImageFolderName = "image-folder"

// The manifest files of an image folder in manifest form, one per split.
const (
	ImageFolderTrainCSV = "train.csv"
	ImageFolderTestCSV  = "test.csv"
)

// imageExts are the file extensions an image folder's images may have (lower case): the
// formats image.Decode reads here (PNG, JPEG, GIF from the standard library; BMP, TIFF, WebP
// from golang.org/x/image).
var imageExts = []string{".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// ImageExts lists the file extensions an image folder's images may have.
func ImageExts() []string { return slices.Clone(imageExts) }

// imageEntry is one image of an image folder: its file, label and attribute values.
type imageEntry struct {
	path  string
	label int
	attrs []int32
	where string // for errors: the manifest line naming it, "" in folder form
}

// imageFolder is an image folder as listed on disk, before any image is read.
type imageFolder struct {
	classes     []string
	attrs       []string // manifest form: the attribute columns
	attrValues  [][]string
	train, test []imageEntry
}

// ImageFolderClasses returns the class names of the image folder dir, sorted, without
// reading any image: the subfolders of dir/train (folder form) or the labels of
// dir/train.csv (manifest form).
func ImageFolderClasses(dir string) ([]string, error) {
	f, err := listImageFolder(dir)
	if err != nil {
		return nil, err
	}
	return f.classes, nil
}

// imageFolderAttrNames returns the attribute columns of an image folder's manifest (nil in
// folder form).
func imageFolderAttrNames(dir string) ([]string, error) {
	f, err := listImageFolder(dir)
	if err != nil {
		return nil, err
	}
	return f.attrs, nil
}

// listImageFolder lists an image folder in either form (see the package documentation).
func listImageFolder(dir string) (*imageFolder, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("datasets: %s: %s: no such directory", ImageFolderName, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, ImageFolderTrainCSV)); err == nil {
		return readManifests(dir)
	}
	f := &imageFolder{}
	trainDir, testDir := filepath.Join(dir, "train"), filepath.Join(dir, "test")
	var err error
	if f.classes, err = subfolders(trainDir); err != nil {
		return nil, err
	}
	if len(f.classes) < 2 {
		return nil, fmt.Errorf("datasets: %s: %d class folders, need at least 2 (one subfolder of images per class; or list the images in %s and %s)", trainDir, len(f.classes), ImageFolderTrainCSV, ImageFolderTestCSV)
	}
	testClasses, err := subfolders(testDir)
	if err != nil {
		return nil, err
	}
	for _, c := range testClasses {
		if !slices.Contains(f.classes, c) {
			return nil, fmt.Errorf("datasets: %s: class %s has no training folder (%s)", filepath.Join(testDir, c), c, filepath.Join(trainDir, c))
		}
	}
	for _, sp := range []struct {
		dir     string
		classes []string
		out     *[]imageEntry
	}{{trainDir, f.classes, &f.train}, {testDir, testClasses, &f.test}} {
		for _, c := range sp.classes {
			files, err := imageFiles(filepath.Join(sp.dir, c))
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("datasets: %s: no images (%s)", filepath.Join(sp.dir, c), strings.Join(imageExts, ", "))
			}
			label, _ := slices.BinarySearch(f.classes, c)
			for _, name := range files {
				*sp.out = append(*sp.out, imageEntry{path: filepath.Join(sp.dir, c, name), label: label})
			}
		}
	}
	return f, nil
}

// subfolders lists the names of the folders in dir, sorted, hidden ones (starting with '.')
// left out.
func subfolders(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("datasets: %s: %s: no such directory (an image folder holds train/<class>/ and test/<class>/, or %s and %s)", ImageFolderName, dir, ImageFolderTrainCSV, ImageFolderTestCSV)
		}
		return nil, fmt.Errorf("datasets: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// imageFiles lists the images in dir by extension (case-insensitive), sorted; other files and
// hidden ones are ignored.
func imageFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.IsDir() && !strings.HasPrefix(n, ".") && slices.Contains(imageExts, strings.ToLower(filepath.Ext(n))) {
			out = append(out, n)
		}
	}
	return out, nil
}

// attackNames are the attribute names the attribute attack gives a meaning of its own; a
// manifest column may not be called so.
var attackNames = []string{"label", "ink", "colour"}

// readManifests reads dir/train.csv and dir/test.csv: a header path,label[,attribute…], then
// one line per image, its path relative to dir, its class name and its attribute values
// (any text). The classes are the training labels, sorted; an attribute's values are those
// of both files, sorted (as numbers when all are integers).
func readManifests(dir string) (*imageFolder, error) {
	f := &imageFolder{}
	type row struct {
		label string
		attrs []string
		e     imageEntry
	}
	var rows [2][]row
	for s, name := range []string{ImageFolderTrainCSV, ImageFolderTestCSV} {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("datasets: %s: no such file (an image folder with %s needs %s beside it)", p, ImageFolderTrainCSV, name)
			}
			return nil, fmt.Errorf("datasets: %w", err)
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		header, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("datasets: %s:%d: %v", p, max(csvLine(err), 1), csvErr(err))
		}
		for i := range header {
			header[i] = strings.TrimSpace(header[i])
		}
		if len(header) < 2 || header[0] != "path" || header[1] != "label" {
			return nil, fmt.Errorf("datasets: %s:1: header %q, want path,label[,attribute,…]", p, truncate(strings.Join(header, ",")))
		}
		if s == 0 {
			f.attrs = header[2:]
			for j, a := range f.attrs {
				if a == "" || slices.Contains(attackNames, a) || slices.Contains(f.attrs[:j], a) {
					return nil, fmt.Errorf("datasets: %s:1: attribute column %q: need a name, not repeated, not one of %s (the attribute attack's own)", p, truncate(a), strings.Join(attackNames, ", "))
				}
			}
		} else if !slices.Equal(header[2:], f.attrs) {
			return nil, fmt.Errorf("datasets: %s:1: attribute columns %q, but %s has %q", p, truncate(strings.Join(header[2:], ",")), ImageFolderTrainCSV, truncate(strings.Join(f.attrs, ",")))
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("datasets: %s:%d: %v", p, csvLine(err), csvErr(err))
			}
			line, _ := r.FieldPos(0)
			if len(rec) != len(header) {
				return nil, fmt.Errorf("datasets: %s:%d: %d fields, the header has %d", p, line, len(rec), len(header))
			}
			rel := strings.TrimSpace(rec[0])
			if rel == "" || filepath.IsAbs(rel) {
				return nil, fmt.Errorf("datasets: %s:%d: path %q, need a path relative to %s", p, line, truncate(rel), dir)
			}
			label := strings.TrimSpace(rec[1])
			if label == "" {
				return nil, fmt.Errorf("datasets: %s:%d: empty label", p, line)
			}
			attrs := rec[2:]
			for j := range attrs {
				attrs[j] = strings.TrimSpace(attrs[j])
			}
			rows[s] = append(rows[s], row{label, attrs, imageEntry{path: filepath.Join(dir, rel), where: fmt.Sprintf("%s:%d", p, line)}})
		}
		if len(rows[s]) == 0 {
			return nil, fmt.Errorf("datasets: %s: no images listed", p)
		}
	}
	for _, r := range rows[0] {
		f.classes = append(f.classes, r.label)
	}
	f.classes = sortedUnique(f.classes)
	if len(f.classes) < 2 {
		return nil, fmt.Errorf("datasets: %s: %d classes, need at least 2", filepath.Join(dir, ImageFolderTrainCSV), len(f.classes))
	}
	f.attrValues = make([][]string, len(f.attrs))
	for j := range f.attrs {
		var vals []string
		for s := range rows {
			for _, r := range rows[s] {
				vals = append(vals, r.attrs[j])
			}
		}
		f.attrValues[j] = sortValues(sortedUnique(vals))
	}
	for s, out := range []*[]imageEntry{&f.train, &f.test} {
		for _, r := range rows[s] {
			label, ok := slices.BinarySearch(f.classes, r.label)
			if !ok {
				return nil, fmt.Errorf("datasets: %s: label %q is not a class of %s", r.e.where, truncate(r.label), ImageFolderTrainCSV)
			}
			e := r.e
			e.label = label
			for j, v := range r.attrs {
				e.attrs = append(e.attrs, int32(slices.Index(f.attrValues[j], v)))
			}
			*out = append(*out, e)
		}
	}
	return f, nil
}

// csvErr strips the position encoding/csv puts in its errors (the caller gives the line).
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// csvLine is the line of an encoding/csv parse error, 0 for another error.
func csvLine(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return 0
}

// sortValues orders distinct attribute values: as numbers when all are integers, else as
// text (sortedUnique's order).
func sortValues(vals []string) []string {
	nums := make([]int, len(vals))
	for i, v := range vals {
		n, err := strconv.Atoi(v)
		if err != nil {
			return vals
		}
		nums[i] = n
	}
	out := slices.Clone(vals)
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return cmp.Compare(x, y)
	})
	return out
}

// shuffledImages returns the entries sorted by path and then permuted by a PCG generator with
// a constant seed, as shuffled does for speech: the same order for the same files.
func shuffledImages(es []imageEntry) []imageEntry {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b imageEntry) int { return cmp.Compare(a.path, b.path) })
	rng := rand.New(rand.NewPCG(0x1a6e, 0xf01d)) // arbitrary constants: the order is part of the format
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// loadImageFolder is Load for an image folder (see the package documentation).
func loadImageFolder(dir string, s Spec) (*Dataset, error) {
	if s.Height < 1 || s.Width < 1 || s.Height > maxImageSide || s.Width > maxImageSide {
		return nil, fmt.Errorf("datasets: %s: size %d×%d, need a height and width in 1..%d", ImageFolderName, s.Height, s.Width, maxImageSide)
	}
	ch := cmp.Or(s.Channels, 3)
	if ch != 1 && ch != 3 {
		return nil, fmt.Errorf("datasets: %s: %d channels, need 1 (grey) or 3 (RGB)", ImageFolderName, ch)
	}
	f, err := listImageFolder(dir)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Name: ImageFolderName, Classes: len(f.classes), ClassNames: f.classes, Attrs: f.attrs}
	for _, v := range f.attrValues {
		d.AttrClasses = append(d.AttrClasses, len(v))
	}
	for _, sp := range []struct {
		set   **Images
		es    []imageEntry
		limit int
		what  string
	}{{&d.Train, f.train, s.TrainLimit, "training"}, {&d.Test, f.test, s.TestLimit, "test"}} {
		es := shuffledImages(sp.es)
		want := len(es)
		if sp.limit > 0 {
			want = sp.limit
		}
		if want > len(es) {
			return nil, fmt.Errorf("datasets: %s: %s: limit %d, but the %s split holds only %d images", ImageFolderName, dir, sp.limit, sp.what, len(es))
		}
		if len(es) == 0 {
			return nil, fmt.Errorf("datasets: %s: %s: the %s split holds no images", ImageFolderName, dir, sp.what)
		}
		if *sp.set, err = decodeImages(d, es, want, ch, s); err != nil {
			return nil, err
		}
		if sp.limit > 0 && (*sp.set).N < sp.limit {
			return nil, fmt.Errorf("datasets: %s: %s: limit %d, but only %d %s images could be read (%d skipped)", ImageFolderName, dir, sp.limit, (*sp.set).N, sp.what, len(d.Skipped))
		}
	}
	return d, nil
}

// maxImageSide bounds an image folder's size, so that a typo cannot ask for terabytes.
const maxImageSide = 4096

// decodeImages reads the first want images of es that decode (all of them must, unless
// s.SkipBad: the others are then recorded in d.Skipped) into one set of ch×H×W images.
func decodeImages(d *Dataset, es []imageEntry, want, ch int, s Spec) (*Images, error) {
	dim := ch * s.Height * s.Width
	out := &Images{X: make([]float32, 0, want*dim), C: ch, H: s.Height, W: s.Width}
	if len(d.Attrs) > 0 {
		out.Attrs = make([]int32, 0, want*len(d.Attrs))
	}
	buf := make([]float32, dim)
	for _, e := range es {
		if out.N == want {
			break
		}
		if err := readImage(buf, e.path, ch, s.Height, s.Width); err != nil {
			if e.where != "" {
				err = fmt.Errorf("%w (listed at %s)", err, e.where)
			}
			if !s.SkipBad {
				return nil, err
			}
			d.Skipped = append(d.Skipped, strings.TrimPrefix(err.Error(), "datasets: "))
			continue
		}
		out.X = append(out.X, buf...)
		out.Y = append(out.Y, e.label)
		out.Attrs = append(out.Attrs, e.attrs...)
		out.N++
	}
	return out, nil
}

// readImage decodes the image file at path and writes it, fitted to h×w (fitImage), as ch
// planes of values in [0,1] into dst.
func readImage(dst []float32, path string, ch, h, w int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("datasets: %s: no such image", path)
		}
		return fmt.Errorf("datasets: %w", err)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("datasets: %s: cannot decode the image: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 {
		return fmt.Errorf("datasets: %s: an empty %s image", path, format)
	}
	fitImage(dst, img, ch, h, w)
	return nil
}

// fitImage writes img, fitted to h×w, into dst as ch planes of values /255: scaled by the
// factor that makes it cover h×w while keeping its aspect ratio, and cropped to h×w around
// the centre; each output pixel is the mean of the source area it covers (source pixels
// weighted by their overlap with it), so an image of the size itself is copied exactly and
// one of twice the size is averaged over 2×2 blocks. With ch = 1 a colour pixel becomes its
// luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601; a grey pixel stays as it is); transparent
// pixels count as black (Go's premultiplied alpha).
func fitImage(dst []float32, img image.Image, ch, h, w int) {
	b := img.Bounds()
	sh, sw := b.Dy(), b.Dx()
	src := make([]float64, ch*sh*sw)
	for y := range sh {
		for x := range sw {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // 16-bit, v·257 for 8-bit v
			rv, gv, bv := float64(r)/257, float64(g)/257, float64(bl)/257
			if ch == 1 {
				v := rv
				if r != g || g != bl {
					v = 0.299*rv + 0.587*gv + 0.114*bv
				}
				src[y*sw+x] = v
				continue
			}
			src[y*sw+x], src[sh*sw+y*sw+x], src[2*sh*sw+y*sw+x] = rv, gv, bv
		}
	}
	scale := math.Max(float64(h)/float64(sh), float64(w)/float64(sw)) // output pixels per input pixel
	rowTaps := coverWeights(sh, h, scale)
	colTaps := coverWeights(sw, w, scale)
	rows := make([]float64, h*sw)
	for c := range ch {
		in := src[c*sh*sw : (c+1)*sh*sw]
		clear(rows)
		for o, taps := range rowTaps {
			for _, t := range taps {
				for x := range sw {
					rows[o*sw+x] += t.w * in[t.i*sw+x]
				}
			}
		}
		for oy := range h {
			for ox, taps := range colTaps {
				var s float64
				for _, t := range taps {
					s += t.w * rows[oy*sw+t.i]
				}
				dst[c*h*w+oy*w+ox] = float32(s) / 255
			}
		}
	}
}

// coverWeights returns, for each of n output samples cut from m input samples scaled by
// scale (n ≤ m·scale) around the centre, the input samples it covers and their weights
// (overlap / output width in input units), which sum to 1.
func coverWeights(m, n int, scale float64) [][]tap {
	out := make([][]tap, n)
	off := (float64(m)*scale - float64(n)) / 2 // cropped off before the first output sample
	for o := range n {
		lo, hi := (float64(o)+off)/scale, (float64(o+1)+off)/scale
		for i := max(int(lo), 0); i < m && float64(i) < hi; i++ {
			if ov := min(hi, float64(i+1)) - max(lo, float64(i)); ov > 1e-12 {
				out[o] = append(out[o], tap{i, ov * scale})
			}
		}
	}
	return out
}
