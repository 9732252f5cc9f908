package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/datamix/harness/datasets"
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

// Cell is one unit of work of an experiment: a resolved config and the variant to train.
type Cell struct {
	// ID identifies the cell across runs: the first 12 hex digits of the SHA-256 of the
	// cell's canonical form (see the package documentation). Equal configs and variants give
	// equal IDs; any change to a field that affects the result (a different seed, say) gives
	// a different one.
	ID string
	// Variant is VariantBaseline or VariantDataMix.
	Variant string
	// Config is the resolved config of the cell, with an empty Sweep. A baseline's has split 0
	// and the identity mixing (group_size 1, coefficients fixed, matrix [[1]], no shuffle), so
	// that training it mixing-aware is plain training of the unsplit network.
	Config Config
	// Params are the sweep assignments that made the cell, in sweep order; a baseline keeps
	// only those it depends on (seed, dataset.*, model.arch, train.*).
	Params []Param
}

// The variants of a cell.
const (
	// VariantBaseline trains the network unsplit and unmixed: the reference accuracy.
	VariantBaseline = "baseline"
	// VariantDataMix trains and evaluates the network split and mixing-aware (DESIGN.md §1).
	VariantDataMix = "datamix"
)

// MaxCells bounds the number of cells a sweep may expand to, so that a typo such as a long
// list in the wrong place fails fast instead of queueing years of work.
const MaxCells = 10000

// String names the cell in one line: its ID, variant and assignments.
func (c Cell) String() string {
	s := c.ID + " " + c.Variant
	if len(c.Params) > 0 {
		s += " " + formatParams(c.Params)
	}
	return s
}

// cellInfo is what a config made by Expand remembers of its cell, for error messages.
type cellInfo struct {
	params []Param
	swept  []sweptLine
}

// sweptLine is the file line a swept field's value came from.
type sweptLine struct {
	key  string
	line int
}

// formatParams writes assignments as a YAML flow mapping: {mixing.group_size: 4, seed: 1}.
func formatParams(ps []Param) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Key + ": " + p.Value
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// unsweepable are fields that describe the experiment as a whole, not a cell.
var unsweepable = map[string]string{
	"name":     "it names the experiment's run directory",
	"baseline": "it is a switch for the whole experiment",
	"sweep":    "a sweep cannot sweep itself",
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
			return nil, fmt.Errorf("experiments: sweep %s: value %q: %w", ax.Key, text, err)
		}
		list.Content = append(list.Content, v)
	}
	return list, nil
}

// nodeText writes a value as one line of YAML in flow style, aliases expanded.
func nodeText(n *yaml.Node) (string, error) {
	c, err := copyNode(n, 0)
	if err != nil {
		return "", err
	}
	setFlow(c)
	out, err := yaml.Marshal(c)
	if err != nil {
		return "", err
	}
	return strings.Join(strings.Fields(strings.TrimSpace(string(out))), " "), nil
}

// setFlow puts collections in flow style and block scalars in quotes, so that the value
// fits on one line.
func setFlow(n *yaml.Node) {
	switch n.Kind {
	case yaml.SequenceNode, yaml.MappingNode:
		n.Style = yaml.FlowStyle
	case yaml.ScalarNode:
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			n.Style = yaml.DoubleQuotedStyle
		}
	}
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		setFlow(c)
	}
}

// maxDepth bounds the nesting copyNode follows; config values nest at most three deep
// (sweep value → section → matrix row), so deeper input is a cycle of aliases or junk.
const maxDepth = 32

// copyNode deep-copies n with aliases expanded and anchors dropped.
func copyNode(n *yaml.Node, depth int) (*yaml.Node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nested more than %d deep", maxDepth)
	}
	n = resolve(n)
	if n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("alias chain too long")
	}
	c := *n
	c.Anchor = ""
	c.Content = nil
	for _, child := range n.Content {
		cc, err := copyNode(child, depth+1)
		if err != nil {
			return nil, err
		}
		c.Content = append(c.Content, cc)
	}
	return &c, nil
}

// parseValue parses one YAML value written as text.
func parseValue(text string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	}
	return doc.Content[0], nil
}

// setLine gives every node of a value the line of the sweep entry it came from.
func setLine(n *yaml.Node, line int) {
	n.Line, n.Column = line, 0
	for _, c := range n.Content {
		setLine(c, line)
	}
}

// axis is a swept field ready to expand: parsed values with their file lines.
type axis struct {
	key    string
	values []*yaml.Node
	texts  []string
	lines  []int
}

// axisGroup is one axis of the Cartesian product: a single swept field, or the fields of the
// zip group, whose i-th values are assigned together.
type axisGroup []axis

// size is the number of positions of the group: the common length of its fields' lists.
func (g axisGroup) size() int { return len(g[0].values) }

// axes checks c's sweep and parses its values, one group per axis of the product.
func (c *Config) axes() ([]axisGroup, error) {
	file := ""
	if c.src != nil {
		file = c.src.file
	}
	var out []axisGroup
	seen := map[string]bool{}
	zips := 0
	for _, ax := range c.Sweep {
		if ax.Key != ZipKey {
			if ax.Zip != nil {
				return nil, &FieldError{File: file, Field: "sweep: " + ax.Key, Msg: "has zipped fields, but only the " + ZipKey + " group may"}
			}
			a, err := parseAxis(ax, file, "sweep", seen)
			if err != nil {
				return nil, err
			}
			out = append(out, axisGroup{a})
			continue
		}
		zips++
		zpath := "sweep: " + ZipKey
		if zips > 1 {
			return nil, &FieldError{File: file, Field: zpath, Msg: "given twice, a sweep has at most one zip group"}
		}
		if len(ax.Zip) == 0 || ax.Values != nil {
			return nil, &FieldError{File: file, Line: ax.keyLine, Field: zpath, Msg: "need a mapping from field paths to lists of equal length, e.g. {mixing.group_size: [3, 6], train.batch_size: [48, 96]}"}
		}
		var g axisGroup
		for _, z := range ax.Zip {
			if z.Key == ZipKey || z.Zip != nil {
				return nil, &FieldError{File: file, Field: zpath, Msg: "zip inside zip, need field paths"}
			}
			a, err := parseAxis(z, file, zpath, seen)
			if err != nil {
				return nil, err
			}
			if len(g) > 0 && len(a.values) != g.size() {
				return nil, &FieldError{File: file, Line: a.lines[0], Field: zpath + ": " + a.key,
					Msg: fmt.Sprintf("%d values, but %s has %d: zipped lists are paired value by value and need equal lengths", len(a.values), g[0].key, g.size())}
			}
			g = append(g, a)
		}
		out = append(out, g)
	}
	return out, nil
}

// parseAxis checks one swept field and parses its values; path is the sweep path it is under
// ("sweep" or "sweep: zip") and seen the keys swept so far, which gets ax.Key added.
func parseAxis(ax Axis, file, path string, seen map[string]bool) (axis, error) {
	// Lines from the file apply only to what is unchanged since Load.
	fromFile := len(ax.texts) == len(ax.Values)
	for i := range ax.texts {
		fromFile = fromFile && ax.texts[i] == ax.Values[i]
	}
	keyLine := 0
	if fromFile {
		keyLine = ax.keyLine
	}
	if seen[ax.Key] {
		return axis{}, &FieldError{File: file, Line: keyLine, Field: path + ": " + ax.Key, Msg: "swept twice"}
	}
	seen[ax.Key] = true
	list := &yaml.Node{Kind: yaml.SequenceNode, Line: keyLine}
	a := axis{key: ax.Key, texts: ax.Values}
	for i, text := range ax.Values {
		line := 0
		if fromFile {
			line = ax.lines[i]
		}
		v, err := parseValue(text)
		if err != nil {
			return axis{}, &FieldError{File: file, Line: line, Field: path + ": " + ax.Key, Msg: fmt.Sprintf("value %q: %v", text, strings.TrimPrefix(oneLine(err.Error()), "yaml: ")), Err: err}
		}
		setLine(v, line)
		list.Content = append(list.Content, v)
		a.values = append(a.values, v)
		a.lines = append(a.lines, line)
	}
	if err := newChecker().checkAxis(ax.Key, keyLine, list, path); err != nil {
		err.File = file
		return axis{}, err
	}
	return a, nil
}

// Expand checks c and expands its sweep into the cells to run. The datamix cells form the
// Cartesian product of the swept values, the first swept field varying slowest; the zip group
// is one axis of the product, at the place of its key, whose i-th position assigns the i-th
// value of every list in it (assignments in the group's order). Each cell is made
// by assigning its values to a copy of c's YAML tree (sweep removed; a mapping value is merged
// into the section it sweeps) and decoding that tree strictly again, then validated. With
// baseline: true, each distinct baseline (see Cell.Config) comes right before the first
// datamix cell that needs it. Two datamix cells with the same ID are an error: a value
// repeated in a list is almost always a mistake. Every error names the file line and the
// cell's assignments.
func Expand(c *Config) ([]Cell, error) {
	file, sweepLine := "", 0
	if c.src != nil {
		file = c.src.file
		if n := lookup(c.src.root, "sweep"); n != nil {
			sweepLine = n.Line
		}
	}
	axes, err := c.axes()
	if err != nil {
		return nil, err
	}
	total := 1
	for _, a := range axes {
		total *= a.size()
		if total > MaxCells {
			return nil, &FieldError{File: file, Line: sweepLine, Field: "sweep", Msg: fmt.Sprintf("more than %d cells, the most one experiment may have", MaxCells)}
		}
	}

	base := *c
	base.Sweep, base.src, base.cell = nil, nil, nil
	// decodeCell resolves dataset.path against the config's directory, as Parse did: give it
	// the path relative to that directory again, so that it is not resolved twice.
	base.Dataset.Path = c.src.unresolvePath(base.Dataset.Path)
	var tree yaml.Node
	if err := tree.Encode(&base); err != nil {
		return nil, fmt.Errorf("experiments: encode config: %w", err)
	}

	var cells []Cell
	datamix := map[string][]Param{}
	baselines := map[string]bool{}
	idx := make([]int, len(axes))
	for range total {
		cellTree, _ := copyNode(&tree, 0) // the encoded tree has no aliases and nests 3 deep
		info := &cellInfo{}
		for a, g := range axes {
			for _, ax := range g {
				v := ax.values[idx[a]]
				if err := assign(cellTree, strings.Split(ax.key, "."), v); err != nil {
					return nil, err
				}
				info.params = append(info.params, Param{Key: ax.key, Value: ax.texts[idx[a]]})
				info.swept = append(info.swept, sweptLine{key: ax.key, line: ax.lines[idx[a]]})
			}
		}
		cfg, err := c.decodeCell(cellTree, info)
		if err != nil {
			return nil, err
		}
		id := cellID(cfg, VariantDataMix)
		if prev, dup := datamix[id]; dup {
			return nil, &FieldError{File: file, Line: sweepLine, Field: "sweep",
				Msg: fmt.Sprintf("cells %s and %s are the same experiment (ID %s); remove the repeated value", formatParams(prev), formatParams(info.params), id)}
		}
		datamix[id] = info.params

		if c.Baseline {
			b := baselineOf(cfg)
			if err := b.validateFields(); err != nil {
				return nil, fmt.Errorf("experiments: baseline of cell %s: %w", formatParams(info.params), err)
			}
			if bid := cellID(b, VariantBaseline); !baselines[bid] {
				baselines[bid] = true
				cells = append(cells, Cell{ID: bid, Variant: VariantBaseline, Config: *b, Params: b.cell.params})
			}
		}
		cells = append(cells, Cell{ID: id, Variant: VariantDataMix, Config: *cfg, Params: info.params})

		// Advance the odometer: the last axis varies fastest.
		for a := len(idx) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < axes[a].size() {
				break
			}
			idx[a] = 0
		}
	}
	return cells, nil
}

// decodeCell checks and decodes the YAML tree of one cell and validates the result.
func (c *Config) decodeCell(tree *yaml.Node, info *cellInfo) (*Config, error) {
	file := ""
	if c.src != nil {
		file = c.src.file
	}
	if err := newChecker().check(tree, configType, ""); err != nil {
		err.File, err.Cell = file, info.params
		return nil, err
	}
	cfg := Defaults()
	if err := tree.Decode(&cfg); err != nil {
		fe := yamlError(file, err)
		fe.Cell = info.params
		return nil, fe
	}
	cfg.Sweep = nil
	cfg.src, cfg.cell = c.src, info
	cfg.Dataset.Path = c.src.resolvePath(cfg.Dataset.Path)
	if err := cfg.validateFields(); err != nil {
		return nil, err
	}
	if cfg.Dataset.Name == "celeba" && cfg.Dataset.Label == "" {
		// The default made explicit, so that leaving the label out and naming it give one ID.
		cfg.Dataset.Label = datasets.DefaultCelebALabel
	}
	return &cfg, nil
}

// assign sets the field at path in the mapping m to a copy of v. A mapping value assigned to
// a section is merged into it, key by key.
func assign(m *yaml.Node, path []string, v *yaml.Node) error {
	v = resolve(v)
	i := -1
	for j := 0; j+1 < len(m.Content); j += 2 {
		if m.Content[j].Value == path[0] {
			i = j + 1
		}
	}
	if len(path) > 1 || (v.Kind == yaml.MappingNode && i >= 0 && m.Content[i].Kind == yaml.MappingNode) {
		if i < 0 {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: path[0]}, &yaml.Node{Kind: yaml.MappingNode})
			i = len(m.Content) - 1
		}
		if len(path) > 1 {
			return assign(m.Content[i], path[1:], v)
		}
		return merge(m.Content[i], v, 0)
	}
	c, err := copyNode(v, 0)
	if err != nil {
		return err
	}
	if i < 0 {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: path[0]}, c)
	} else {
		m.Content[i] = c
	}
	return nil
}

// merge assigns every key of the mapping src into the mapping dst. Keys merged into src with
// "<<" go first, so that src's own keys override them as YAML specifies.
func merge(dst, src *yaml.Node, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("experiments: merge keys nested more than %d deep", maxDepth)
	}
	src = resolve(src)
	for i := 0; i+1 < len(src.Content); i += 2 {
		if k := src.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			v := resolve(src.Content[i+1])
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for j := len(srcs) - 1; j >= 0; j-- { // earlier sources take precedence
				if err := merge(dst, srcs[j], depth+1); err != nil {
					return err
				}
			}
		}
	}
	for i := 0; i+1 < len(src.Content); i += 2 {
		k := src.Content[i]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			continue
		}
		if err := assign(dst, []string{k.Value}, src.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// baselineOf returns the baseline config for the datamix config c: the same network, data,
// training and seed, trained unsplit (split 0) with the identity mixing (k=1, C=[1]), under
// which mixing-aware training is plain training (DESIGN.md §1: "k=1 with C=[1] is plain
// split inference").
func baselineOf(c *Config) *Config {
	b := *c
	b.Model.Split = 0
	b.Attacks = nil // attacks target the mixed uploads of DataMix cells only
	d := Defaults()
	b.Mixing = MixingConfig{
		GroupSize:    1,
		Coefficients: "fixed",
		Alpha:        d.Mixing.Alpha,
		Matrix:       [][]float64{{1}},
		Shuffle:      false,
		MaxCond:      d.Mixing.MaxCond,
	}
	info := &cellInfo{}
	for i, p := range c.cell.params {
		if baselineDependsOn(p.Key) {
			info.params = append(info.params, p)
			info.swept = append(info.swept, c.cell.swept[i])
		}
	}
	b.cell = info
	return &b
}

// baselineDependsOn reports whether a swept field can change the baseline: seed, dataset.*,
// model.arch, train.* (and the model section as a whole, which holds the arch).
func baselineDependsOn(key string) bool {
	first, _, _ := strings.Cut(key, ".")
	switch first {
	case "seed", "dataset", "train":
		return true
	case "model":
		return key == "model" || key == "model.arch"
	}
	return false
}

// idExcluded are the fields the cell ID leaves out: the experiment's name and baseline
// switch (not properties of a cell) and the dataset's location (where the data is, not what
// it is), so that renaming an experiment or moving a checkout keeps finished cells.
var idExcluded = map[string]bool{"name": true, "baseline": true, "sweep": true, "dataset.path": true}

// idOmitEmpty are fields added after cells were first run: the canonical form leaves them
// out when empty (an empty list or string), so that configs written before them keep their
// cell IDs. dataset.label is empty only for datasets without attributes (Expand fills in
// celeba's default).
var idOmitEmpty = map[string]bool{"attacks": true, "dataset.label": true}

// cellID is the first 12 hex digits of the SHA-256 of the cell's canonical form.
func cellID(c *Config, variant string) string {
	var b strings.Builder
	b.WriteString("variant=" + variant + "\n")
	canonical(&b, reflect.ValueOf(*c), "")
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:12]
}

// canonical writes one "path=value" line per field of v, in declaration order, with values
// in a fixed format (strings quoted, floats in shortest round-trip form).
func canonical(b *strings.Builder, v reflect.Value, path string) {
	if v.Kind() == reflect.Struct {
		for _, f := range yamlFields(v.Type()) {
			p := f.name
			if path != "" {
				p = path + "." + f.name
			}
			if fv := v.Field(f.index); !idExcluded[p] && !(idOmitEmpty[p] && fv.Len() == 0) {
				canonical(b, fv, p)
			}
		}
		return
	}
	b.WriteString(path + "=" + canonicalValue(v) + "\n")
}

// canonicalValue formats one field value for the canonical form.
func canonicalValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float64:
		return fmtFloat(v.Float())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = canonicalValue(v.Index(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case reflect.Struct: // an entry of a list of sections (attacks): {field=value,…}
		var parts []string
		for _, f := range yamlFields(v.Type()) {
			parts = append(parts, f.name+"="+canonicalValue(v.Field(f.index)))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	panic("experiments: no canonical form for " + v.Type().String())
}
