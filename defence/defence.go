package defence

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Stage is where a defence acts on the edge.
type Stage int

// The stages, in the order the edge reaches them.
const (
	// BeforeMix acts on each input's features (the head's output), before mixing.
	BeforeMix Stage = iota
	// AfterMix acts on each upload, after mixing and before shuffling: what the cloud gets.
	AfterMix
	// Training acts only in mixing-aware training, as a term of the loss.
	Training
)

// String is the stage as configs spell it: before_mix, after_mix or training.
func (s Stage) String() string {
	switch s {
	case BeforeMix:
		return "before_mix"
	case AfterMix:
		return "after_mix"
	case Training:
		return "training"
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// ParseStage reads a stage as String writes it.
func ParseStage(s string) (Stage, error) {
	for _, st := range []Stage{BeforeMix, AfterMix, Training} {
		if st.String() == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("defence: stage %q, want before_mix, after_mix or training", s)
}

// Op is the operation a defence applies to a row of values: the part of a defence that
// training builds into its graph (package models) and inference applies (Stack.Apply).
type Op int

// The operations.
const (
	// OpAddScaled is y = x + Scale·σ(x)·e per row, e the draws, σ the row's standard deviation.
	OpAddScaled Op = iota + 1
	// OpMultiply is y = x ⊙ e, e the draws.
	OpMultiply
	// OpQuantise is per-row affine quantisation to Bits bits (Quantise), with a
	// straight-through gradient in training.
	OpQuantise
	// OpPenalty transforms nothing: Weight·dCor(X, H) joins the training loss (DCor).
	OpPenalty
)

// Form is what a defence does, as data: its operation and the operation's parameter.
type Form struct {
	Op     Op
	Scale  float64 // OpAddScaled
	Bits   int     // OpQuantise
	Weight float64 // OpPenalty
}

// Random reports whether the operation takes draws (Defence.Draw), one per value.
func (f Form) Random() bool { return f.Op == OpAddScaled || f.Op == OpMultiply }

// Cost is what a defence costs per row of values: edge and cloud operations, and, for a
// defence that sets the wire format (quantisation), the bytes of one upload; 0 leaves the
// float32 upload as it is.
type Cost struct {
	Edge, Cloud int64
	WireBytes   int64
}

// Defence is one edge-side defence. Values of the types of this package (Noise, Mask,
// Quantiser, NoPeek) implement it; New builds one by kind.
type Defence interface {
	// Kind is the defence's name as configs spell it: gaussian, laplace, offset, mask,
	// quantise or nopeek.
	Kind() string
	// Label is a short human-readable description with its strength: "gaussian σ=0.5".
	Label() string
	// Stage is where the defence acts.
	Stage() Stage
	// Form is its operation on rows.
	Form() Form
	// Draw fills e with the random input of one application (one value per value defended)
	// from rng; it does nothing for a defence whose Form is not Random.
	Draw(e []float32, rng *rand.Rand)
	// Cost is its cost per row of d values.
	Cost(d int) Cost
}

// Dist is the distribution of additive noise.
type Dist int

// The noise distributions.
const (
	Gaussian Dist = iota // N(0, 1)
	Laplace              // Laplace(0, 1/√2): variance 1, heavier tails
	Offset               // Uniform[0, 1): dense non-negative offsets
)

// Noise adds s·σ(x)·e to every value of a row, e drawn from Dist. For Gaussian and Laplace,
// Scale s is the noise's standard deviation in units of the row's own standard deviation
// σ(x); for Offset it is the largest offset in those units.
type Noise struct {
	Dist  Dist
	Scale float64
	At    Stage // BeforeMix or AfterMix
}

// Kind is gaussian, laplace or offset.
func (n Noise) Kind() string { return [...]string{"gaussian", "laplace", "offset"}[n.Dist] }

// Label is "gaussian σ=0.5", "laplace σ=0.5" or "offset 0.5", with the stage when it is not
// the kind's default.
func (n Noise) Label() string {
	l := n.Kind() + " σ=" + fmtNum(n.Scale)
	if n.Dist == Offset {
		l = "offset " + fmtNum(n.Scale)
	}
	return withStage(l, n.At, DefaultStage(n.Kind()))
}

// Stage is where the noise is added.
func (n Noise) Stage() Stage { return n.At }

// Form is OpAddScaled with the noise's scale.
func (n Noise) Form() Form { return Form{Op: OpAddScaled, Scale: n.Scale} }

// Draw fills e with standard draws of the noise's distribution.
func (n Noise) Draw(e []float32, rng *rand.Rand) {
	switch n.Dist {
	case Gaussian:
		for i := range e {
			e[i] = float32(rng.NormFloat64())
		}
	case Laplace:
		// A difference of two unit exponentials is Laplace(0, 1); scaling by 1/√2 makes
		// the variance 1 (Laplace(0, b) has variance 2b²).
		for i := range e {
			e[i] = float32((rng.ExpFloat64() - rng.ExpFloat64()) / math.Sqrt2)
		}
	case Offset:
		for i := range e {
			e[i] = float32(rng.Float64())
		}
	}
}

// Cost: the row's standard deviation (a sum and a sum of squares: 3 per value), one draw and
// a multiply-add per value.
func (n Noise) Cost(d int) Cost { return Cost{Edge: 6 * int64(d)} }

// Mask is dropout at the split layer: every value is kept with probability 1 − Rate and
// scaled by 1/(1 − Rate), so that its expectation is unchanged, or set to zero. Unlike the
// usual dropout it acts at inference too: the mask is the defence.
type Mask struct {
	Rate float64
	At   Stage // BeforeMix or AfterMix
}

// Kind is mask.
func (Mask) Kind() string { return "mask" }

// Label is "mask 0.3".
func (m Mask) Label() string { return withStage("mask "+fmtNum(m.Rate), m.At, BeforeMix) }

// Stage is where the mask is applied.
func (m Mask) Stage() Stage { return m.At }

// Form is OpMultiply.
func (Mask) Form() Form { return Form{Op: OpMultiply} }

// Draw fills e with the scaled mask: 1/(1 − Rate) with probability 1 − Rate, else 0.
func (m Mask) Draw(e []float32, rng *rand.Rand) {
	keep := float32(1 / (1 - m.Rate))
	for i := range e {
		if rng.Float64() < m.Rate {
			e[i] = 0
		} else {
			e[i] = keep
		}
	}
}

// Cost: one draw and one multiplication per value.
func (Mask) Cost(d int) Cost { return Cost{Edge: 2 * int64(d)} }

// Quantiser sends every upload as Bits-bit codes of a uniform grid between the upload's
// minimum and maximum (Quantise), which the cloud decodes. It acts after mixing: it is the
// wire format.
type Quantiser struct{ Bits int }

// Kind is quantise.
func (Quantiser) Kind() string { return "quantise" }

// Label is "quant 4 bit".
func (q Quantiser) Label() string { return fmt.Sprintf("quant %d bit", q.Bits) }

// Stage is AfterMix.
func (Quantiser) Stage() Stage { return AfterMix }

// Form is OpQuantise with the number of bits.
func (q Quantiser) Form() Form { return Form{Op: OpQuantise, Bits: q.Bits} }

// Draw does nothing: quantisation is deterministic.
func (Quantiser) Draw([]float32, *rand.Rand) {}

// Cost: the edge finds the row's minimum and maximum (2 comparisons per value) and encodes
// each value (a subtraction, a multiplication, a rounding); the cloud decodes each (a
// multiply-add). An upload is ⌈d·Bits/8⌉ bytes of codes plus lo and Δ as two float32.
func (q Quantiser) Cost(d int) Cost {
	return Cost{Edge: 5 * int64(d), Cloud: 2 * int64(d), WireBytes: (int64(d)*int64(q.Bits)+7)/8 + 8}
}

// NoPeek adds Weight·dCor(X, H) to the training loss, X a batch's inputs and H their head
// outputs (before mixing and before any other defence). It changes the weights the edge
// runs, nothing at inference.
type NoPeek struct{ Weight float64 }

// Kind is nopeek.
func (NoPeek) Kind() string { return "nopeek" }

// Label is "nopeek 0.1".
func (p NoPeek) Label() string { return "nopeek " + fmtNum(p.Weight) }

// Stage is Training.
func (NoPeek) Stage() Stage { return Training }

// Form is OpPenalty with the weight.
func (p NoPeek) Form() Form { return Form{Op: OpPenalty, Weight: p.Weight} }

// Draw does nothing.
func (NoPeek) Draw([]float32, *rand.Rand) {}

// Cost is zero: the penalty acts in training only.
func (NoPeek) Cost(int) Cost { return Cost{} }

// Kinds lists the defence kinds New knows.
func Kinds() []string { return []string{"gaussian", "laplace", "offset", "mask", "quantise", "nopeek"} }

// DefaultStage is the stage a kind acts at unless told otherwise: gaussian and laplace noise
// on the uploads (after mixing), offsets and masks on the features (before mixing),
// quantisation after mixing, NoPeek in training.
func DefaultStage(kind string) Stage {
	switch kind {
	case "offset", "mask":
		return BeforeMix
	case "nopeek":
		return Training
	}
	return AfterMix
}

// Stages lists the stages a kind may act at: before_mix or after_mix for the transforms that
// make sense on either (noise, offsets, masks), only its default for the others.
func Stages(kind string) []Stage {
	switch kind {
	case "gaussian", "laplace", "offset", "mask":
		return []Stage{BeforeMix, AfterMix}
	}
	return []Stage{DefaultStage(kind)}
}

// MaxBits is the finest quantisation: 16 bits, half the float32 upload.
const MaxBits = 16

// Params are the settings New reads; each kind reads one strength.
type Params struct {
	Scale  float64 // gaussian, laplace, offset: > 0
	Rate   float64 // mask: in (0, 1)
	Bits   int     // quantise: 1..MaxBits
	Weight float64 // nopeek: > 0
	Stage  Stage   // one of Stages(kind)
}

// New builds the defence of the given kind from its parameters. A strength of 0 would do
// nothing and is rejected, like a negative one: leave the defence out instead.
func New(kind string, p Params) (Defence, error) {
	if !stageAllowed(kind, p.Stage) {
		if _, known := kindIndex(kind); known {
			return nil, fmt.Errorf("defence: %s at stage %v, it acts at %s", kind, p.Stage, stageList(Stages(kind)))
		}
	}
	positive := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 1) {
			return fmt.Errorf("defence: %s %s %s, need a finite number > 0", kind, name, fmtNum(v))
		}
		return nil
	}
	switch kind {
	case "gaussian", "laplace", "offset":
		if err := positive("scale", p.Scale); err != nil {
			return nil, err
		}
		i, _ := kindIndex(kind)
		return Noise{Dist: Dist(i), Scale: p.Scale, At: p.Stage}, nil
	case "mask":
		if !(p.Rate > 0 && p.Rate < 1) {
			return nil, fmt.Errorf("defence: mask rate %s, need 0 < rate < 1", fmtNum(p.Rate))
		}
		return Mask{Rate: p.Rate, At: p.Stage}, nil
	case "quantise":
		if p.Bits < 1 || p.Bits > MaxBits {
			return nil, fmt.Errorf("defence: quantise bits %d, need 1 ≤ bits ≤ %d", p.Bits, MaxBits)
		}
		return Quantiser{Bits: p.Bits}, nil
	case "nopeek":
		if err := positive("weight", p.Weight); err != nil {
			return nil, err
		}
		return NoPeek{Weight: p.Weight}, nil
	}
	return nil, fmt.Errorf("defence: unknown kind %q, want one of %s", kind, strings.Join(Kinds(), ", "))
}

func kindIndex(kind string) (int, bool) {
	for i, k := range Kinds() {
		if k == kind {
			return i, true
		}
	}
	return 0, false
}

func stageAllowed(kind string, s Stage) bool {
	for _, st := range Stages(kind) {
		if st == s {
			return true
		}
	}
	return false
}

// stageList writes stages as "before_mix or after_mix".
func stageList(ss []Stage) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.String()
	}
	return strings.Join(names, " or ")
}

// withStage appends " (before mix)" or " (after mix)" to a label when the stage is not the
// kind's default.
func withStage(label string, s, def Stage) string {
	if s == def {
		return label
	}
	return label + " (" + strings.ReplaceAll(s.String(), "_", " ") + ")"
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
