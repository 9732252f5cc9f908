package attacks

import (
	"fmt"
	"slices"
)

// registry lists every attack kind, in the order Kinds gives them. Each kind lives in a file
// of its own; adding one is that file and one entry here (README.md, "Adding an attack kind").
var registry = []Kind{inversion{}, ica{}, groupMatching{}, attribute{}, output{}, decoder{}, rmle{}, fora{}, unsplit{}}

// Kind is one kind of attack: what it is called, the columns it writes, what it needs of a
// cell and which optional settings it reads, and the attack itself. Run looks a Spec's kind up
// by name, checks its needs, and runs it. Kinds are implemented inside this package, where they
// share the auxiliary-data and bookkeeping helpers of the attack run.
type Kind interface {
	// Name is the kind as a Spec and the experiment config spell it: "inversion".
	Name() string
	// Prefix is the default prefix of the kind's metric columns (DefaultName): "attr" for
	// the attribute attack.
	Prefix() string
	// Columns lists the metrics an attack of spec s may write on images of the given number
	// of channels, without the prefix ("psnr").
	Columns(s Spec, channels int) []string
	// Needs lists what the kind needs of a cell; Run checks them in order before it runs and
	// skips the attack, saying why, at the first that the cell does not meet.
	Needs() []Need
	// Options lists the optional Spec fields the kind reads besides those every kind takes
	// (Victims, Aux, HeadWeights, Coefficients); the experiment config rejects the others
	// for this kind.
	Options() []Option

	// run attacks a.env's capture as a.Spec says, writing its metrics, notes and
	// reconstructions through a. Its needs have been checked.
	run(a *attack) error
}

// Kinds lists the names of the attack kinds, in registry order.
func Kinds() []string {
	names := make([]string, len(registry))
	for i, k := range registry {
		names[i] = k.Name()
	}
	return names
}

// Lookup returns the kind named name.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(registry, func(k Kind) bool { return k.Name() == name })
	if i < 0 {
		return nil, false
	}
	return registry[i], true
}

// DefaultName is the column prefix of an attack kind's metrics: Kind.Prefix, or kind itself
// when no kind has that name.
func DefaultName(kind string) string {
	if k, ok := Lookup(kind); ok {
		return k.Prefix()
	}
	return kind
}

// Columns lists the metric columns an attack of spec s may write on images of the given number
// of channels (an attack that is skipped writes none of them); none for an unknown kind.
func Columns(s Spec, channels int) []string {
	k, ok := Lookup(s.Kind)
	if !ok {
		return nil
	}
	names := k.Columns(s, channels)
	for i, n := range names {
		names[i] = s.ColumnPrefix() + "_" + n
	}
	return names
}

// Option names an optional Spec field that only some kinds read, as the config spells it.
type Option string

// The optional Spec fields.
const (
	OptionGrouping   Option = "grouping"      // Spec.Grouping
	OptionAffinity   Option = "affinity"      // Spec.Affinity
	OptionAttributes Option = "attributes"    // Spec.Attributes
	OptionEpochs     Option = "epochs"        // Spec.Epochs
	OptionIterations Option = "iterations"    // Spec.Iterations
	OptionInit       Option = "init"          // Spec.Init
	OptionShadow     Option = "shadow_epochs" // Spec.ShadowEpochs
)

// Accepting returns the names of the kinds that read option o, sorted.
func Accepting(o Option) []string {
	var names []string
	for _, k := range registry {
		if slices.Contains(k.Options(), o) {
			names = append(names, k.Name())
		}
	}
	slices.Sort(names)
	return names
}

// Cell is what decides whether an attack applies to a DataMix cell, known from the cell's
// configuration before anything runs.
type Cell struct {
	// Split is the number of blocks on the edge: at 0 the uploads are mixed pixels.
	Split int
	// K is the group size.
	K int
	// Shuffled says whether the uploads are shuffled across the groups of a pool.
	Shuffled bool
}

// Need is one condition an attack kind needs of a cell, with the reason a skipped attack's
// note gives when the cell does not meet it. Spec.Applies checks a kind's needs.
type Need struct {
	what string
	met  func(s Spec, c Cell) bool
	why  func(s Spec, c Cell) string
}

// String says what is needed: "k ≥ 2".
func (n Need) String() string { return n.what }

// needGroups needs groups of two or more uploads; why says what one upload per group leaves
// the attack without.
func needGroups(why string) Need {
	return Need{
		what: "k ≥ 2",
		met:  func(_ Spec, c Cell) bool { return c.K > 1 },
		why:  func(Spec, Cell) string { return "k = 1: " + why },
	}
}

// needShuffled needs uploads shuffled across groups; why says what unshuffled uploads make of
// the attack.
func needShuffled(why string) Need {
	return Need{
		what: "shuffled uploads",
		met:  func(_ Spec, c Cell) bool { return c.Shuffled },
		why:  func(Spec, Cell) string { return "uploads are not shuffled: " + why },
	}
}

// needHead needs the head's weights at split > 0 (Spec.HeadWeights); use says what the attack
// does with them.
func needHead(use string) Need {
	return Need{
		what: "the head's weights at split > 0",
		met:  func(s Spec, c Cell) bool { return s.HeadWeights || c.Split == 0 },
		why: func(_ Spec, c Cell) string {
			return fmt.Sprintf("needs the head's weights to %s at split %d (head_weights: false)", use, c.Split)
		},
	}
}

// needAuxUploads is the need of the attacks that train on auxiliary images turned into
// uploads as the edge would (auxUploads): the head, unless the uploads are mixed pixels.
var needAuxUploads = needHead("turn auxiliary images into uploads")

// Applies reports whether an attack of spec s can run on cell c and, when it cannot, why: the
// reason its "skipped: " note gives. It panics on an unknown kind (Kinds lists them).
func (s Spec) Applies(c Cell) (ok bool, why string) {
	k, found := Lookup(s.Kind)
	if !found {
		panic(fmt.Sprintf("attacks: unknown kind %q", s.Kind))
	}
	for _, n := range k.Needs() {
		if !n.met(s, c) {
			return false, n.why(s, c)
		}
	}
	return true, ""
}

// needHeadLayer is the need of the head-withheld attacks that learn a head of their own
// (fora, unsplit): split > 0, where the edge has a head to stand in for.
var needHeadLayer = Need{
	what: "split > 0",
	met:  func(_ Spec, c Cell) bool { return c.Split > 0 },
	why: func(Spec, Cell) string {
		return "split 0: the uploads are mixed pixels; there is no head to stand in for"
	},
}
