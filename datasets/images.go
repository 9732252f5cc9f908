package datasets

import "fmt"

// Images is a labelled image set. X holds N images of C×H×W pixels, row-major (image, channel,
// row, column), as float32 scaled to [0,1] by pixel/255 (computed in float32). Y holds the N labels,
// or is nil for a set read from an images-only file (see ReadIDXImages). Attrs holds, for a
// dataset with attributes (celeba, the speech datasets), the N × len(Dataset.Attrs) values,
// row-major, attribute j's in 0 … Dataset.AttrClasses[j]−1 (for a binary attribute such as
// CelebA's, 1 present and 0 absent); it is nil for the others.
type Images struct {
	X          []float32
	Y          []int
	Attrs      []int32
	N, C, H, W int
}

// Attr returns the attribute values of image i (a sub-slice of Attrs, nil when the set has
// none). It panics if i is not in [0, N).
func (s *Images) Attr(i int) []int32 {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("datasets: row %d out of range [0, %d)", i, s.N))
	}
	if s.Attrs == nil {
		return nil
	}
	a := len(s.Attrs) / s.N
	return s.Attrs[i*a : (i+1)*a : (i+1)*a]
}

// Dim returns the number of values in one image, C*H*W.
func (s *Images) Dim() int { return s.C * s.H * s.W }

// Row returns the i-th image as a sub-slice of X (no copy: writes through it change the set).
// It panics if i is not in [0, N).
func (s *Images) Row(i int) []float32 {
	if i < 0 || i >= s.N {
		panic(fmt.Sprintf("datasets: row %d out of range [0, %d)", i, s.N))
	}
	d := s.Dim()
	return s.X[i*d : (i+1)*d : (i+1)*d]
}

// Subset returns a new set holding copies of the images (and labels and attributes, if any) at the given indices,
// in the given order; an index may repeat. It panics if an index is not in [0, N).
func (s *Images) Subset(idx []int) *Images {
	d := s.Dim()
	out := &Images{X: make([]float32, len(idx)*d), N: len(idx), C: s.C, H: s.H, W: s.W}
	if s.Y != nil {
		out.Y = make([]int, len(idx))
	}
	na := 0
	if s.Attrs != nil {
		na = len(s.Attrs) / max(s.N, 1)
		out.Attrs = make([]int32, len(idx)*na)
	}
	for j, i := range idx {
		copy(out.X[j*d:(j+1)*d], s.Row(i))
		if s.Y != nil {
			out.Y[j] = s.Y[i]
		}
		copy(out.Attrs[j*na:(j+1)*na], s.Attr(i))
	}
	return out
}

// Dataset is a named dataset split into a training and a test set; labels lie in [0, Classes).
// Attrs names the attributes each image carries in Images.Attrs (the 40 binary CelebA
// attributes, in the attribute file's order; a speech corpus's gender and speaker); it is nil
// for datasets with classes only. AttrClasses holds the number of values of each (2 for a
// binary one, the number of speakers for speaker); nil means every attribute is binary. Label
// is the attribute the labels are (celeba), "" for the others. Source describes the data in one
// line where its files do (a speech corpus's SOURCE.txt: "synthetic speech: …"), "" otherwise.
//
// ClassNames names the classes where the data does (an image folder's class folders or
// labels, sorted: class i is ClassNames[i]); nil for the others. Skipped lists the images an
// image folder skipped as unreadable (Spec.SkipBad), each "path: reason".
type Dataset struct {
	Name        string
	Classes     int
	ClassNames  []string
	Skipped     []string
	Attrs       []string
	AttrClasses []int
	Label       string
	Source      string
	Train, Test *Images
}

// scaleTable maps a pixel byte v to float32(v)/255.
func scaleTable() *[256]float32 {
	var t [256]float32
	for v := range t {
		t[v] = float32(v) / 255
	}
	return &t
}

// toFloat converts pixel bytes to float32 scaled to [0,1].
func toFloat(pix []byte) []float32 {
	t := scaleTable()
	out := make([]float32, len(pix))
	for i, b := range pix {
		out[i] = t[b]
	}
	return out
}
