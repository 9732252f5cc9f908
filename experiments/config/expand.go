package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/datamix/harness/datasets"
)

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
	Params Params
}

// The variants of a cell.
const (
	// VariantBaseline trains the network unsplit and unmixed: the reference accuracy.
	VariantBaseline = "baseline"
	// VariantDataMix trains the network split and mixing-aware and evaluates it as deployed:
	// head and mixing on the edge, body on the cloud, de-mixing and tail on the edge.
	VariantDataMix = "datamix"
)

// maxCells bounds the number of cells a sweep may expand to, so that a typo such as a long
// list in the wrong place fails fast instead of queueing years of work.
const maxCells = 10000

// String names the cell in one line: its ID, variant and assignments.
func (c Cell) String() string {
	s := c.ID + " " + c.Variant
	if len(c.Params) > 0 {
		s += " " + c.Params.String()
	}
	return s
}

// Label is a short human-readable name of the cell: its variant and swept values, e.g.
// "datamix mixing.group_size=4 seed=1".
func (c *Cell) Label() string {
	parts := []string{c.Variant}
	for _, p := range c.Params {
		parts = append(parts, p.Key+"="+p.Value)
	}
	return strings.Join(parts, " ")
}

// cellInfo is what a config made by Expand remembers of its cell, for error messages.
type cellInfo struct {
	params Params
	swept  []sweptLine
}

// sweptLine is the file line a swept field's value came from.
type sweptLine struct {
	key  string
	line int
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
// cell's assignments (or the -set argument it came from, see Overrides).
func Expand(c *Config) ([]Cell, error) {
	cells, err := expand(c)
	return cells, c.src.explain(err)
}

// expand is Expand with errors naming file lines only.
func expand(c *Config) ([]Cell, error) {
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
		if total > maxCells {
			return nil, &FieldError{File: file, Line: sweepLine, Field: "sweep", Msg: fmt.Sprintf("more than %d cells, the most one experiment may have", maxCells)}
		}
	}

	base := *c
	base.Sweep, base.src, base.cell = nil, nil, nil
	// decodeCell resolves the paths against the config's directory, as Parse did: give it
	// them relative to that directory again, so that they are not resolved twice.
	for _, p := range base.pathsOf() {
		*p = c.src.unresolvePath(*p)
	}
	var tree yaml.Node
	if err := tree.Encode(&base); err != nil {
		return nil, fmt.Errorf("config: encode config: %w", err)
	}

	var cells []Cell
	datamix := map[string]Params{}
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
				Msg: fmt.Sprintf("cells %s and %s are the same experiment (ID %s); remove the repeated value", prev, info.params, id)}
		}
		datamix[id] = info.params

		if c.Baseline {
			b := baselineOf(cfg)
			if err := b.validateFields(); err != nil {
				return nil, fmt.Errorf("config: baseline of cell %s: %w", info.params, err)
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
	cfg.resolvePaths()
	if err := cfg.validateFields(); err != nil {
		return nil, err
	}
	cfg.resolveDefenceStages()
	if cfg.Dataset.Name == "celeba" && cfg.Dataset.Label == "" {
		// The default made explicit, so that leaving the label out and naming it give one ID.
		cfg.Dataset.Label = datasets.DefaultCelebALabel
	}
	if cfg.Dataset.Name == datasets.ImageFolderName && cfg.Dataset.Channels == 0 {
		cfg.Dataset.Channels = 3 // the same
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
		return fmt.Errorf("config: merge keys nested more than %d deep", maxDepth)
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
// training and seed, trained unsplit (split 0) with the identity mixing (k=1, C=[1]). k=1 with
// C=[1] is plain split inference, and at split 0 the head is the identity too, so
// mixing-aware training of this config is plain training of the whole network.
func baselineOf(c *Config) *Config {
	b := *c
	b.Model.Split, b.Model.SplitName = 0, ""
	b.Attacks = nil  // attacks target the mixed uploads of DataMix cells only
	b.Defences = nil // the baseline is the undefended, unsplit network
	d := Defaults()
	b.Mixing = Mixing{
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
// train.*, and the fields of the model section that say what the network is (arch, file,
// layers, weights; the section as a whole too).
func baselineDependsOn(key string) bool {
	first, _, _ := strings.Cut(key, ".")
	switch first {
	case "seed", "dataset", "train":
		return true
	case "model":
		return key != splitKey
	}
	return false
}
