package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/datamix/harness/attacks"
	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/results"
)

// Attack is one entry of the config's attacks: list: a privacy attack run on every
// DataMix cell after evaluation (see the attacks package). Zero values mean the documented
// defaults, so an entry may be as short as {kind: ica}.
type Attack struct {
	// Kind is one of attacks.Kinds(): inversion, ica, group_matching, attribute, output.
	// Required.
	Kind string `yaml:"kind"`
	// Name prefixes the attack's result columns (inversion_psnr, …); "" (the default) uses
	// the kind's own prefix (inversion, ica, group_match, attr, output). Two attacks of one
	// kind in one config need different names: lowercase letters, digits and '_'.
	Name string `yaml:"name"`
	// Victims is the number of test images attacked (the first ones, in whole evaluation
	// batches, which are the pools the cloud sees shuffled). 0 means 500.
	Victims int `yaml:"victims"`
	// Aux is the number of auxiliary images the attacker draws from the training split, which
	// never holds the victims. 0 means 2000, or the whole training split if it is smaller.
	Aux int `yaml:"aux"`
	// Head says whether the attacker knows the edge head's weights: "known" (the default; the
	// strongest setting of the threat model, needed to simulate uploads at split > 0) or
	// "unknown". At split 0 the head is the identity and always known.
	Head string `yaml:"head"`
	// Coefficients is the coefficient distribution the attacker assumes: "known" (the
	// default: the edge's own distribution, public like the protocol; under mixing
	// coefficients fixed, whose one matrix is the secret, the attacker knows only that C is
	// fixed and assumes Dirichlet(1) rows), "oracle" (the edge's own sampler, which under
	// fixed coefficients hands the attacker the secret C: an upper bound), or an assumed
	// distribution: dirichlet (alpha 1), uniform or gaussian.
	Coefficients string `yaml:"coefficients"`
	// Grouping (ica only) is "auto" (the default: the upload order without shuffling, the
	// groups found by group matching with it) or "oracle" (the true groups: an upper bound).
	Grouping string `yaml:"grouping"`
	// Affinity (group_matching and ica) is "auto" (the default: support when the uploads
	// have exact zeros, else subspace), "support", "correlation" or "subspace"; see
	// algo.MatchGroups.
	Affinity string `yaml:"affinity"`
	// Attributes (attribute only) lists the attributes to infer: label, ink, colour (colour
	// needs 3-channel images); on dataset celeba, any CelebA attribute by its name in
	// list_attr_celeba.txt (Male, Smiling, Eyeglasses, …), reported lower-cased in the columns
	// (attr_male_acc); on the speech datasets, speaker (the speaker's identity, one class per
	// speaker) and, on spoken-digits with speakers.csv, gender. Empty (the default) means label
	// and ink for grey images (spectrograms included), label and colour for colour images
	// (celeba included).
	Attributes []string `yaml:"attributes,omitempty"`
	// Epochs (decoder, and rmle with init: decoder) is the number of training epochs of the
	// attacker's decoder over the auxiliary images; 0 means attacks.DefaultEpochs.
	Epochs int `yaml:"epochs,omitempty"`
	// Iterations (rmle only) is the number of Adam steps per image; 0 means
	// attacks.DefaultIterations.
	Iterations int `yaml:"iterations,omitempty"`
	// Init (rmle only) is where the optimisation starts: "grey" (the default) or "decoder"
	// (the output of a decoder trained on the head's features).
	Init string `yaml:"init,omitempty"`
	// ShadowEpochs (decoder and rmle) is the number of epochs the shadow head and tail are
	// trained through the frozen body when head is unknown at split > 0; 0 means
	// attacks.DefaultShadowEpochs.
	ShadowEpochs int `yaml:"shadow_epochs,omitempty"`
}

// Defaults of the attack settings whose zero value stands for them.
const (
	defaultAttackVictims = 500  // a full evaluation batch: enough for means to ±0.02
	defaultAttackAux     = 2000 // about 2.5 × the 784 pixels of MNIST: an overdetermined decoder
)

// maxAttackSteps bounds the epochs and iterations of an attack: a typo of a few digits too
// many would otherwise run for days.
const maxAttackSteps = 100000

// attackName is the pattern of an attack's column prefix.
var attackName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Spec converts an Attack into the attacks package's Spec, defaults applied.
func (a Attack) Spec() attacks.Spec {
	s := attacks.Spec{Kind: a.Kind, Name: a.Name, Victims: a.Victims, Aux: a.Aux,
		HeadWeights: a.Head != "unknown", Coefficients: a.Coefficients, Grouping: a.Grouping,
		Affinity: a.Affinity, Attributes: a.Attributes, Epochs: a.Epochs, Iterations: a.Iterations,
		Init: a.Init, ShadowEpochs: a.ShadowEpochs}
	if s.Victims == 0 {
		s.Victims = defaultAttackVictims
	}
	if s.Aux == 0 {
		s.Aux = defaultAttackAux
	}
	if s.Grouping == "" {
		s.Grouping = attacks.GroupingAuto
	}
	if s.Affinity == "" {
		s.Affinity = attacks.AffinityAuto
	}
	return s
}

// celebaAttr is the pattern of a dataset attribute name an attack may name (CelebA's are
// letters, digits and '_'): it becomes part of a column name.
var celebaAttr = regexp.MustCompile(`^[A-Za-z0-9_]{1,40}$`)

// validateAttacks checks the attacks: list of one resolved config; dsAttrs are the names of
// the attributes the dataset carries (datasets.AttrNames; nil for datasets with classes only).
func (c *Config) validateAttacks(dsAttrs []string) error {
	used := map[string]int{} // metric column → the attack writing it
	for i, a := range c.Attacks {
		fail := func(field, format string, args ...any) error {
			fe := c.fail(nil, fmt.Sprintf("attacks[%d].%s", i, field), format, args...)
			fe.Line = c.attackLine(i, field)
			return fe
		}
		if a.Kind == "" {
			return fail("kind", "missing, need one of %s", strings.Join(attacks.Kinds(), ", "))
		}
		if !slices.Contains(attacks.Kinds(), a.Kind) {
			return fail("kind", "%q, want one of %s", a.Kind, strings.Join(attacks.Kinds(), ", "))
		}
		if a.Name != "" && !attackName.MatchString(a.Name) {
			return fail("name", "%q, need lowercase letters, digits and '_', starting with a letter, at most 40 characters (it prefixes result columns)", a.Name)
		}
		ch, _, _, _, _ := datasets.Shape(c.Dataset.Name)
		for _, col := range attacks.Columns(a.Spec(), ch) {
			if j, dup := used[col]; dup && j != i { // repeats within one attack are reported below
				return fail("name", "column %s is also written by attacks[%d]; give one of them a different name", col, j)
			}
			used[col] = i
		}
		if a.Victims < 0 {
			return fail("victims", "%d, need an integer ≥ 0 (0 = %d)", a.Victims, defaultAttackVictims)
		}
		if a.Aux < 0 {
			return fail("aux", "%d, need an integer ≥ 0 (0 = %d)", a.Aux, defaultAttackAux)
		}
		if c.Dataset.TrainLimit > 0 && a.Aux > c.Dataset.TrainLimit {
			return fail("aux", "%d auxiliary images, but dataset.train_limit keeps only %d training images to draw them from", a.Aux, c.Dataset.TrainLimit)
		}
		if !slices.Contains([]string{"", "known", "unknown"}, a.Head) {
			return fail("head", "%q, want known or unknown", a.Head)
		}
		if !slices.Contains([]string{"", attacks.CoefficientsKnown, attacks.CoefficientsOracle, "dirichlet", "uniform", "gaussian"}, a.Coefficients) {
			return fail("coefficients", "%q, want known, oracle, dirichlet, uniform or gaussian", a.Coefficients)
		}
		if a.Grouping != "" {
			if !slices.Contains(attacks.Accepting(attacks.OptionGrouping), a.Kind) {
				return fail("grouping", "given, but %s (have %s)", onlyKinds(attacks.OptionGrouping, "it"), a.Kind)
			}
			if a.Grouping != attacks.GroupingAuto && a.Grouping != attacks.GroupingOracle {
				return fail("grouping", "%q, want auto or oracle", a.Grouping)
			}
		}
		// An oracle setting makes an upper bound: its columns say so by name, which is how the
		// results tell bounds from attacks (results.UpperBound), and only they may.
		spec := a.Spec()
		if o := spec.Oracles(); len(o) > 0 && !results.UpperBound(spec.ColumnPrefix()) {
			return fail("name", "%q: an attack given an oracle (%s) is an upper bound, never a verdict, and its columns must say so: put the word oracle in its name, e.g. %s_oracle",
				spec.ColumnPrefix(), strings.Join(o, ", "), spec.ColumnPrefix())
		} else if len(o) == 0 && results.UpperBound(spec.ColumnPrefix()) {
			return fail("name", "%q: the words oracle and best in a name mark upper bounds, which decide no verdict, and this attack has no oracle setting; name it without them",
				spec.ColumnPrefix())
		}
		if a.Affinity != "" {
			if !slices.Contains(attacks.Accepting(attacks.OptionAffinity), a.Kind) {
				return fail("affinity", "given, but %s (have %s)", onlyKinds(attacks.OptionAffinity, "it"), a.Kind)
			}
			if !slices.Contains([]string{attacks.AffinityAuto, attacks.AffinitySupport, attacks.AffinityCorrelation, attacks.AffinitySubspace}, a.Affinity) {
				return fail("affinity", "%q, want auto, support, correlation or subspace", a.Affinity)
			}
		}
		for _, n := range []struct {
			o   attacks.Option
			v   int
			def int
		}{{attacks.OptionEpochs, a.Epochs, attacks.DefaultEpochs}, {attacks.OptionIterations, a.Iterations, attacks.DefaultIterations},
			{attacks.OptionShadow, a.ShadowEpochs, attacks.DefaultShadowEpochs}} {
			if n.v == 0 {
				continue
			}
			if !slices.Contains(attacks.Accepting(n.o), a.Kind) {
				return fail(string(n.o), "given, but %s (have %s)", onlyKinds(n.o, "it"), a.Kind)
			}
			if n.o == attacks.OptionIterations && a.Kind == attacks.KindUnSplit {
				n.def = attacks.DefaultUnSplitIterations
			}
			if n.v < 0 || n.v > maxAttackSteps {
				return fail(string(n.o), "%d, need an integer from 0 to %d (0 = %d)", n.v, maxAttackSteps, n.def)
			}
		}
		if a.Init != "" {
			if !slices.Contains(attacks.Accepting(attacks.OptionInit), a.Kind) {
				return fail("init", "given, but %s (have %s)", onlyKinds(attacks.OptionInit, "it"), a.Kind)
			}
			if a.Init != attacks.InitGrey && a.Init != attacks.InitDecoder {
				return fail("init", "%q, want grey or decoder", a.Init)
			}
		}
		if len(a.Attributes) > 0 && !slices.Contains(attacks.Accepting(attacks.OptionAttributes), a.Kind) {
			return fail("attributes", "given, but %s (have %s)", onlyKinds(attacks.OptionAttributes, "them"), a.Kind)
		}
		seen := map[string]string{} // column part → the attribute giving it
		for _, at := range a.Attributes {
			builtin := slices.Contains(attacks.Attributes(), at)
			switch {
			case builtin:
			case len(dsAttrs) == 0:
				return fail("attributes", "%q, want one of %s (attributes such as Male need dataset celeba; gender and speaker a speech dataset)", at, strings.Join(attacks.Attributes(), ", "))
			case c.Dataset.Name == "celeba" && (!celebaAttr.MatchString(at) || !slices.Contains(dsAttrs, at)):
				return fail("attributes", "%q, want %s or an attribute of the CelebA folder %s: %s (line 2 of its %s)",
					at, strings.Join(attacks.Attributes(), ", "), c.Dataset.Path, strings.Join(dsAttrs, ", "), datasets.CelebAAttrFile)
			case !slices.Contains(dsAttrs, at):
				hint := ""
				if at == datasets.AttrGender {
					hint = fmt.Sprintf(" (gender needs the corpus's %s)", datasets.SpeakersFile)
				}
				return fail("attributes", "%q, want %s or an attribute of dataset %s in %s: %s%s",
					at, strings.Join(attacks.Attributes(), ", "), c.Dataset.Name, c.Dataset.Path, strings.Join(dsAttrs, ", "), hint)
			}
			if at == attacks.AttrColour && ch != 3 {
				return fail("attributes", "colour needs 3-channel images, dataset %s has %d", c.Dataset.Name, ch)
			}
			col := attacks.AttrColumn(at)
			if prev, dup := seen[col]; dup {
				return fail("attributes", "%q and %q both give columns %s_%s_acc; list each attribute once", prev, at, a.Spec().ColumnPrefix(), col)
			}
			seen[col] = at
		}
	}
	return nil
}

// onlyKinds says which kinds read option o, for an entry of another kind that sets it: "only
// kind ica uses it", "only kinds group_matching and ica use it"; obj is "it" or "them".
func onlyKinds(o attacks.Option, obj string) string {
	names := attacks.Accepting(o)
	if len(names) == 1 {
		return "only kind " + names[0] + " uses " + obj
	}
	last := len(names) - 1
	return "only kinds " + strings.Join(names[:last], ", ") + " and " + names[last] + " use " + obj
}

// attackLine returns the file line of field of the i-th attack ("" for the entry itself): the
// line of the swept value when the attacks list is swept, else the line in the file when the
// file's entry is still the config's; 0 when unknown.
func (c *Config) attackLine(i int, field string) int {
	if c.cell != nil {
		for _, s := range c.cell.swept {
			if s.key == "attacks" {
				return s.line
			}
		}
	}
	if c.src == nil || c.src.root == nil {
		return 0
	}
	list := lookup(c.src.root, "attacks")
	if list == nil || list.Kind != yaml.SequenceNode || i >= len(list.Content) {
		return 0
	}
	item := resolve(list.Content[i])
	var inFile Attack
	if item.Decode(&inFile) != nil || !reflect.DeepEqual(inFile, c.Attacks[i]) {
		return 0
	}
	if v := lookup(item, field); v != nil {
		return v.Line
	}
	return item.Line
}
