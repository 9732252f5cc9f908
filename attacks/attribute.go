package attacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/datamix/harness/attacks/algo"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/metrics"
)

// The attribute names an attribute attack may predict.
const (
	AttrLabel  = "label"  // the class label (the digit for MNIST)
	AttrInk    = "ink"    // mean intensity above the median of the auxiliary images
	AttrColour = "colour" // the channel with the largest mean (3-channel images only)
)

// Attributes lists the attribute names every dataset has, in a fixed order. A dataset with
// attributes of its own (celeba: Male, Smiling, …; Env.Attrs) adds those, by their names.
func Attributes() []string { return []string{AttrLabel, AttrInk, AttrColour} }

// AttrColumn is the column name part of attribute a: a lower-cased, so that CelebA's Male is
// reported as <prefix>_male_acc.
func AttrColumn(a string) string { return strings.ToLower(a) }

// DefaultAttributes are the attributes inferred when a spec lists none: the label and ink for
// grey images (the digit of the dominant member and "ink mass above/below the median", the
// grey-image analogue of the "colour of the cat" that DataMix's paper gives as private
// information), the label and the dominant colour for colour images.
func DefaultAttributes(channels int) []string {
	if channels == 3 {
		return []string{AttrLabel, AttrColour}
	}
	return []string{AttrLabel, AttrInk}
}

// KindAttribute is the attribute-inference attack: a classifier on uploads predicts a private
// attribute.
const KindAttribute = "attribute"

// attribute is the attribute-inference attack: a one-vs-rest ridge classifier trained on
// simulated uploads of auxiliary images predicts attributes of each upload's dominant member:
// built-in ones (label, ink, colour) or ones the dataset carries (Env.Attrs: CelebA's binary
// Male, Smiling, …; a speech corpus's binary gender and its speaker identity, one class per
// speaker), one block of outputs per attribute, as wide as the attribute has values; its estimate is the predicted class of each
// attribute per upload (Predictions). Columns <name>_<attr>_acc and
// <name>_<attr>_chance (the majority-class rate on the victims scored), <attr> lower-cased
// (AttrColumn). A multi-class attribute can be learnt only for values the auxiliary images
// show: the notes count the victims whose value none of them has (a speaker of Speech
// Commands' test split, which keeps speakers apart, say). An attribute the dataset lacks is an error: the config is checked against the
// data before anything trains, so it cannot be a matter of applicability. Colour on grey
// images is skipped here rather than as a Need: it depends on the images, and the experiment
// config rejects it before anything runs.
type attribute struct{}

func (attribute) Name() string      { return KindAttribute }
func (attribute) Prefix() string    { return "attr" }
func (attribute) Needs() []Need     { return []Need{needAuxUploads} }
func (attribute) Options() []Option { return []Option{OptionAttributes} }

func (attribute) Columns(s Spec, channels int) []string {
	attrs := s.Attributes
	if len(attrs) == 0 {
		attrs = DefaultAttributes(channels)
	}
	var names []string
	for _, a := range attrs {
		names = append(names, AttrColumn(a)+"_acc", AttrColumn(a)+"_chance")
	}
	return names
}

func (attribute) run(a *attack) error {
	ch, _, _ := a.env.Net.InputShape()
	usable, unusable, err := a.attributes(ch)
	if err != nil {
		return err
	}
	if len(usable) == 0 {
		return a.skip("attribute colour needs 3-channel images, these have %d", ch)
	}
	set, err := a.auxUploads()
	if err != nil {
		return err
	}
	aux, up, dom := set.images, set.up, set.dom
	ink := medianInk(aux)
	n := len(dom)
	d := len(up) / n
	nv := a.victims()
	tg := newAttrTargets(usable, aux, a.env.Classes, ink, a.env.Attrs, a.env.AttrClasses)
	clf, err := algo.FitRidge(dense32(up, n, d), tg.oneHot(dom), a.env.RNG, algo.ClassLoss(tg.blocks))
	if err != nil {
		return err
	}
	est := tg.predict(usable, clf.Predict(dense32(a.canon(set.scheme, a.obs.Uploads[:nv*d]), nv, d)))
	truth := a.reveal(est)
	a.scoreAttributes(usable, est, truth.Images.Subset(seq(nv)), ink, truth, tg)
	a.headNote()
	a.note("coefficients %s", set.desc)
	a.note("grouping not needed (classifies each upload alone)")
	if slices.Contains(usable, AttrInk) {
		a.note("target: attributes %v of each upload's dominant member; ink threshold %.4g (median of auxiliary images)", usable, ink)
	} else {
		a.note("target: attributes %v of each upload's dominant member", usable)
	}
	if len(unusable) > 0 {
		a.note("skipped %v: needs 3-channel images", unusable)
	}
	a.note("one-vs-rest ridge classifier on %d auxiliary training images (alpha %g), %d test victims", aux.N, clf.Alpha, nv)
	a.done()
	return nil
}

// attributes returns the attributes the spec asks for (DefaultAttributes when it names none)
// split into those the images of ch channels allow and those they do not (colour on grey
// images). An attribute the images lack is an error.
func (a *attack) attributes(ch int) (usable, unusable []string, err error) {
	names := a.Attributes
	if len(names) == 0 {
		names = DefaultAttributes(ch)
	}
	for _, n := range names {
		if !knownAttr(n, a.env.Attrs) {
			have := slices.Concat(Attributes(), a.env.Attrs)
			return nil, nil, fmt.Errorf("no attribute %q on these images, want one of %s", n, strings.Join(have, ", "))
		}
		if n == AttrColour && ch != 3 {
			unusable = append(unusable, n)
			continue
		}
		usable = append(usable, n)
	}
	return usable, unusable, nil
}

// attrTargets holds, per inferred attribute, its values on the auxiliary images and its number
// of classes: the width of its block of classifier outputs.
type attrTargets struct {
	aux    [][]int
	blocks []int
}

// newAttrTargets computes the values of the attributes names on the auxiliary images
// (attrValues, with the ink threshold of the auxiliary images).
func newAttrTargets(names []string, aux *datasets.Images, classes int, ink float64, attrs []string, attrClasses []int) attrTargets {
	var t attrTargets
	for _, name := range names {
		av, n := attrValues(name, aux, classes, ink, attrs, attrClasses)
		t.aux = append(t.aux, av)
		t.blocks = append(t.blocks, n)
	}
	return t
}

// unseen counts the values in vals (of attribute i) that no auxiliary image has.
func (t attrTargets) unseen(i int, vals []int) int {
	seen := make([]bool, t.blocks[i])
	for _, v := range t.aux[i] {
		seen[v] = true
	}
	n := 0
	for _, v := range vals {
		if !seen[v] {
			n++
		}
	}
	return n
}

// oneHot returns the classifier's targets for uploads whose dominant members are the
// auxiliary images dom: per upload, a one-hot block per attribute.
func (t attrTargets) oneHot(dom []int) *mat.Dense {
	width := 0
	for _, b := range t.blocks {
		width += b
	}
	y := mat.NewDense(len(dom), width, nil)
	for i, j := range dom {
		off := 0
		for a, b := range t.blocks {
			y.Set(i, off+t.aux[a][j], 1)
			off += b
		}
	}
	return y
}

// predict turns the classifier's outputs pred (one row per upload position) into the
// predicted class of each attribute names: the largest output of its block.
func (t attrTargets) predict(names []string, pred *mat.Dense) Predictions {
	nv, _ := pred.Dims()
	est := Predictions{}
	off := 0
	for i, name := range names {
		guess := make([]int, nv)
		for p := range nv {
			guess[p] = floats.MaxIdx(pred.RawRowView(p)[off : off+t.blocks[i]])
		}
		est[name] = guess
		off += t.blocks[i]
	}
	return est
}

// scoreAttributes scores the predictions est on the first victim uploads against the
// attributes of each upload's dominant member among victims (the first victims, in victim
// order): columns <attr>_acc and <attr>_chance, and a note of the victims whose value no
// auxiliary image of tg has.
func (a *attack) scoreAttributes(names []string, est Predictions, victims *datasets.Images, ink float64, truth *Truth, tg attrTargets) {
	at := truth.inputAt()
	for i, name := range names {
		vals, _ := attrValues(name, victims, a.env.Classes, ink, a.env.Attrs, a.env.AttrClasses)
		if n := tg.unseen(i, vals); n > 0 {
			a.note("%s: %d of %d victims have a value no auxiliary image has", name, n, victims.N)
		}
		guess := est[name]
		want := make([]int, len(guess))
		for p := range guess {
			want[p] = vals[truth.dominant(at[p], a.k)]
		}
		a.metric(AttrColumn(name)+"_acc", metrics.Accuracy(guess, want))
		a.metric(AttrColumn(name)+"_chance", metrics.Chance(want))
	}
}

// attrValues computes attribute name for every image of s; inkThreshold is the median mean
// intensity that splits "ink" (computed on the auxiliary images, so that attacker and scorer
// share one definition); attrs names the dataset's own attributes, stored in s.Attrs, and
// attrClasses their numbers of values (nil: all binary). It returns the values and the number
// of classes. The caller has checked the name (knownAttr).
func attrValues(name string, s *datasets.Images, classes int, inkThreshold float64, attrs []string, attrClasses []int) ([]int, int) {
	out := make([]int, s.N)
	switch name {
	case AttrLabel:
		copy(out, s.Y)
		return out, classes
	case AttrInk:
		for i := range s.N {
			if meanOf(s.Row(i)) > inkThreshold {
				out[i] = 1
			}
		}
		return out, 2
	case AttrColour:
		plane := s.H * s.W
		for i := range s.N {
			row := s.Row(i)
			best, bestMean := 0, -1.0
			for ch := range s.C {
				if m := meanOf(row[ch*plane : (ch+1)*plane]); m > bestMean {
					best, bestMean = ch, m
				}
			}
			out[i] = best
		}
		return out, s.C
	}
	j := slices.Index(attrs, name)
	if j < 0 || s.Attrs == nil {
		panic(fmt.Sprintf("attacks: unknown attribute %q", name))
	}
	n := 2
	if attrClasses != nil {
		n = attrClasses[j]
	}
	for i := range s.N {
		out[i] = int(s.Attr(i)[j])
		if out[i] < 0 || out[i] >= n {
			panic(fmt.Sprintf("attacks: attribute %s of image %d is %d, want 0..%d", name, i, out[i], n-1))
		}
	}
	return out, n
}

// knownAttr reports whether name is a built-in attribute or one of the dataset's.
func knownAttr(name string, attrs []string) bool {
	return slices.Contains(Attributes(), name) || slices.Contains(attrs, name)
}

func meanOf(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

func medianInk(s *datasets.Images) float64 {
	m := make([]float64, s.N)
	for i := range s.N {
		m[i] = meanOf(s.Row(i))
	}
	slices.Sort(m)
	return m[len(m)/2]
}
