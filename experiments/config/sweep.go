package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Sweep lists the swept fields of a config in file order. In YAML it is a mapping from
// dotted field paths to non-empty lists of values, crossed as a Cartesian product:
//
//	sweep:
//	  mixing.group_size: [1, 2, 4]
//	  model.split: [0, 1]
//
// The key zip holds paired lists instead: a mapping from field paths to lists of one length,
// whose i-th values go together in one cell. The group is one axis of the product, at the
// place of the zip key:
//
//	sweep:
//	  zip:                         # (k, batch) = (1, 64), (3, 48), (6, 96)
//	    mixing.group_size: [1, 3, 6]
//	    train.batch_size: [64, 48, 96]
//	  seed: [1, 2, 3]              # crossed with the pairs: 9 cells
//
// A sweep has at most one zip group (YAML keys are unique); a field is swept at most once,
// inside or outside it.
type Sweep []Axis

// ZipKey is the sweep key of the group of paired lists (see Sweep).
const ZipKey = "zip"

// Axis is one swept field, or the zip group of paired fields.
type Axis struct {
	// Key is the field's dotted yaml path, e.g. "mixing.group_size" or "seed". A section
	// ("mixing") may be swept too: each value is then a mapping merged into the section.
	// Key is ZipKey for the zip group.
	Key string
	// Values are the values the field takes, each as YAML text in flow style
	// ("4", "dirichlet", "[[0.7, 0.3], [0.6, 0.4]]", "{coefficients: uniform}"). Nil for
	// the zip group.
	Values []string
	// Zip are the paired fields of the zip group, each with as many Values as the others;
	// nil for any other axis.
	Zip []Axis

	keyLine int      // line of Key in the file; 0 when not from a file
	lines   []int    // line of each value in the file
	texts   []string // Values as loaded, so that lines apply only to values left unchanged
}

// Param is one assignment of a sweep cell: the swept field's dotted yaml path and its value
// as YAML text (see Axis.Values).
type Param struct{ Key, Value string }

// Params are the assignments of a sweep cell, in sweep order.
type Params []Param

// String writes the assignments as a YAML flow mapping: {mixing.group_size: 4, seed: 1}.
func (ps Params) String() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Key + ": " + p.Value
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// UnmarshalYAML reads a sweep mapping, keeping the file order of its keys and the lines of
// its values for error messages. Load checks the sweep against the schema before this runs.
func (s *Sweep) UnmarshalYAML(n *yaml.Node) error {
	n = resolve(n)
	if err := newChecker().checkSweep(n, "sweep"); err != nil {
		return err
	}
	var out Sweep
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Value == ZipKey {
			zip := Axis{Key: ZipKey, keyLine: k.Line}
			for j := 0; j+1 < len(v.Content); j += 2 {
				zk, zv := resolve(v.Content[j]), resolve(v.Content[j+1])
				ax, err := readAxis(zk, zv, "sweep: "+ZipKey+": ")
				if err != nil {
					return err
				}
				zip.Zip = append(zip.Zip, ax)
			}
			out = append(out, zip)
			continue
		}
		ax, err := readAxis(k, v, "sweep: ")
		if err != nil {
			return err
		}
		out = append(out, ax)
	}
	*s = out
	return nil
}

// readAxis reads the swept field with key node k and list node v; prefix starts the field
// path of errors.
func readAxis(k, v *yaml.Node, prefix string) (Axis, error) {
	ax := Axis{Key: k.Value, keyLine: k.Line}
	for _, item := range v.Content {
		text, err := nodeText(item)
		if err != nil {
			return Axis{}, &FieldError{Line: item.Line, Field: prefix + ax.Key, Msg: err.Error()}
		}
		ax.Values = append(ax.Values, text)
		ax.lines = append(ax.lines, resolve(item).Line)
	}
	ax.texts = append([]string(nil), ax.Values...)
	return ax, nil
}

// MarshalYAML writes the sweep as a mapping from keys to flow lists, in order.
func (s Sweep) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, ax := range s {
		if ax.Key == ZipKey {
			zm := &yaml.Node{Kind: yaml.MappingNode}
			for _, z := range ax.Zip {
				list, err := z.valueList()
				if err != nil {
					return nil, err
				}
				zm.Content = append(zm.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: z.Key}, list)
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: ZipKey}, zm)
			continue
		}
		list, err := ax.valueList()
		if err != nil {
			return nil, err
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: ax.Key}, list)
	}
	return m, nil
}

// valueList parses the values of ax into a flow-style YAML list.
func (ax Axis) valueList() (*yaml.Node, error) {
	list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, text := range ax.Values {
		v, err := parseValue(text)
		if err != nil {
			return nil, fmt.Errorf("config: sweep %s: value %q: %w", ax.Key, text, err)
		}
		list.Content = append(list.Content, v)
	}
	return list, nil
}
