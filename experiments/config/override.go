package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Overrides are assignments given on the command line (runexp run -set KEY=VALUE), applied to
// a config file as if they were written in it, in order, before the file is checked:
//
//   - KEY is the dotted path of a field that holds a value, not a section: seed,
//     dataset.train_limit, mixing.group_size, mixing.matrix, attacks, … (the keys of the
//     config reference); VALUE is one YAML value in flow style: 4, cosine, true,
//     [[0.7, 0.3], [0.6, 0.4]], "[{kind: ica, victims: 100}]". If the sweep varies the field,
//     the override replaces that axis: the field takes VALUE in every cell.
//   - sweep.FIELD=[v1, v2, …] sets the values the sweep gives FIELD (inside the zip group if
//     FIELD is there, else as an axis of its own, added last if new); sweep.FIELD=null removes
//     it; sweep.zip={…} replaces the zip group; sweep={…} the whole sweep (sweep={} for none).
//
// A relative path given this way (dataset.path, model.file, model.weights) is relative to the
// working directory, as paths on a command line are, not to the config file. The values go through the same checks, with the
// same messages, as values in the file; an error about one names the -set argument instead of
// a file line (FieldError.Override):
//
//	-set mixing.group_size=0: mixing.group_size: 0, need an integer ≥ 1
//
// The run's resolved config.yaml holds the overridden values (and lists the arguments in a
// comment), and cell IDs follow the values as always: an override that changes a cell gives
// it another ID.
type Overrides []string

// LoadWith is Load with the overrides sets applied (see Overrides).
func LoadWith(path string, sets Overrides) (*Config, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return ParseWith(path, data, sets)
}

// ParseWith is Parse with the overrides sets applied (see Overrides).
func ParseWith(name string, data []byte, sets Overrides) (*Config, error) {
	return parse(name, data, sets)
}

// applyOverrides assigns each override of sets into the document's top-level mapping root.
// The values' nodes get made-up line numbers, from firstLine on, one per override, past the
// end of the file; the returned map takes each back to its argument (see explain).
func applyOverrides(root *yaml.Node, sets Overrides, firstLine int) (map[int]string, error) {
	lines := map[int]string{}
	for i, arg := range sets {
		line := firstLine + i
		lines[line] = arg
		if err := applyOverride(root, arg, line); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) && fe.Override == "" && fe.Line == 0 {
				fe.Override = arg
			}
			return nil, err
		}
	}
	return lines, nil
}

// applyOverride applies one KEY=VALUE to root, the value's nodes at the given line.
func applyOverride(root *yaml.Node, arg string, line int) error {
	key, text, ok := strings.Cut(arg, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return &FieldError{Override: arg, Msg: "need KEY=VALUE, e.g. mixing.group_size=4"}
	}
	v, err := parseValue(text)
	if err != nil {
		msg := strings.TrimPrefix(oneLine(err.Error()), "yaml: ")
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			msg = m[2] // the value is one line
		}
		return &FieldError{Override: arg, Field: key, Msg: fmt.Sprintf("value %q: %s", text, msg), Err: err}
	}
	v = resolve(v)
	setLine(v, line)
	fail := func(format string, args ...any) error {
		return &FieldError{Override: arg, Field: key, Msg: fmt.Sprintf(format, args...)}
	}

	if key == "sweep" {
		absPaths("sweep", v)
		return setField(root, []string{"sweep"}, v, line)
	}
	if sk, ok := strings.CutPrefix(key, "sweep."); ok {
		absPaths("sweep."+sk, v)
		return setSweepAxis(root, sk, v, line)
	}
	t, err := typeByPath(configType, key)
	if err != nil {
		return fail("%v", err)
	}
	if t.Kind() == reflect.Struct {
		f := yamlFields(t)[0].name
		return fail("a section, set its fields one at a time, e.g. -set %s.%s=…", key, f)
	}
	if slices.Contains(pathFields, key) {
		absPath(v)
	}
	if err := unsweep(root, key); err != nil {
		return fail("%v", err)
	}
	return setField(root, strings.Split(key, "."), v, line)
}

// setField sets the value at path in the mapping m to v, creating the sections on the way
// as needed. A section that the file gives through an alias or a merge key ("<<"), or that
// carries an anchor, becomes a copy of its own first, so that what else refers to the same
// node is left as it was.
func setField(m *yaml.Node, path []string, v *yaml.Node, line int) error {
	for depth, seg := range path {
		i := ownKey(m, seg)
		last := depth == len(path)-1
		if last {
			if i < 0 {
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg, Line: line}, v)
			} else {
				m.Content[i+1] = v
			}
			return nil
		}
		var sec *yaml.Node
		if i >= 0 {
			sec = resolve(m.Content[i+1])
		} else {
			sec = mergedKey(m, seg)
		}
		switch {
		case sec == nil || sec.Kind == yaml.ScalarNode && sec.ShortTag() == "!!null":
			sec = &yaml.Node{Kind: yaml.MappingNode, Line: line}
		case sec.Kind != yaml.MappingNode:
			field := strings.Join(path[:depth+1], ".")
			return &FieldError{Line: sec.Line, Field: field, Msg: fmt.Sprintf("%s, need a mapping of fields", describe(sec))}
		case i < 0 || m.Content[i+1].Kind == yaml.AliasNode || sec.Anchor != "":
			c, err := copyBounded(sec)
			if err != nil {
				return &FieldError{Line: sec.Line, Field: strings.Join(path[:depth+1], "."), Msg: err.Error()}
			}
			sec = c
		}
		if i < 0 {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg, Line: line}, sec)
		} else {
			m.Content[i+1] = sec
		}
		m = sec
	}
	return nil
}

// ownKey returns the index of the key node seg among the keys of mapping m itself (not those
// merged in), the last one if repeated (the checker rejects repeats); -1 if there is none.
func ownKey(m *yaml.Node, seg string) int {
	at := -1
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind == yaml.ScalarNode && k.ShortTag() != "!!merge" && k.Value == seg {
			at = i
		}
	}
	return at
}

// mergedKey returns the value that merge keys ("<<") of mapping m give seg, or nil.
func mergedKey(m *yaml.Node, seg string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind != yaml.ScalarNode || k.ShortTag() != "!!merge" {
			continue
		}
		v := resolve(m.Content[i+1])
		srcs := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			srcs = v.Content
		}
		for _, s := range srcs { // earlier sources take precedence
			if s = resolve(s); s.Kind == yaml.MappingNode {
				if j := ownKey(s, seg); j >= 0 {
					return resolve(s.Content[j+1])
				}
				if n := mergedKey(s, seg); n != nil {
					return n
				}
			}
		}
	}
	return nil
}

// copyBounded deep-copies n with aliases expanded, refusing more than maxNodes nodes (a small
// file can name a huge tree through aliases).
func copyBounded(n *yaml.Node) (*yaml.Node, error) {
	count := 0
	var walk func(n *yaml.Node, depth int) (*yaml.Node, error)
	walk = func(n *yaml.Node, depth int) (*yaml.Node, error) {
		if count++; count > maxNodes || depth > maxDepth {
			return nil, fmt.Errorf("more than %d values, or nested more than %d deep, after expanding aliases", maxNodes, maxDepth)
		}
		n = resolve(n)
		c := *n
		c.Anchor, c.Content = "", nil
		for _, child := range n.Content {
			cc, err := walk(child, depth+1)
			if err != nil {
				return nil, err
			}
			c.Content = append(c.Content, cc)
		}
		return &c, nil
	}
	return walk(n, 0)
}

// sweepNode returns the sweep mapping of root, made a mapping of root's own (created if
// absent or null, copied if an alias) so that it can be changed.
func sweepNode(root *yaml.Node, line int) (*yaml.Node, error) {
	i := ownKey(root, "sweep")
	if i < 0 {
		s := &yaml.Node{Kind: yaml.MappingNode, Line: line}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "sweep", Line: line}, s)
		return s, nil
	}
	s := resolve(root.Content[i+1])
	switch {
	case s.Kind == yaml.ScalarNode && s.ShortTag() == "!!null":
		s = &yaml.Node{Kind: yaml.MappingNode, Line: line}
	case s.Kind != yaml.MappingNode:
		return nil, &FieldError{Line: s.Line, Field: "sweep", Msg: describe(s) + ", need a mapping from field paths to lists of values"}
	case root.Content[i+1].Kind == yaml.AliasNode || s.Anchor != "":
		c, err := copyBounded(s)
		if err != nil {
			return nil, &FieldError{Line: s.Line, Field: "sweep", Msg: err.Error()}
		}
		s = c
	}
	root.Content[i+1] = s
	return s, nil
}

// setSweepAxis sets the values of the swept field key (a zip member if the zip group has it)
// to the list v, or removes the axis if v is null.
func setSweepAxis(root *yaml.Node, key string, v *yaml.Node, line int) error {
	s, err := sweepNode(root, line)
	if err != nil {
		return err
	}
	remove := v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null"
	if key != ZipKey {
		if z := ownKey(s, ZipKey); z >= 0 {
			zip := resolve(s.Content[z+1])
			if zip.Kind == yaml.MappingNode {
				if j := ownKey(zip, key); j >= 0 {
					if s.Content[z+1].Kind == yaml.AliasNode || zip.Anchor != "" {
						c, err := copyBounded(zip)
						if err != nil {
							return &FieldError{Line: zip.Line, Field: "sweep: zip", Msg: err.Error()}
						}
						zip = c
						s.Content[z+1] = zip
					}
					if remove {
						zip.Content = slices.Delete(zip.Content, j, j+2)
						if len(zip.Content) == 0 {
							s.Content = slices.Delete(s.Content, z, z+2)
						}
					} else {
						zip.Content[j+1] = v
					}
					return nil
				}
			}
		}
	}
	if i := ownKey(s, key); i >= 0 {
		if remove {
			s.Content = slices.Delete(s.Content, i, i+2)
		} else {
			s.Content[i+1] = v
		}
		return nil
	}
	if !remove {
		s.Content = append(s.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: line}, v)
	}
	return nil
}

// unsweep removes the sweep's axis of the field key, if it has one (in the zip group or
// not), so that an override of the field holds in every cell. A sweep of a whole section
// holding the field is an error: the override cannot be told apart from the section's values.
func unsweep(root *yaml.Node, key string) error {
	i := ownKey(root, "sweep")
	if i < 0 {
		return nil
	}
	s := resolve(root.Content[i+1])
	if s.Kind != yaml.MappingNode {
		return nil // the checker reports it
	}
	var found bool
	var bad error
	scan := func(m *yaml.Node) {
		for j := 0; j+1 < len(m.Content); j += 2 {
			k := resolve(m.Content[j])
			switch {
			case k.Value == key:
				found = true
			case strings.HasPrefix(key, k.Value+"."):
				bad = fmt.Errorf("the sweep varies the section %s as a whole (line %d); change its values with -set sweep.%s=[…]", k.Value, k.Line, k.Value)
			}
		}
	}
	scan(s)
	if z := ownKey(s, ZipKey); z >= 0 && resolve(s.Content[z+1]).Kind == yaml.MappingNode {
		scan(resolve(s.Content[z+1]))
	}
	if bad != nil {
		return bad
	}
	if found {
		return setSweepAxis(root, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, 0)
	}
	return nil
}

// absPaths makes the paths of a sweep override (the value v of -set key, key being sweep,
// sweep.zip or sweep.F for F one of pathFields) absolute: see absPath.
func absPaths(key string, v *yaml.Node) {
	switch {
	case slices.Contains(pathFields, strings.TrimPrefix(key, "sweep.")):
		if v.Kind == yaml.SequenceNode {
			for _, item := range v.Content {
				absPath(item)
			}
		}
	case key == "sweep", key == "sweep."+ZipKey:
		if v.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			switch k := v.Content[i].Value; {
			case slices.Contains(pathFields, k):
				absPaths("sweep."+k, v.Content[i+1])
			case k == ZipKey && key == "sweep":
				absPaths("sweep."+ZipKey, v.Content[i+1])
			}
		}
	}
}

// absPath makes a relative path given on the command line absolute, so that it means what it
// says relative to the working directory rather than to the config file's directory.
func absPath(v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || v.Value == "" || filepath.IsAbs(v.Value) {
		return
	}
	if abs, err := filepath.Abs(v.Value); err == nil {
		v.Value = abs
	}
}

// explain turns a FieldError about a value that an override set (its line is one of the
// made-up lines of applyOverrides) into one that names the -set argument.
func (s *source) explain(err error) error {
	var fe *FieldError
	if s == nil || len(s.sets) == 0 || !errors.As(err, &fe) || fe.Override != "" {
		return err
	}
	if arg, ok := s.sets[fe.Line]; ok {
		fe.Override, fe.Line = arg, 0
	}
	return err
}

// setArgs lists the overrides applied to the config, in order.
func (s *source) setArgs() []string {
	if s == nil {
		return nil
	}
	return s.args
}
