package models

import (
	"fmt"
	"sort"
	"strings"
)

// LayerKind names the kind of one layer of an architecture.
type LayerKind int

// The layer kinds an architecture is built from.
const (
	Conv     LayerKind = iota // 2-D convolution, stride 1, "same" padding, followed by ReLU
	Pool                      // 2×2 max-pool, stride 2
	Dense                     // fully connected layer, followed by ReLU unless it is the classifier
	ConvBN                    // convolution without bias, then batch normalisation and ReLU (arch_resnet.go)
	Residual                  // basic residual block with batch normalisation (arch_resnet.go)
	GAP                       // global average pooling: (C,H,W) → (C)
)

// Layer is one layer of an architecture. For Conv and ConvBN, Out is the number of output
// channels and Kernel the (square) kernel size; for Residual, Out is the number of output
// channels (its two convolutions are 3×3); for Dense, Out is the number of units; Pool and GAP
// use neither. Stride applies to ConvBN and Residual (0 means 1).
type Layer struct {
	Kind   LayerKind
	Out    int
	Kernel int
	Stride int
}

// stride is the layer's stride, 1 unless set.
func (l Layer) stride() int { return max(l.Stride, 1) }

// Arch describes a CNN as a list of blocks followed by a classifier. A split point s puts
// blocks [0,s) in the edge head, blocks [s,len(Blocks)) in the cloud body and the classifier
// (the tail) back on the edge.
type Arch struct {
	Name string
	// Doc says in one line what the network is and where it comes from.
	Doc string
	// C, H, W is the input shape (channels, height, width).
	C, H, W int
	// Blocks are the splittable blocks; the classifier (one Dense layer with one output per
	// class) is added after them.
	Blocks [][]Layer
	// Tail lists the layers the edge tail runs before the classifier (e.g. global average
	// pooling); usually none.
	Tail []Layer
}

// MaxSplit is the largest valid split point: the cloud body keeps at least one block.
func (a Arch) MaxSplit() int { return len(a.Blocks) - 1 }

var archs = map[string]Arch{
	"mnist-cnn": {
		Name: "mnist-cnn",
		Doc:  "conv5x5(16)-pool | conv5x5(32)-pool | fc128 | fc(classes); LeNet-style net for 28x28x1",
		C:    1, H: 28, W: 28,
		Blocks: [][]Layer{
			{{Kind: Conv, Out: 16, Kernel: 5}, {Kind: Pool}},
			{{Kind: Conv, Out: 32, Kernel: 5}, {Kind: Pool}},
			{{Kind: Dense, Out: 128}},
		},
	},
	"cifar-cnn": {
		Name: "cifar-cnn",
		Doc:  "conv3x3(32)-pool | conv3x3(64)-pool | conv3x3(128)-pool | fc256 | fc(classes); VGG-style net for 32x32x3",
		C:    3, H: 32, W: 32,
		Blocks: [][]Layer{
			{{Kind: Conv, Out: 32, Kernel: 3}, {Kind: Pool}},
			{{Kind: Conv, Out: 64, Kernel: 3}, {Kind: Pool}},
			{{Kind: Conv, Out: 128, Kernel: 3}, {Kind: Pool}},
			{{Kind: Dense, Out: 256}},
		},
	},
	"speech-cnn": {
		Name: "speech-cnn",
		Doc:  "conv3x3(16)-pool | conv3x3(32)-pool | conv3x3(64)-pool | fc128 | fc(classes); small keyword-spotting CNN for 1x32x64 log-mel spectrograms (32 mel bands x 64 frames)",
		C:    1, H: 32, W: 64,
		Blocks: [][]Layer{
			{{Kind: Conv, Out: 16, Kernel: 3}, {Kind: Pool}},
			{{Kind: Conv, Out: 32, Kernel: 3}, {Kind: Pool}},
			{{Kind: Conv, Out: 64, Kernel: 3}, {Kind: Pool}},
			{{Kind: Dense, Out: 128}},
		},
	},
	"mnist-resnet8":  resnet("mnist-resnet8", 1, 28, 1),
	"mnist-resnet20": resnet("mnist-resnet20", 1, 28, 3),
	"cifar-resnet8":  resnet("cifar-resnet8", 3, 32, 1),
	"cifar-resnet20": resnet("cifar-resnet20", 3, 32, 3),
}

// DefaultArch is the architecture used when a config names none.
const DefaultArch = "mnist-cnn"

// Lookup returns the architecture called name.
func Lookup(name string) (Arch, error) {
	a, ok := archs[name]
	if !ok {
		return Arch{}, fmt.Errorf("models: unknown architecture %q, want one of %s", name, strings.Join(Names(), ", "))
	}
	return a, nil
}

// Names lists the known architectures, sorted.
func Names() []string {
	names := make([]string, 0, len(archs))
	for n := range archs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
