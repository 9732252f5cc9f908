package models

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Description is a network described as data, the form of an architecture file and of the
// layers of a config's model section: a list of layers in the order they run, as a PyTorch
// nn.Sequential lists its modules. Every built-in architecture is such a file (archs/*.yaml,
// embedded in the build).
//
// The layers fall into blocks, the split points being the block boundaries: a block starts at
// every conv, dense and residual layer (the layers with weights of their own), and every other
// layer — batch norm, activation, pooling, flatten, dropout — belongs to the block of the layer
// before it, so that a split never separates a layer from the normalisation, activation and
// pooling that follow it. The last layer must be a dense layer, the classifier; it runs in the
// edge tail together with the global-average-pooling, flatten and dropout layers right before
// it. Split s puts blocks 0 … s−1 on the edge (the head) and the others on the cloud (the body).
type Description struct {
	// Doc says in one line what the network is.
	Doc string `yaml:"doc,omitempty" json:"doc,omitempty"`
	// Input is the input shape (channels, height, width); empty means the data's shape.
	Input []int `yaml:"input,omitempty" json:"input,omitempty"`
	// Layers are the layers in the order they run.
	Layers []LayerSpec `yaml:"layers" json:"layers"`

	file  string           // the file it was read from, for errors; "" when built in Go
	lines []map[string]int // per layer: the line of the layer ("") and of each field, when read from a file
	line  map[string]int   // the lines of the top-level keys
}

// LayerSpec is one layer of a Description. Kind says what it is; each kind reads only its own
// fields (LayerFields), the others must be left out:
//
//	conv       channels, kernel (required); stride (1), padding (0), bias (true): a 2-D
//	           convolution, PyTorch's nn.Conv2d(in, channels, kernel, stride, padding, bias=bias)
//	batchnorm  batch normalisation per channel (per feature after flatten or dense): nn.BatchNorm2d
//	           (nn.BatchNorm1d), ε 1e-5, momentum 0.1
//	relu       max(x, 0)
//	maxpool    kernel (required); stride (the kernel), padding (0, at most kernel/2): nn.MaxPool2d
//	avgpool    the same for nn.AvgPool2d (padding counted in the average, PyTorch's default)
//	residual   channels (required); kernel (3, odd), stride (1), shortcut: a basic block of He et
//	           al. (2016), conv-BN-ReLU-conv-BN plus the shortcut, then ReLU; the convolutions
//	           have "same" padding and no bias, the first one the stride. shortcut is identity
//	           (the default when the block keeps the shape), pad (option A: the input subsampled
//	           by the stride and zero-padded to the new channels) or projection (option B: a
//	           1×1 convolution with the stride and a batch norm)
//	gap        global average pooling, C×H×W → C
//	flatten    C×H×W → C·H·W values (nn.Flatten); a dense layer needs a flat input
//	dense      units (required, except on the last layer, where it defaults to one unit per
//	           class): nn.Linear(in, units), always with a bias
//	dropout    rate (required, 0 < rate < 1): in training each value is zeroed with that
//	           probability and the others scaled by 1/(1−rate) (nn.Dropout); in inference nothing
//
// Any layer may have a name (letters, digits, '.', '_', '-'; not digits only), unique in the
// description; a config's model.split may name a layer instead of counting blocks.
type LayerSpec struct {
	Kind     string  `yaml:"kind" json:"kind"`
	Name     string  `yaml:"name,omitempty" json:"name,omitempty"`
	Channels int     `yaml:"channels,omitempty" json:"channels,omitempty"`
	Kernel   int     `yaml:"kernel,omitempty" json:"kernel,omitempty"`
	Stride   int     `yaml:"stride,omitempty" json:"stride,omitempty"`
	Padding  int     `yaml:"padding,omitempty" json:"padding,omitempty"`
	Bias     *bool   `yaml:"bias,omitempty" json:"bias,omitempty"`
	Shortcut string  `yaml:"shortcut,omitempty" json:"shortcut,omitempty"`
	Units    int     `yaml:"units,omitempty" json:"units,omitempty"`
	Rate     float64 `yaml:"rate,omitempty" json:"rate,omitempty"`
}

// The layer kinds of a LayerSpec.
const (
	KindConv      = "conv"
	KindBatchNorm = "batchnorm"
	KindReLU      = "relu"
	KindMaxPool   = "maxpool"
	KindAvgPool   = "avgpool"
	KindResidual  = "residual"
	KindGAP       = "gap"
	KindFlatten   = "flatten"
	KindDense     = "dense"
	KindDropout   = "dropout"
)

// The shortcuts of a residual layer (LayerSpec.Shortcut).
const (
	ShortcutIdentity   = "identity"
	ShortcutPad        = "pad"
	ShortcutProjection = "projection"
)

// layerFields lists, per kind, the fields besides kind and name that it reads; a required
// field is marked with a trailing '*'.
var layerFields = map[string][]string{
	KindConv:      {"channels*", "kernel*", "stride", "padding", "bias"},
	KindBatchNorm: nil,
	KindReLU:      nil,
	KindMaxPool:   {"kernel*", "stride", "padding"},
	KindAvgPool:   {"kernel*", "stride", "padding"},
	KindResidual:  {"channels*", "kernel", "stride", "shortcut"},
	KindGAP:       nil,
	KindFlatten:   nil,
	KindDense:     {"units*"},
	KindDropout:   {"rate*"},
}

// LayerKinds lists the kinds a LayerSpec may have, in a fixed order.
func LayerKinds() []string {
	return []string{KindConv, KindBatchNorm, KindReLU, KindMaxPool, KindAvgPool, KindResidual, KindGAP, KindFlatten, KindDense, KindDropout}
}

// LayerFields lists the fields (yaml names) a layer of the given kind reads besides kind and
// name; nil for an unknown kind.
func LayerFields(kind string) []string {
	var out []string
	for _, f := range layerFields[kind] {
		out = append(out, strings.TrimSuffix(f, "*"))
	}
	return out
}

// Bounds on a description, so that a corrupt file or checkpoint header cannot ask for an
// absurd allocation: no real layer of the networks here comes near them.
const (
	maxWidth  = 1 << 16 // channels or units of one layer
	maxKernel = 64
	maxParams = 1 << 28 // trainable values of the whole network (1 GiB of float32)
	maxLayers = 1 << 12
)

// ArchError is a fault in a Description: the layer (its index in Layers; −1 for the
// description as a whole), the field (its yaml name; "" for the layer as a whole) and what is
// wrong, with the shapes involved. File and Line locate it when the description was read from
// a file (ParseDescription).
type ArchError struct {
	File  string
	Line  int
	Layer int
	Field string
	Msg   string
}

// Where names the place of the fault: "file:line: layers[3].kernel" (file and line when known).
func (e *ArchError) Where() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	switch {
	case e.Layer >= 0:
		fmt.Fprintf(&b, "layers[%d]", e.Layer)
		if e.Field != "" {
			b.WriteString("." + e.Field)
		}
	case e.Field != "":
		b.WriteString(e.Field)
	default:
		return strings.TrimSuffix(b.String(), ": ")
	}
	return b.String()
}

func (e *ArchError) Error() string {
	if w := e.Where(); w != "" {
		return "models: " + w + ": " + e.Msg
	}
	return "models: " + e.Msg
}

// fault makes the ArchError of layer i (−1: the description) and field, located when d has lines.
func (d *Description) fault(i int, field, format string, args ...any) *ArchError {
	e := &ArchError{File: d.file, Layer: i, Field: field, Msg: fmt.Sprintf(format, args...)}
	switch {
	case i >= 0 && i < len(d.lines):
		if l, ok := d.lines[i][field]; ok {
			e.Line = l
		} else {
			e.Line = d.lines[i][""]
		}
	case i < 0 && d.line != nil:
		e.Line = d.line[field]
	}
	return e
}

// File is the file the description was read from ("" for one built in Go or read from a
// config).
func (d *Description) File() string { return d.file }

// maxDescriptionBytes bounds an architecture file; the largest built-in is under 2 KiB.
const maxDescriptionBytes = 1 << 20

// ParseDescription reads an architecture file: a YAML mapping with doc (optional), input
// (optional: [channels, height, width]) and layers. file names it in errors. Unknown keys,
// values of the wrong type, repeated keys and a missing layers list are errors naming the
// file and line; the layers themselves are checked by Build, whose errors then carry lines
// too.
func ParseDescription(file string, data []byte) (*Description, error) {
	fail := func(line int, format string, args ...any) error {
		return &ArchError{File: file, Line: line, Layer: -1, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > maxDescriptionBytes {
		return nil, fail(0, "%d bytes, an architecture file may have at most %d", len(data), maxDescriptionBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail(0, "empty, need a mapping with layers:")
		}
		return nil, yamlFault(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fail(extra.Line, "a second YAML document, need exactly one description per file")
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlFault(file, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(doc.Line, "need a mapping with doc:, input: and layers:")
	}
	d := &Description{file: file, line: map[string]int{}}
	root := doc.Content[0]
	if err := walkMapping(root, reflect.TypeOf(*d), "", d.line, file, -1); err != nil {
		return nil, err
	}
	if _, ok := d.line["layers"]; !ok {
		return nil, fail(root.Line, "layers: missing, need the list of layers")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "layers" {
			continue
		}
		list := root.Content[i+1]
		if list.Kind != yaml.SequenceNode {
			return nil, fail(list.Line, "layers: need a list of layers, each a mapping such as {kind: relu}")
		}
		for j, item := range list.Content {
			lines := map[string]int{"": item.Line}
			if item.Kind != yaml.MappingNode {
				return nil, &ArchError{File: file, Line: item.Line, Layer: j, Msg: "need a mapping such as {kind: conv, channels: 8, kernel: 3}"}
			}
			if err := walkMapping(item, reflect.TypeOf(LayerSpec{}), fmt.Sprintf("layers[%d]", j), lines, file, j); err != nil {
				return nil, err
			}
			d.lines = append(d.lines, lines)
		}
	}
	lines := d.lines
	if err := root.Decode(d); err != nil {
		return nil, yamlFault(file, err)
	}
	d.file, d.lines = file, lines
	return d, nil
}

// walkMapping checks the keys and scalar types of mapping n against the yaml fields of struct
// type t and records each key's line in lines.
func walkMapping(n *yaml.Node, t reflect.Type, where string, lines map[string]int, file string, layer int) error {
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fields[name] = f.Type
		names = append(names, name)
	}
	at := func(field string) string {
		if where == "" {
			return field
		}
		return where + "." + field
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fail := func(format string, args ...any) error {
			e := &ArchError{File: file, Line: k.Line, Layer: layer, Field: k.Value, Msg: fmt.Sprintf(format, args...)}
			if layer < 0 {
				e.Field = at(k.Value)
			}
			return e
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			return &ArchError{File: file, Line: k.Line, Layer: layer, Msg: "need plain field names (no merge keys or complex keys)"}
		}
		ft, ok := fields[k.Value]
		if !ok {
			return fail("unknown field, want one of %s", strings.Join(names, ", "))
		}
		if prev, dup := lines[k.Value]; dup {
			return fail("given twice, first at line %d", prev)
		}
		lines[k.Value] = k.Line
		if v.Kind == yaml.AliasNode {
			return fail("an alias; write the value out")
		}
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			continue // the layers: walked by the caller
		}
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if !scalarFits(v, ft) {
			return fail("%s, need %s", describeNode(v), needOf(ft))
		}
	}
	return nil
}

// scalarFits reports whether the YAML value v decodes into a value of type t without loss.
func scalarFits(v *yaml.Node, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice:
		if v.Kind != yaml.SequenceNode {
			return false
		}
		for _, c := range v.Content {
			if !scalarFits(c, t.Elem()) {
				return false
			}
		}
		return true
	case reflect.Int:
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
			return false
		}
	case reflect.Float64:
		if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
			return false
		}
	case reflect.Bool:
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			return false
		}
	case reflect.String:
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || v.ShortTag() == "!!binary" {
			return false
		}
	}
	return v.Decode(reflect.New(t).Interface()) == nil
}

func describeNode(v *yaml.Node) string {
	switch v.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	if v.ShortTag() == "!!null" {
		return "no value"
	}
	if v.ShortTag() == "!!str" {
		return strconv.Quote(v.Value)
	}
	return v.Value
}

func needOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(needOf(t.Elem()), "an "), "a ") + "s"
	}
	return t.String()
}

// yamlLineRE matches the "line N: message" form of yaml.v3 errors.
var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)$`)

// yamlFault turns an error of the YAML parser into a one-line ArchError.
func yamlFault(file string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg, _, _ = strings.Cut(strings.TrimPrefix(msg, "yaml: "), "\n")
	e := &ArchError{File: file, Layer: -1, Msg: msg}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
	}
	return e
}

// namePattern is what a layer's name may be.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// digitsOnly matches a name that would read as a block count.
var digitsOnly = regexp.MustCompile(`^[0-9]+$`)

// shapeString writes a per-sample shape as 16×14×14 or, flat, as "128 values".
func shapeString(s []int) string {
	if len(s) == 1 {
		return fmt.Sprintf("%d values", s[0])
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, "×")
}

// Build checks d and compiles it into the Arch called name, for inputs of c×h×w (the
// description's own input shape, when it has one, must be that: see Input). Each fault is an
// *ArchError naming the layer and field, with the shapes involved: an unknown kind, a missing
// or misplaced field, a value out of range, a layer that does not fit its input (a kernel
// larger than the padded input, a convolution after flatten, a dense layer on C×H×W values, a
// residual block whose shortcut cannot make its shape), a description that does not end with
// a dense layer or has nothing before it, a repeated name.
//
// Consecutive layers are fused into the fast ops where they allow it: conv (with bias, odd
// kernel, padding kernel/2, stride 1) + relu (+ a 2×2 max-pool of stride 2); conv (without bias,
// odd kernel, padding kernel/2, any stride) + batchnorm (+ relu); dense (+ relu); batchnorm (+
// relu); residual blocks with identity or pad shortcuts. Other layers run as general ops
// (any kernel, stride and padding; pools; a standalone batch norm; ReLU; projection shortcuts).
func (d *Description) Build(name string, c, h, w int) (Arch, error) {
	if len(d.Input) > 0 {
		if len(d.Input) != 3 {
			return Arch{}, d.fault(-1, "input", "%v, need [channels, height, width]", d.Input)
		}
		for _, v := range d.Input {
			if v < 1 || v > maxWidth {
				return Arch{}, d.fault(-1, "input", "%v, need three integers in 1..%d", d.Input, maxWidth)
			}
		}
		c, h, w = d.Input[0], d.Input[1], d.Input[2]
	}
	if c < 1 || h < 1 || w < 1 {
		return Arch{}, d.fault(-1, "input", "no input shape: the description has none and none was given")
	}
	n := len(d.Layers)
	if n == 0 {
		return Arch{}, d.fault(-1, "layers", "empty, need at least one layer and the classifier (a dense layer)")
	}
	if n > maxLayers {
		return Arch{}, d.fault(-1, "layers", "%d layers, at most %d", n, maxLayers)
	}
	names := map[string]int{}
	for i, l := range d.Layers {
		if err := d.checkFields(i, l, i == n-1); err != nil {
			return Arch{}, err
		}
		if l.Name != "" {
			if prev, dup := names[l.Name]; dup {
				return Arch{}, d.fault(i, "name", "%q again (also layers[%d]); names must be unique", l.Name, prev)
			}
			names[l.Name] = i
		}
	}
	last := d.Layers[n-1]
	if last.Kind != KindDense {
		return Arch{}, d.fault(n-1, "kind", "the last layer is a %s; a network ends with its classifier, a dense layer", last.Kind)
	}
	// Shapes, layer by layer.
	shapes := make([][]int, n+1) // shapes[i] is layer i's input
	shapes[0] = []int{c, h, w}
	var params int64
	for i, l := range d.Layers {
		out, np, err := d.layerShape(i, l, shapes[i])
		if err != nil {
			return Arch{}, err
		}
		params += np
		if params > maxParams {
			return Arch{}, d.fault(i, "", "the network has more than %d trainable values by this layer", maxParams)
		}
		shapes[i+1] = out
	}
	// Blocks: a conv, dense or residual layer starts one; the tail is the classifier with the
	// gap, flatten and dropout layers right before it.
	tail := n - 1
	for tail > 0 && slices.Contains([]string{KindGAP, KindFlatten, KindDropout}, d.Layers[tail-1].Kind) {
		tail--
	}
	if tail == 0 {
		return Arch{}, d.fault(n-1, "", "nothing before the classifier but pooling, flatten or dropout: the cloud's body needs a layer to run")
	}
	a := Arch{Name: name, Doc: d.Doc, C: c, H: h, W: w, Desc: d.clone(), layerBlock: make([]int, n)}
	var start []int // first layer of each block
	for i := range tail {
		if i == 0 || slices.Contains([]string{KindConv, KindDense, KindResidual}, d.Layers[i].Kind) {
			start = append(start, i)
		}
		a.layerBlock[i] = len(start) - 1
	}
	for i := tail; i < n; i++ {
		a.layerBlock[i] = -1
	}
	for b, lo := range start {
		hi := tail
		if b+1 < len(start) {
			hi = start[b+1]
		}
		a.Blocks = append(a.Blocks, d.fuse(lo, hi, shapes))
	}
	a.Tail = d.fuse(tail, n, shapes)
	return a, nil
}

// checkFields checks layer i's kind, that it sets the fields its kind reads (the required
// ones) and no others, and their ranges; last says whether it is the classifier.
func (d *Description) checkFields(i int, l LayerSpec, last bool) error {
	allowed, ok := layerFields[l.Kind]
	if !ok {
		if l.Kind == "" {
			return d.fault(i, "kind", "missing, need one of %s", strings.Join(LayerKinds(), ", "))
		}
		return d.fault(i, "kind", "%q, need one of %s", l.Kind, strings.Join(LayerKinds(), ", "))
	}
	if l.Name != "" && (!namePattern.MatchString(l.Name) || digitsOnly.MatchString(l.Name)) {
		return d.fault(i, "name", "%q, need 1 to 64 letters, digits, '.', '_' or '-', not digits only (a number would read as a block count)", l.Name)
	}
	set := map[string]bool{
		"channels": l.Channels != 0, "kernel": l.Kernel != 0, "stride": l.Stride != 0, "padding": l.Padding != 0,
		"bias": l.Bias != nil, "shortcut": l.Shortcut != "", "units": l.Units != 0, "rate": l.Rate != 0,
	}
	reads := LayerFields(l.Kind)
	for _, f := range []string{"channels", "kernel", "stride", "padding", "bias", "shortcut", "units", "rate"} {
		if set[f] && !slices.Contains(reads, f) {
			what := "no fields besides kind and name"
			if len(reads) > 0 {
				what = strings.Join(reads, ", ")
			}
			return d.fault(i, f, "given, but a %s layer reads %s", l.Kind, what)
		}
	}
	for _, f := range allowed {
		if name, req := strings.CutSuffix(f, "*"); req && !set[name] && !(last && name == "units") {
			return d.fault(i, name, "missing, a %s layer needs it", l.Kind)
		}
	}
	pos := func(field string, v, hi int) error {
		if v < 1 || v > hi {
			return d.fault(i, field, "%d, need an integer in 1..%d", v, hi)
		}
		return nil
	}
	nonNeg := func(field string, v int) error {
		if v < 0 {
			return d.fault(i, field, "%d, need an integer ≥ 0", v)
		}
		return nil
	}
	var err error
	switch l.Kind {
	case KindConv:
		err = errors.Join(pos("channels", l.Channels, maxWidth), pos("kernel", l.Kernel, maxKernel), nonNeg("stride", l.Stride), nonNeg("padding", l.Padding))
	case KindMaxPool, KindAvgPool:
		err = errors.Join(pos("kernel", l.Kernel, maxKernel), nonNeg("stride", l.Stride), nonNeg("padding", l.Padding))
		if err == nil && 2*l.Padding > l.Kernel {
			err = d.fault(i, "padding", "%d, need at most half the kernel (%d), as PyTorch does", l.Padding, l.Kernel/2)
		}
	case KindResidual:
		err = errors.Join(pos("channels", l.Channels, maxWidth), nonNeg("kernel", l.Kernel), nonNeg("stride", l.Stride))
		if err == nil && l.Kernel != 0 && (l.Kernel%2 == 0 || l.Kernel > maxKernel) {
			err = d.fault(i, "kernel", "%d, need an odd kernel up to %d (the block's convolutions keep the size)", l.Kernel, maxKernel)
		}
		if err == nil && !slices.Contains([]string{"", ShortcutIdentity, ShortcutPad, ShortcutProjection}, l.Shortcut) {
			err = d.fault(i, "shortcut", "%q, need identity, pad or projection", l.Shortcut)
		}
	case KindDense:
		if l.Units != 0 || !last {
			err = pos("units", l.Units, maxWidth)
		}
	case KindDropout:
		if !(l.Rate > 0 && l.Rate < 1) {
			err = d.fault(i, "rate", "%v, need a number with 0 < rate < 1", l.Rate)
		}
	}
	if err != nil {
		var ae *ArchError
		if errors.As(err, &ae) {
			return ae // the first fault
		}
		return err
	}
	return nil
}

// stride is a layer's stride with its default: 1 for convolutions and residual blocks, the
// kernel for pools.
func (l LayerSpec) stride() int {
	switch {
	case l.Stride > 0:
		return l.Stride
	case l.Kind == KindMaxPool || l.Kind == KindAvgPool:
		return l.Kernel
	}
	return 1
}

// kernel is a layer's kernel with its default (3 for a residual block).
func (l LayerSpec) kernel() int {
	if l.Kind == KindResidual && l.Kernel == 0 {
		return 3
	}
	return l.Kernel
}

// bias is whether a conv layer has a bias (the default).
func (l LayerSpec) bias() bool { return l.Bias == nil || *l.Bias }

// layerShape returns the output shape of layer i on input in and its number of trainable
// values, or the fault that it does not fit.
func (d *Description) layerShape(i int, l LayerSpec, in []int) ([]int, int64, error) {
	need3 := func() error {
		if len(in) != 3 {
			return d.fault(i, "kind", "a %s layer needs C×H×W maps, but its input is %s (after a flatten, dense or gap layer)", l.Kind, shapeString(in))
		}
		return nil
	}
	window := func(k, s, p int) ([]int, error) {
		if in[1]+2*p < k || in[2]+2*p < k {
			field := "kernel"
			return nil, d.fault(i, field, "%d does not fit the input %s with padding %d (the padded input is %d×%d)", k, shapeString(in), p, in[1]+2*p, in[2]+2*p)
		}
		return []int{in[0], (in[1]+2*p-k)/s + 1, (in[2]+2*p-k)/s + 1}, nil
	}
	switch l.Kind {
	case KindConv:
		if err := need3(); err != nil {
			return nil, 0, err
		}
		out, err := window(l.Kernel, l.stride(), l.Padding)
		if err != nil {
			return nil, 0, err
		}
		out[0] = l.Channels
		np := int64(l.Channels) * int64(in[0]) * int64(l.Kernel*l.Kernel)
		if l.bias() {
			np += int64(l.Channels)
		}
		return out, np, nil
	case KindMaxPool, KindAvgPool:
		if err := need3(); err != nil {
			return nil, 0, err
		}
		out, err := window(l.Kernel, l.stride(), l.Padding)
		return out, 0, err
	case KindResidual:
		if err := need3(); err != nil {
			return nil, 0, err
		}
		k, s, o := l.kernel(), l.stride(), l.Channels
		if in[1]+2*(k/2) < k || in[2]+2*(k/2) < k {
			return nil, 0, d.fault(i, "kernel", "%d does not fit the input %s", k, shapeString(in))
		}
		out := []int{o, (in[1]-1)/s + 1, (in[2]-1)/s + 1}
		keeps := in[0] == o && s == 1
		switch l.Shortcut {
		case "":
			if !keeps {
				return nil, 0, d.fault(i, "shortcut", "missing: the block changes the shape %s → %s, so the shortcut must too; give shortcut: pad (option A: subsample, zero-pad the channels) or projection (option B: a 1×1 convolution)", shapeString(in), shapeString(out))
			}
		case ShortcutIdentity:
			if !keeps {
				return nil, 0, d.fault(i, "shortcut", "identity, but the block changes the shape %s → %s; give pad or projection", shapeString(in), shapeString(out))
			}
		case ShortcutPad:
			if o < in[0] || (o-in[0])%2 != 0 {
				return nil, 0, d.fault(i, "shortcut", "pad from %d to %d channels: option A zero-pads the same number of channels on each side, so it needs at least as many channels out, an even number more (use projection)", in[0], o)
			}
		}
		np := int64(o)*int64(in[0])*int64(k*k) + int64(o)*int64(o)*int64(k*k) + 4*int64(o)
		if l.Shortcut == ShortcutProjection {
			np += int64(o)*int64(in[0]) + 2*int64(o)
		}
		return out, np, nil
	case KindBatchNorm:
		return in, 2 * int64(in[0]), nil
	case KindReLU, KindDropout:
		return in, 0, nil
	case KindGAP:
		if err := need3(); err != nil {
			return nil, 0, err
		}
		return []int{in[0]}, 0, nil
	case KindFlatten:
		v := 1
		for _, x := range in {
			v *= x
		}
		return []int{v}, 0, nil
	case KindDense:
		if len(in) != 1 {
			return nil, 0, d.fault(i, "kind", "a dense layer needs a flat input, but its input is %s; put {kind: flatten} (or gap) before it (PyTorch's nn.Linear would act on the last axis alone)", shapeString(in))
		}
		units := l.Units
		if units == 0 {
			units = 1 // the classifier: one per class, counted when classes are known
		}
		return []int{units}, int64(in[0])*int64(units) + int64(units), nil
	}
	return nil, 0, d.fault(i, "kind", "%q, need one of %s", l.Kind, strings.Join(LayerKinds(), ", "))
}

// fuse compiles the description's layers [lo,hi) into the layers the networks run, fusing
// what the fast ops allow (see Build). shapes[i] is layer i's input.
func (d *Description) fuse(lo, hi int, shapes [][]int) []Layer {
	var out []Layer
	next := func(i int, kind string) bool { return i < hi && d.Layers[i].Kind == kind }
	flat := false // the layer follows a flatten
	for i := lo; i < hi; {
		l := d.Layers[i]
		src := []int{i}
		var c Layer
		switch l.Kind {
		case KindConv:
			k, s, p := l.Kernel, l.stride(), l.Padding
			same := k%2 == 1 && p == k/2
			switch {
			case l.bias() && same && s == 1:
				c = Layer{Kind: Conv, Out: l.Channels, Kernel: k, Stride: 1, Pad: p, Bias: true}
				if next(i+1, KindReLU) {
					c.ReLU = true
					src = append(src, i+1)
				}
			case !l.bias() && same && next(i+1, KindBatchNorm):
				c = Layer{Kind: ConvBN, Out: l.Channels, Kernel: k, Stride: s, Pad: p}
				src = append(src, i+1)
				if next(i+2, KindReLU) {
					c.ReLU = true
					src = append(src, i+2)
				}
			default:
				c = Layer{Kind: ConvAny, Out: l.Channels, Kernel: k, Stride: s, Pad: p, Bias: l.bias()}
				if next(i+1, KindReLU) {
					c.ReLU = true
					src = append(src, i+1)
				}
			}
		case KindDense:
			c = Layer{Kind: Dense, Out: l.Units, Bias: true}
			if next(i+1, KindReLU) {
				c.ReLU = true
				src = append(src, i+1)
			}
		case KindBatchNorm:
			c = Layer{Kind: BatchNorm}
			if next(i+1, KindReLU) {
				c.ReLU = true
				src = append(src, i+1)
			}
		case KindReLU:
			c = Layer{Kind: ReLU}
		case KindMaxPool:
			c = Layer{Kind: MaxPool, Kernel: l.Kernel, Stride: l.stride(), Pad: l.Padding}
		case KindAvgPool:
			c = Layer{Kind: AvgPool, Kernel: l.Kernel, Stride: l.stride(), Pad: l.Padding}
		case KindResidual:
			sc := l.Shortcut
			if sc == "" {
				sc = ShortcutIdentity
			}
			c = Layer{Kind: Residual, Out: l.Channels, Kernel: l.kernel(), Stride: l.stride(), Shortcut: sc}
		case KindGAP:
			c = Layer{Kind: GAP}
		case KindDropout:
			c = Layer{Kind: Dropout, Rate: l.Rate}
		case KindFlatten:
			i++ // a shape change only: the next layer takes the flat values
			flat = true
			continue
		}
		c.Src, c.Flat = src, flat && c.Kind != Dense
		flat = false
		out = append(out, c)
		i += len(src)
	}
	return out
}

// clone copies the description (its layers and location), so that an Arch owns its own.
func (d *Description) clone() *Description {
	c := *d
	c.Input = slices.Clone(d.Input)
	c.Layers = slices.Clone(d.Layers)
	return &c
}

// SplitOf returns the split point that puts the block holding the layer called name last on
// the edge: one more than that block's index. It is an error when no layer has that name,
// when it is in the edge tail, or when the split would leave the cloud no block.
func (a Arch) SplitOf(name string) (int, error) {
	if a.Desc == nil {
		return 0, fmt.Errorf("models: %s has no layer names", a.Name)
	}
	var names []string
	for i, l := range a.Desc.Layers {
		if l.Name == "" {
			continue
		}
		if l.Name != name {
			if a.layerBlock[i] >= 0 && a.layerBlock[i] < a.MaxSplit() {
				names = append(names, l.Name)
			}
			continue
		}
		b := a.layerBlock[i]
		switch {
		case b < 0:
			return 0, fmt.Errorf("%s is in the edge tail (the classifier and the pooling before it); a split must leave the cloud at least one block", name)
		case b+1 > a.MaxSplit():
			return 0, fmt.Errorf("%s is in the last block (%d of %d); a split after it leaves the cloud nothing to run", name, b, len(a.Blocks)-1)
		}
		return b + 1, nil
	}
	if len(names) == 0 {
		return 0, fmt.Errorf("no layer is named %q, and %s names none that can end the head", name, a.Name)
	}
	return 0, fmt.Errorf("no layer is named %q; the names that can end the head are %s", name, strings.Join(names, ", "))
}
