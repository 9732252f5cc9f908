package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/datamix/harness/defence"
)

// Defence is one entry of the config's defences: list: an edge-side defence applied on
// top of mixing in every DataMix cell (package defence), in training and inference alike.
// Each kind reads one strength; the others must be left out.
type Defence struct {
	// Kind is one of defence.Kinds(): gaussian, laplace, offset, mask, quantise, nopeek.
	// Required.
	Kind string `yaml:"kind"`
	// Scale (gaussian, laplace, offset) is the noise's standard deviation (gaussian,
	// laplace) or largest offset (offset) in units of the standard deviation of the row it
	// is added to (one input's features, or one upload). Required, > 0.
	Scale float64 `yaml:"scale,omitempty"`
	// Rate (mask) is the fraction of values set to zero; kept ones are scaled by 1/(1−rate).
	// Required, 0 < rate < 1.
	Rate float64 `yaml:"rate,omitempty"`
	// Bits (quantise) is the number of bits per uploaded value, 1..16. Required.
	Bits int `yaml:"bits,omitempty"`
	// Weight (nopeek) multiplies the distance correlation added to the training loss.
	// Required, > 0.
	Weight float64 `yaml:"weight,omitempty"`
	// Stage is where the defence acts: before_mix (on each input's features) or after_mix
	// (on each upload). "" (the default) means the kind's own: after_mix for gaussian,
	// laplace and quantise, before_mix for offset and mask, training for nopeek; only noise,
	// offsets and masks may choose. A cell's resolved config names the stage.
	Stage string `yaml:"stage,omitempty"`
}

// strengths maps each kind to the one strength field it reads.
var strengths = map[string]string{
	"gaussian": "scale", "laplace": "scale", "offset": "scale",
	"mask": "rate", "quantise": "bits", "nopeek": "weight",
}

// params converts the entry into defence.Params, the stage resolved.
func (d Defence) params() (defence.Params, error) {
	p := defence.Params{Scale: d.Scale, Rate: d.Rate, Bits: d.Bits, Weight: d.Weight, Stage: defence.DefaultStage(d.Kind)}
	if d.Stage != "" {
		st, err := defence.ParseStage(d.Stage)
		if err != nil {
			return p, err
		}
		p.Stage = st
	}
	return p, nil
}

// DefenceStack builds the defence stack of a validated config: its Defences, in order, each
// made by defence.New with its stage resolved.
func (c *Config) DefenceStack() (defence.Stack, error) {
	var s defence.Stack
	for _, d := range c.Defences {
		p, err := d.params()
		if err != nil {
			return nil, err
		}
		def, err := defence.New(d.Kind, p)
		if err != nil {
			return nil, err
		}
		s = append(s, def)
	}
	return s, nil
}

// validateDefences checks the defences: list of one resolved config: known kinds, exactly the
// strength each kind reads and within its range, a stage the kind may act at, quantisation
// once and last among the after-mix defences (it is the wire format), NoPeek once and only
// where there is a head to train.
func (c *Config) validateDefences() error {
	quantAt, nopeekAt := -1, -1
	for i, d := range c.Defences {
		fail := func(field, format string, args ...any) *FieldError {
			fe := c.fail(nil, fmt.Sprintf("defences[%d].%s", i, field), format, args...)
			fe.Line = c.defenceLine(i, field)
			return fe
		}
		if d.Kind == "" {
			return fail("kind", "missing, need one of %s", strings.Join(defence.Kinds(), ", "))
		}
		want, ok := strengths[d.Kind]
		if !ok {
			return fail("kind", "%q, want one of %s", d.Kind, strings.Join(defence.Kinds(), ", "))
		}
		set := map[string]bool{"scale": d.Scale != 0, "rate": d.Rate != 0, "bits": d.Bits != 0, "weight": d.Weight != 0}
		for _, f := range []string{"scale", "rate", "bits", "weight"} {
			if set[f] && f != want {
				return fail(f, "given, but %s reads %s only (%s)", d.Kind, want, strengthUse[f])
			}
		}
		switch want {
		case "scale":
			if !(d.Scale > 0) || math.IsInf(d.Scale, 1) {
				return fail("scale", "%s, need a finite number > 0: the noise's size in units of each row's standard deviation (leave the defence out for none)", missingOr(d.Scale != 0, fmtFloat(d.Scale)))
			}
		case "rate":
			if !(d.Rate > 0 && d.Rate < 1) {
				return fail("rate", "%s, need 0 < rate < 1: the fraction of values masked (leave the defence out for none)", missingOr(d.Rate != 0, fmtFloat(d.Rate)))
			}
		case "bits":
			if d.Bits < 1 || d.Bits > defence.MaxBits {
				return fail("bits", "%s, need an integer in 1..%d", missingOr(d.Bits != 0, fmt.Sprint(d.Bits)), defence.MaxBits)
			}
		case "weight":
			if !(d.Weight > 0) || math.IsInf(d.Weight, 1) {
				return fail("weight", "%s, need a finite number > 0: the penalty's weight in the loss (leave the defence out for none)", missingOr(d.Weight != 0, fmtFloat(d.Weight)))
			}
		}
		p, err := d.params()
		if err != nil || !slices.Contains(defence.Stages(d.Kind), p.Stage) {
			return fail("stage", "%q, %s acts at %s", d.Stage, d.Kind, stageNames(d.Kind))
		}
		switch d.Kind {
		case "quantise":
			if quantAt >= 0 {
				return fail("kind", "quantise given twice (defences[%d]): an upload has one wire format", quantAt)
			}
			quantAt = i
		case "nopeek":
			if nopeekAt >= 0 {
				return fail("kind", "nopeek given twice (defences[%d]); give one entry its summed weight", nopeekAt)
			}
			nopeekAt = i
			if c.Model.Split == 0 {
				fe := fail("kind", "nopeek at model.split 0 is meaningless: the head is empty, so the uploads are the inputs themselves (dCor(X, X) = 1 whatever the weights) and there is nothing to train away from them; use model.split ≥ 1")
				if fe.Line == 0 { // defences set in Go: point at the split, if the file has it
					fe.Line = c.lineOf("model.split")
				}
				return fe
			}
		default:
			if quantAt >= 0 && p.Stage == defence.AfterMix {
				return fail("kind", "%s after mixing comes after quantise (defences[%d]), which must be the last after_mix defence: it is the wire format the cloud decodes; list it last", d.Kind, quantAt)
			}
		}
	}
	return nil
}

// strengthUse says which kinds read a strength field.
var strengthUse = map[string]string{
	"scale":  "scale is for gaussian, laplace and offset",
	"rate":   "rate is for mask",
	"bits":   "bits is for quantise",
	"weight": "weight is for nopeek",
}

// missingOr returns v, or "missing" when the field was left out (its zero value).
func missingOr(given bool, v string) string {
	if !given {
		return "missing"
	}
	return v
}

// stageNames lists the stages a kind may act at, in config spelling.
func stageNames(kind string) string {
	var names []string
	for _, s := range defence.Stages(kind) {
		names = append(names, s.String())
	}
	if len(names) == 1 {
		return names[0] + " only"
	}
	return strings.Join(names, " or ")
}

// resolveDefenceStages writes each defence's stage into the config: the kind's default for
// an entry that leaves it out, so that leaving it out and naming it give one cell ID. Run
// after validation.
func (c *Config) resolveDefenceStages() {
	for i, d := range c.Defences {
		if d.Stage == "" {
			c.Defences[i].Stage = defence.DefaultStage(d.Kind).String()
		}
	}
}

// defenceLine returns the file line of field of the i-th defence ("" for the entry itself):
// the line of the swept value when the defences list is swept, else the line in the file
// when the file's entry is still the config's; 0 when unknown.
func (c *Config) defenceLine(i int, field string) int {
	if c.cell != nil {
		for _, s := range c.cell.swept {
			if s.key == "defences" {
				return s.line
			}
		}
	}
	if c.src == nil || c.src.root == nil {
		return 0
	}
	list := lookup(c.src.root, "defences")
	if list == nil || list.Kind != yaml.SequenceNode || i >= len(list.Content) {
		return 0
	}
	item := resolve(list.Content[i])
	var inFile Defence
	if item.Decode(&inFile) != nil {
		return 0
	}
	cur := c.Defences[i]
	if inFile.Stage == "" { // the config may hold the resolved stage
		cur.Stage = ""
	}
	if !reflect.DeepEqual(inFile, cur) {
		return 0
	}
	if v := lookup(item, field); v != nil {
		return v.Line
	}
	return item.Line
}
