package models

import "fmt"

// resnet is the CIFAR-style residual network of He, Zhang, Ren and Sun ("Deep Residual
// Learning for Image Recognition", CVPR 2016, §4.2) with 6n+2 weighted layers for a c×s×s
// input: a 3×3 convolution to 16 channels (the stem), three stages of n basic blocks with 16,
// 32 and 64 channels at full, half and quarter resolution, then global average pooling and the
// classifier. n = 3 is ResNet-20 (0.27 M parameters on CIFAR-10, 91.25% test accuracy in the
// paper's Table 6), n = 1 ResNet-8.
//
// Every convolution is followed by batch normalisation (Ioffe & Szegedy 2015) and has no bias.
// A basic block is conv3×3-BN-ReLU-conv3×3-BN plus the shortcut, then ReLU; the first block of
// stages 2 and 3 halves the resolution with a stride-2 first convolution and doubles the
// channels. Its shortcut is the paper's option A, which CIFAR ResNets use (§4.2): the input
// subsampled by 2 and zero-padded with C/2 channels on each side (as the widely used PyTorch
// port, github.com/akamaster/pytorch_resnet_cifar10, does), so shortcuts add no parameters.
//
// Split points are the block boundaries: block 0 is the stem, blocks 1..3n the residual
// blocks; the edge tail runs global average pooling and the classifier. Split 1 uploads the
// stem's 16 feature maps.
func resnet(name string, c, size, n int) Arch {
	a := Arch{
		Name: name,
		Doc: fmt.Sprintf("ResNet-%d (He et al. 2016, CIFAR-style, option-A shortcuts, batch norm) for %dx%dx%d: conv3x3(16) | %d×res(16) | %d×res(32, /2) | %d×res(64, /2) | GAP+fc(classes)",
			6*n+2, size, size, c, n, n, n),
		C: c, H: size, W: size,
		Blocks: [][]Layer{{{Kind: ConvBN, Out: 16, Kernel: 3}}},
		Tail:   []Layer{{Kind: GAP}},
	}
	for stage, width := range []int{16, 32, 64} {
		for b := range n {
			stride := 1
			if stage > 0 && b == 0 {
				stride = 2
			}
			a.Blocks = append(a.Blocks, []Layer{{Kind: Residual, Out: width, Kernel: 3, Stride: stride}})
		}
	}
	return a
}
