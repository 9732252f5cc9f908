// Package models holds the networks DataMix runs: CNNs built on gorgonia in float32, cut at a
// split point into an edge head, a cloud body and an edge tail (Liu et al., "DataMix:
// Efficient Privacy-Preserving Edge-Cloud Inference", ECCV 2020).
//
// A network is described as data: a Description lists its layers in the order they run (conv,
// batchnorm, relu, maxpool, avgpool, residual, gap, flatten, dense, dropout; LayerSpec has
// their fields and PyTorch equivalents), read from YAML (ParseDescription) or given in a
// config. Build checks it against an input shape — every fault an *ArchError naming the
// layer, the field and the shapes, with file and line when it came from a file — and compiles
// it into an Arch: blocks of layers, a block starting at every conv, dense and residual layer
// (the split points are the block boundaries), and the edge tail, the classifier (the last
// layer, a dense one) with the gap, flatten and dropout layers right before it. A split point s
// puts blocks [0,s) in the head, the rest in the body, and the tail stays on the edge, so the
// cloud never sees predictions. Split 0 uploads raw pixels; Arch.SplitOf finds the split point
// a layer's name gives. The built-in architectures are description files (archs/*.yaml,
// embedded): Lookup and Names.
//
//	mnist-cnn       28×28×1  conv5x5(16)-pool | conv5x5(32)-pool | fc128 | fc(classes)
//	cifar-cnn       32×32×3  conv3x3(32)-pool | conv3x3(64)-pool | conv3x3(128)-pool | fc256 | fc(classes)
//	mnist-resnet8   28×28×1  conv3x3(16)-BN | res(16) | res(32,/2) | res(64,/2) | GAP+fc(classes)
//	mnist-resnet20  28×28×1  conv3x3(16)-BN | 3×res(16) | 3×res(32, first /2) | 3×res(64, first /2) | GAP+fc
//	cifar-resnet8, cifar-resnet20: the same for 32×32×3
//	speech-cnn      1×32×64  conv3x3(16)-pool | conv3x3(32)-pool | conv3x3(64)-pool | fc128 | fc(classes)
//	                         (log-mel spectrograms: 32 mel bands × 64 frames, see datasets.MelSpec)
//
// In the plain CNNs convolutions use stride 1 and "same" padding and are followed by ReLU;
// pools are 2×2 max with stride 2; hidden dense layers are followed by ReLU. The residual
// networks are He et al.'s CIFAR ResNets (archs/*-resnet*.yaml): batch-normalised convolutions
// without bias, basic blocks with option-A shortcuts, each block a split point, and global
// average pooling in the edge tail. They compute bit for bit what the Go definitions they
// replaced computed (TestBuiltinsBitForBit holds them to golden digests of those).
//
// Build fuses consecutive layers into the fast ops where they allow it (conv+ReLU(+2×2
// max-pool), conv+batch norm(+ReLU), dense(+ReLU), batch norm(+ReLU), residual blocks with
// identity or option-A shortcuts); the other layers run as general ops (ops_generic.go: any
// convolution, pools, a standalone batch norm, ReLU, projection shortcuts, dropout).
//
// Batch normalisation (bn.go) normalises each training batch with its own statistics — in a
// mixed trainer the body's batch norms see the batch of mixtures — and keeps running
// estimates, which inference uses (RunningStats, the default; Net.WithBNStats switches an
// inference net to each batch's own statistics, BatchStats) and checkpoints store. Each input's
// prediction then depends on that input alone, as without batch norms.
//
// A Net owns the weights (seeded He initialisation: gorgonia's initialisers seed from the
// clock). A Trainer runs mixing-aware training steps: with mixing it computes
// tail(C⁻¹·body(C·head(X))) for block-diagonal C given per step, so gradients flow through
// mixing and de-mixing; without, the plain network (the baseline). An Inferer runs head, body
// and tail as separate forward graphs, so mixing and de-mixing can happen between them in
// float64, exactly as edge and cloud would. FLOPs gives the analytic per-sample cost of each
// part, UploadDim and DownloadDim the values crossing the network per sample. Save and Load
// write and read checkpoints (a described architecture's description rides in the header);
// a reloaded net gives bit-identical predictions. SavePart writes one part (head, body or
// tail) in the same format, so that a deployment hands each side only its parts: LoadPart
// reads the body file alone into a network whose other weights are zero, and NewPartInferer
// builds only the graphs of the parts asked for (the cloud's body, the edge's head and tail);
// every part file carries the whole network's Fingerprint. WriteNPZ and ReadNPZ write and
// read the weights (whole, or head, body or tail) as NumPy .npz archives with PyTorch's
// state_dict names, so that bench/torch_crosscheck.py can build the same network in PyTorch
// from its description and compare logits (TestPyTorchCrossCheck), and a model trained
// elsewhere can be attacked here.
//
// The attacker's networks live here too (package attacks reaches them through package
// experiments): a Decoder is an inverse network from uploads (or any C×H×W or flat tensor)
// to images — 3×3 convolutions, nearest-neighbour upsampling, a sigmoid output — trained on a
// squared error (DecoderTrainer, Fit); an Inverter reconstructs images from head outputs by
// optimisation, Adam on the image through the head's input gradients with a total-variation
// prior (rMLE); Net.Shadow and NewShadowTrainer build and train a shadow model whose head and
// tail learn through a frozen copy of another net's body (residual and batch-normalised bodies
// included, with their running statistics). He, Zhang and Lee ("Model inversion attacks
// against collaborative inference", ACSAC 2019) describe the three attacks.
//
// Speed: the layers are custom gorgonia ops (ops_conv.go, ops_dense.go, ops_loss.go,
// ops_bn.go, ops_res.go, ops_gap.go, ops_image.go, and the general ops of ops_generic.go) — a fused convolution+bias+ReLU(+max-pool)
// computed as an implicit im2row product (sigmoid or no activation for the decoder), a
// batch-normalised convolution (any stride), a whole residual block, global average pooling,
// dense and matrix-product ops, a fused softmax cross-entropy, upsampling, squared error and
// total variation — with hand-written gradients checked against finite differences,
// multiplying with internal/gemm's AVX2/FMA kernels (pure Go elsewhere or with the purego
// build tag), plus an in-place Adam that matches gorgonia's bit for bit. Ops use all cores
// (GOMAXPROCS) with a fixed split of every sum, so results are
// bit-for-bit reproducible for a seed and build whatever the core count. bench/README.md has
// the figures against PyTorch.
//
// Only this package imports gorgonia; other packages exchange []float32.
//
// Concurrency: a Net's weights are shared by the graphs built from it, so a Net, its Trainer
// and its Inferer are used by one goroutine at a time; use one Net per goroutine. Graph
// construction is serialised internally. A node's value (e.g. the logits) lives in a buffer its
// op reuses, so it is valid until the graph's next run.
//
// Errors: shape mismatches in calls are caller bugs and panic; data-dependent failures (a
// non-finite loss, a corrupt checkpoint or .npz archive, a fault in a description) are
// returned as errors starting with "models: ".
package models
