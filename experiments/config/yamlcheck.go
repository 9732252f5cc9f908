package config

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// configType is the schema the YAML is checked against.
var configType = reflect.TypeOf(Config{})

// sweepType is the type of Config.Sweep, checked by its own rules.
var sweepType = reflect.TypeOf(Sweep(nil))

// maxNodes bounds the number of values the schema walk visits, so that a small file
// expanding to a huge one through aliases is rejected rather than walked. A sweep over 30
// matrices of the largest group size (64×64) stays below it.
const maxNodes = 1 << 17

// checker walks a YAML node tree against a Go type, reporting what the strict decoder would
// reject (and non-integral numbers for integer fields, which yaml.v3 would truncate) with the
// dotted field path and the node's line.
type checker struct{ visited int }

func newChecker() *checker { return &checker{} }

// fieldInfo is one field of a config struct as seen by YAML.
type fieldInfo struct {
	name  string
	index int
}

// yamlFields lists the yaml-visible fields of struct type t, in declaration order.
func yamlFields(t reflect.Type) []fieldInfo {
	var fs []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fs = append(fs, fieldInfo{name, i})
	}
	return fs
}

// fieldNames lists the yaml names of struct type t.
func fieldNames(t reflect.Type) string {
	var names []string
	for _, f := range yamlFields(t) {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ")
}

// typeByPath returns the type of the field at the dotted yaml path.
func typeByPath(t reflect.Type, path string) (reflect.Type, error) {
	prefix := ""
	for _, seg := range strings.Split(path, ".") {
		if t.Kind() == reflect.Pointer { // an optional section (wire)
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == sweepType {
			return nil, fmt.Errorf("%s is not a section, it has no field %q", prefix, seg)
		}
		var found *reflect.StructField
		for _, f := range yamlFields(t) {
			if f.name == seg {
				sf := t.Field(f.index)
				found = &sf
			}
		}
		if found == nil {
			where := "the config"
			if prefix != "" {
				where = prefix
			}
			return nil, fmt.Errorf("no such field, %s has %s", where, fieldNames(t))
		}
		t = found.Type
		if prefix != "" {
			prefix += "."
		}
		prefix += seg
	}
	return t, nil
}

// fieldByPath returns the field of the struct value v at the dotted yaml path.
func fieldByPath(v reflect.Value, path string) (reflect.Value, bool) {
	for _, seg := range strings.Split(path, ".") {
		if v.Kind() == reflect.Pointer { // an optional section (wire)
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		ok := false
		for _, f := range yamlFields(v.Type()) {
			if f.name == seg {
				v, ok = v.Field(f.index), true
				break
			}
		}
		if !ok {
			return reflect.Value{}, false
		}
	}
	return v, true
}

// need says in words what a value of type t must be.
func need(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "an integer"
	case reflect.Uint64:
		return "an integer ≥ 0"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Slice {
			return "a matrix (a list of rows, each a list of numbers)"
		}
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(need(t.Elem()), "an "), "a ") + "s"
	case reflect.Struct:
		return "a mapping of fields (" + fieldNames(t) + ")"
	case reflect.Pointer:
		return need(t.Elem())
	}
	return t.String()
}

// check walks n against t; path is the field's dotted yaml path (used in messages).
func (ck *checker) check(n *yaml.Node, t reflect.Type, path string) *FieldError {
	n = resolve(n)
	ck.visited++
	if ck.visited > maxNodes {
		return &FieldError{Line: n.Line, Field: path, Msg: fmt.Sprintf("more than %d values after expanding aliases", maxNodes)}
	}
	bad := func(format string, args ...any) *FieldError {
		return &FieldError{Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)}
	}
	isNull := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	if t == sweepType {
		return ck.checkSweep(n, path)
	}
	if (path == splitKey || strings.HasSuffix(path, " "+splitKey)) && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return nil // a layer's name; Validate looks it up
	}
	if t.Kind() == reflect.Pointer {
		if isNull {
			if t.Elem().Kind() == reflect.Struct {
				return nil // an optional section: absent (or null) is nil
			}
			// An optional value (a layer's bias) has no null: the default is the key left out.
			return bad("no value, need %s (leave the key out to use the default)", need(t.Elem()))
		}
		return ck.check(n, t.Elem(), path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if isNull { // an empty section keeps its defaults
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return bad("%s, need %s", describe(n), need(t))
		}
		return ck.checkMapping(n, t, path, map[string]int{})
	case reflect.Slice:
		if isNull && t.Elem().Kind() == reflect.Slice {
			return nil // an empty matrix field means no matrix
		}
		if n.Kind != yaml.SequenceNode {
			return bad("%s, need %s", describe(n), need(t))
		}
		indexed := strings.HasSuffix(path, layersKey) // model.layers[i]: layers are many and alike
		for i, item := range n.Content {
			p := path
			if indexed {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			if err := ck.check(item, t.Elem(), p); err != nil {
				return err
			}
		}
		return nil
	}
	if isNull {
		return bad("no value, need %s (leave the key out to use the default)", need(t))
	}
	if n.Kind != yaml.ScalarNode {
		return bad("%s, need %s", describe(n), need(t))
	}
	tag := n.ShortTag()
	ok := true
	switch t.Kind() {
	case reflect.Int, reflect.Uint64:
		ok = tag == "!!int"
	case reflect.Float64:
		ok = tag == "!!int" || tag == "!!float"
	case reflect.Bool:
		ok = tag == "!!bool"
	case reflect.String:
		ok = tag != "!!binary"
	}
	if ok {
		ok = n.Decode(reflect.New(t).Interface()) == nil
	}
	if !ok {
		if lo, hi, over := overflows(n, t); over {
			return bad("%s overflows, need an integer from %s to %s", n.Value, lo, hi)
		}
		return bad("%s, need %s", describe(n), need(t))
	}
	return nil
}

// decimal matches an integer written in decimal digits, as YAML resolves it when it fits in 64
// bits and as a float (or, between MaxInt64 and MaxUint64, an integer) when it does not.
var decimal = regexp.MustCompile(`^[-+]?[0-9]+$`)

// overflows reports whether the scalar n, which does not decode into the integer type t, is
// an integer too large in magnitude for t (a negative value for the unsigned seed is not: it
// gets the message of any other bad value), and the range of t in decimal.
func overflows(n *yaml.Node, t reflect.Type) (lo, hi string, over bool) {
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 || !decimal.MatchString(n.Value) {
		return "", "", false
	}
	switch t.Kind() {
	case reflect.Int:
		return strconv.Itoa(math.MinInt), strconv.Itoa(math.MaxInt), true
	case reflect.Uint64:
		if strings.HasPrefix(n.Value, "-") {
			return "", "", false
		}
		return "0", strconv.FormatUint(math.MaxUint64, 10), true
	}
	return "", "", false
}

// checkMapping checks the keys of mapping n against the fields of struct type t; seen maps
// each key already given to its line (merge keys share it with the mapping they merge into).
func (ck *checker) checkMapping(n *yaml.Node, t reflect.Type, path string, seen map[string]int) *FieldError {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	fields := yamlFields(t)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return &FieldError{Line: k.Line, Field: path, Msg: describe(k) + " as a key, need a field name"}
		}
		if line, dup := seen[k.Value]; dup {
			return &FieldError{Line: k.Line, Field: join(k.Value), Msg: fmt.Sprintf("given twice, first at line %d", line)}
		}
		seen[k.Value] = k.Line
		idx := slices.IndexFunc(fields, func(f fieldInfo) bool { return f.name == k.Value })
		if idx < 0 {
			return &FieldError{Line: k.Line, Field: join(k.Value), Msg: "unknown field, want one of " + fieldNames(t)}
		}
		if err := ck.check(v, t.Field(fields[idx].index).Type, join(k.Value)); err != nil {
			return err
		}
	}
	// Keys merged in with "<<" are overridden by the mapping's own keys, so they may repeat
	// them; only repeats within one merged mapping are errors.
	for _, m := range merges {
		m = resolve(m)
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, s := range sources {
			s = resolve(s)
			if s.Kind != yaml.MappingNode {
				return &FieldError{Line: s.Line, Field: path, Msg: "a merge key (<<) needs a mapping or a list of mappings"}
			}
			if err := ck.checkMapping(s, t, path, map[string]int{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// unsweepable are fields that describe the experiment as a whole, not a cell.
var unsweepable = map[string]string{
	"name":     "it names the experiment's run directory",
	"baseline": "it is a switch for the whole experiment",
	"sweep":    "a sweep cannot sweep itself",
	"wire":     "it says how the experiment's trained cells are served, not what a cell is",
}

// sweepField returns the type of the field a sweep key names.
func sweepField(key string) (reflect.Type, error) {
	first, _, _ := strings.Cut(key, ".")
	if why, ok := unsweepable[first]; ok {
		return nil, fmt.Errorf("%s cannot be swept: %s", first, why)
	}
	return typeByPath(configType, key)
}

// checkSweep checks the sweep mapping: known field paths, non-empty lists, values of the
// field's type.
func (ck *checker) checkSweep(n *yaml.Node, path string) *FieldError {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &FieldError{Line: n.Line, Field: path, Msg: describe(n) + ", need a mapping from field paths to lists of values, e.g. {mixing.group_size: [1, 2, 4]}"}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			return &FieldError{Line: k.Line, Field: path, Msg: describe(k) + " as a key, need a dotted field path such as mixing.group_size"}
		}
		if line, dup := seen[k.Value]; dup {
			return &FieldError{Line: k.Line, Field: path + ": " + k.Value, Msg: fmt.Sprintf("given twice, first at line %d", line)}
		}
		seen[k.Value] = k.Line
		if k.Value == ZipKey {
			if err := ck.checkZip(v, path, seen); err != nil {
				return err
			}
			continue
		}
		if err := ck.checkAxis(k.Value, k.Line, v, path); err != nil {
			return err
		}
	}
	return nil
}

// checkZip checks the zip group v: a non-empty mapping from field paths to lists of equal
// length, none swept twice. seen holds the keys swept so far (with their lines) and gets the
// group's keys added.
func (ck *checker) checkZip(v *yaml.Node, path string, seen map[string]int) *FieldError {
	zpath := path + ": " + ZipKey
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		return &FieldError{Line: v.Line, Field: zpath, Msg: describe(v) + ", need a mapping from field paths to lists of equal length, e.g. {mixing.group_size: [3, 6], train.batch_size: [48, 96]}"}
	}
	first, firstLen := "", 0
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, list := resolve(v.Content[i]), resolve(v.Content[i+1])
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			return &FieldError{Line: k.Line, Field: zpath, Msg: describe(k) + " as a key, need a dotted field path such as mixing.group_size"}
		}
		if k.Value == ZipKey {
			return &FieldError{Line: k.Line, Field: zpath, Msg: "zip inside zip, need field paths"}
		}
		if line, dup := seen[k.Value]; dup {
			return &FieldError{Line: k.Line, Field: zpath + ": " + k.Value, Msg: fmt.Sprintf("swept twice, first at line %d", line)}
		}
		seen[k.Value] = k.Line
		if err := ck.checkAxis(k.Value, k.Line, list, zpath); err != nil {
			return err
		}
		if first == "" {
			first, firstLen = k.Value, len(list.Content)
		} else if len(list.Content) != firstLen {
			return &FieldError{Line: list.Line, Field: zpath + ": " + k.Value, Msg: fmt.Sprintf("%d values, but %s has %d: zipped lists are paired value by value and need equal lengths", len(list.Content), first, firstLen)}
		}
	}
	return nil
}

// checkAxis checks one swept field: its key (at keyLine) and the list v of its values.
func (ck *checker) checkAxis(key string, keyLine int, v *yaml.Node, path string) *FieldError {
	t, err := sweepField(key)
	if err != nil {
		return &FieldError{Line: keyLine, Field: path + ": " + key, Msg: err.Error()}
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return &FieldError{Line: v.Line, Field: path + ": " + key, Msg: describe(v) + ", need a non-empty list of values, e.g. [a, b]"}
	}
	for _, item := range v.Content {
		if err := ck.check(item, t, path+": "+key); err != nil {
			return err
		}
	}
	return nil
}
