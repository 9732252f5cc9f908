package models

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// LayerKind names the kind of one layer of a built network: a Description's layers after
// fusion (Description.Build).
type LayerKind int

// The layer kinds networks are built from. The first six are the fused fast ops; the others
// run what those cannot, as general ops.
const (
	Conv      LayerKind = iota // convolution with bias, odd kernel, "same" padding, stride 1, then ReLU if ReLU (ops_conv.go)
	MaxPool                    // max-pool, Kernel × Kernel, Stride, Pad; fused into a Conv+ReLU before it when 2×2 of stride 2
	Dense                      // fully connected layer with bias, then ReLU if ReLU (ops_dense.go)
	ConvBN                     // convolution without bias, odd kernel, "same" padding, any stride, batch norm, then ReLU if ReLU (ops_bn.go)
	Residual                   // basic residual block with batch norms; Shortcut identity, pad or projection (ops_res.go)
	GAP                        // global average pooling: (C,H,W) → (C)
	ConvAny                    // convolution of any kernel, stride and padding, with or without bias, then ReLU if ReLU (ops_generic.go)
	AvgPool                    // average pool, padding counted (ops_generic.go)
	BatchNorm                  // batch normalisation per channel or feature, then ReLU if ReLU (ops_generic.go)
	ReLU                       // max(x, 0) (ops_generic.go)
	Dropout                    // dropout at Rate in training; nothing in inference (ops_generic.go)
)

var kindNames = [...]string{"conv", "maxpool", "dense", "conv-bn", "residual", "gap", "conv (general)", "avgpool", "batchnorm", "relu", "dropout"}

func (k LayerKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("LayerKind(%d)", int(k))
}

// Layer is one layer of a built network, made by Description.Build from one or more
// consecutive layers of the description (Src lists their indices). Out is the output channels
// (Conv, ConvBN, ConvAny, Residual) or units (Dense; 0 on the classifier: one per class);
// Kernel, Stride and Pad the window (Stride 0 means 1); ReLU says a ReLU follows (fused);
// Bias whether a convolution has a bias; Shortcut a residual block's shortcut; Rate a
// dropout's rate; Flat that the layer reads its input as flat values (it follows a flatten; a
// Dense layer always does).
type Layer struct {
	Kind     LayerKind
	Out      int
	Kernel   int
	Stride   int
	Pad      int
	ReLU     bool
	Bias     bool
	Shortcut string
	Rate     float64
	Flat     bool
	Src      []int
}

// stride is the layer's stride, 1 unless set.
func (l Layer) stride() int { return max(l.Stride, 1) }

// Arch is a built network: its blocks and edge tail, made from a Description by Build. A split
// point s puts blocks [0,s) in the edge head, blocks [s,len(Blocks)) in the cloud body and the
// tail back on the edge.
type Arch struct {
	Name string
	// Doc says in one line what the network is and where it comes from.
	Doc string
	// C, H, W is the input shape (channels, height, width).
	C, H, W int
	// Blocks are the splittable blocks.
	Blocks [][]Layer
	// Tail lists the layers the edge tail runs: any pooling before the classifier, and the
	// classifier, a Dense layer (with Out 0: one unit per class).
	Tail []Layer
	// Desc is the description the Arch was built from.
	Desc *Description

	builtin    bool  // one of Names, so a checkpoint needs only its name
	layerBlock []int // per description layer: its block, −1 for the tail
}

// MaxSplit is the largest valid split point: the cloud body keeps at least one block.
func (a Arch) MaxSplit() int { return len(a.Blocks) - 1 }

// Builtin reports whether a is one of the built-in architectures (Names) as Lookup returns it.
func (a Arch) Builtin() bool { return a.builtin }

// The built-in architectures, one description file each.
//
//go:embed archs/*.yaml
var builtinFS embed.FS

// builtinDir is the folder of builtinFS holding them.
const builtinDir = "archs"

var builtins = sync.OnceValues(func() (map[string]Arch, error) {
	ents, err := builtinFS.ReadDir(builtinDir)
	if err != nil {
		return nil, err
	}
	m := map[string]Arch{}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		data, err := builtinFS.ReadFile(path.Join(builtinDir, e.Name()))
		if err != nil {
			return nil, err
		}
		d, err := ParseDescription(path.Join(builtinDir, e.Name()), data)
		if err != nil {
			return nil, err
		}
		a, err := d.Build(name, 0, 0, 0)
		if err != nil {
			return nil, err
		}
		a.builtin = true
		m[name] = a
	}
	return m, nil
})

// builtinArchs returns the built-in architectures; a broken embedded file is a bug of the build.
func builtinArchs() map[string]Arch {
	m, err := builtins()
	if err != nil {
		panic(fmt.Sprintf("models: the built-in architectures: %v", err))
	}
	return m
}

// BuiltinDescription returns the text of the description file of the built-in architecture
// called name (Names), as shipped in archs/.
func BuiltinDescription(name string) ([]byte, error) {
	if _, err := Lookup(name); err != nil {
		return nil, err
	}
	return builtinFS.ReadFile(path.Join(builtinDir, name+".yaml"))
}

// DefaultArch is the architecture used when a config names none.
const DefaultArch = "mnist-cnn"

// Lookup returns the built-in architecture called name.
func Lookup(name string) (Arch, error) {
	a, ok := builtinArchs()[name]
	if !ok {
		return Arch{}, fmt.Errorf("models: unknown architecture %q, want one of %s", name, strings.Join(Names(), ", "))
	}
	return a, nil
}

// Names lists the built-in architectures, sorted.
func Names() []string {
	m := builtinArchs()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DescriptionText returns the architecture's description as YAML, input shape included: the
// shipped file of a built-in architecture, else the description it was built from.
func (a Arch) DescriptionText() ([]byte, error) {
	if a.builtin {
		return builtinFS.ReadFile(path.Join(builtinDir, a.Name+".yaml"))
	}
	d := a.Desc.clone()
	d.Input = []int{a.C, a.H, a.W}
	var n yaml.Node
	if err := n.Encode(d); err != nil {
		return nil, fmt.Errorf("models: %s: %w", a.Name, err)
	}
	for i := 0; i+1 < len(n.Content); i += 2 { // one line per layer, as the shipped files have them
		switch v := n.Content[i+1]; n.Content[i].Value {
		case "input":
			v.Style = yaml.FlowStyle
		case "layers":
			for _, l := range v.Content {
				l.Style = yaml.FlowStyle
			}
		}
	}
	var b bytes.Buffer
	b.WriteString("# " + a.Name + "\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("models: %s: %w", a.Name, err)
	}
	return b.Bytes(), enc.Close()
}
