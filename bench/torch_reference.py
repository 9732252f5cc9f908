#!/usr/bin/python3
"""PyTorch reference for the Go benchmarks (models.BenchmarkTrainStep, models.BenchmarkInfer,
models.BenchmarkDecoderStep).

Cases (the Go benchmarks' names):
  train/baseline, train/datamix-k2, infer/batch500: the harness's mnist-cnn,
    conv5x5(16, pad 2)-ReLU-maxpool2 | conv5x5(32, pad 2)-ReLU-maxpool2 | fc128-ReLU | fc10;
  train/mnist-resnet8[-k2], infer/mnist-resnet8-batch500, infer/mnist-resnet8-batch64: ResNet-8
    for 1x28x28 inputs;
  train/cifar-resnet20[-k2], infer/cifar-resnet20-batch500: ResNet-20 for 3x32x32 inputs;
  train/decoder: models.BenchmarkDecoderStep, one training step of the attacks' inverse network
    for split-1 uploads of mnist-cnn, conv3x3(16->32)-ReLU | nearest upsample x2 |
    conv3x3(32->16)-ReLU | conv3x3(16->1)-sigmoid, mean squared error, Adam lr 1e-3, batch 64.
The ResNets are the harness's (models/arch_resnet.go): He et al.'s CIFAR ResNets, a 3x3 stem
convolution to 16 channels, basic blocks (conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU) in
stages of 16, 32 and 64 channels, option-A shortcuts (subsample and zero-pad the channels, as
github.com/akamaster/pytorch_resnet_cifar10 does), convolutions without bias, BatchNorm2d,
global average pooling and fc10.
Training is one step at batch 64: float32, Adam lr 1e-3, cross-entropy, batch norms in training
mode. "-k2" (and datamix-k2) inserts the same in-graph mixing as the Go trainer at split 1: the
head output is multiplied by a 64x64 block-diagonal C of 2x2 blocks, the body output by C^-1.
"batch500" is evaluation as models.BenchmarkInfer runs it: the forward pass of the whole network
at batch 500 (the harness's evaluation batch) without autograd (batch norms in evaluation mode);
"batch64" the same at batch 64. Prints one line per case:
"<case> <samples/s>". Threads = the machine's cores (TORCH_THREADS overrides, for diagnosis
only: the targets are defined with threads = cores). With TORCH_RATE=cpu the number printed is
samples per second of the process's CPU time instead of wall time (steadier on a machine shared
with other jobs).

Run with Debian's python3-torch: /usr/bin/python3 bench/torch_reference.py [seconds]
"""
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 64


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 5, padding=2)
        self.c2 = nn.Conv2d(16, 32, 5, padding=2)
        self.f1 = nn.Linear(32 * 7 * 7, 128)
        self.f2 = nn.Linear(128, 10)

    def forward(self, x, mix=None, demix=None):
        n = x.shape[0]
        h = F.max_pool2d(F.relu(self.c1(x)), 2)  # head (split 1)
        if mix is not None:
            h = (mix @ h.reshape(n, -1)).reshape(h.shape)
        z = F.max_pool2d(F.relu(self.c2(h)), 2)
        z = F.relu(self.f1(z.reshape(n, -1)))  # body
        if demix is not None:
            z = demix @ z
        return self.f2(z)  # tail


class Block(nn.Module):
    """A basic block: conv3x3(stride)-BN-ReLU-conv3x3-BN plus the option-A shortcut, ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, (cout - cin) // 2

    def forward(self, x):
        o = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        if self.stride != 1 or self.pad:
            x = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(o + x)


class ResNet(nn.Module):
    """ResNet-(6n+2) for cin-channel inputs, split 1: the stem is the head, the blocks the body,
    global average pooling and fc10 the tail."""

    def __init__(self, cin, n):
        super().__init__()
        self.stem = nn.Conv2d(cin, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks, c = [], 16
        for width in (16, 32, 64):
            for b in range(n):
                blocks.append(Block(c, width, 2 if width != 16 and b == 0 else 1))
                c = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)
        for m in self.modules():  # He-normal convolutions, as the harness initialises them
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x, mix=None, demix=None):
        n = x.shape[0]
        h = F.relu(self.bn(self.stem(x)))  # head (split 1)
        if mix is not None:
            h = (mix @ h.reshape(n, -1)).reshape(h.shape)
        z = self.blocks(h)  # body
        if demix is not None:
            z = (demix @ z.reshape(n, -1)).reshape(z.shape)
        return self.fc(z.mean((2, 3)))  # tail


class Decoder(nn.Module):
    """models.NewDecoder([16, 14, 14], 1, 28, 28, width 16)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(16, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 16, 3, padding=1)
        self.c3 = nn.Conv2d(16, 1, 3, padding=1)

    def forward(self, h):
        z = F.relu(self.c1(h))
        z = F.interpolate(z, scale_factor=2, mode="nearest")
        z = F.relu(self.c2(z))
        return torch.sigmoid(self.c3(z))


def block_diag(k):
    blocks, inv = [], []
    for _ in range(BATCH // k):
        c = torch.distributions.Dirichlet(torch.ones(k)).sample((k,))
        blocks.append(c)
        inv.append(torch.linalg.inv(c))
    return torch.block_diag(*blocks), torch.block_diag(*inv)


def bench(name, step, seconds, batch=BATCH):
    for _ in range(3):  # warm-up
        step()
    n, start, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    elapsed = time.perf_counter() - start
    if os.environ.get("TORCH_RATE") == "cpu":
        elapsed = time.process_time() - cpu0
    print(f"{name} {n * batch / elapsed:.1f}", flush=True)


def cases(name, net, shape, seconds):
    """Benchmarks training (plain and mixed at k = 2) and batch-500 inference of net."""
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(BATCH, *shape)
    y = torch.randint(0, 10, (BATCH,))
    mix, demix = block_diag(2)

    def train(m=None, d=None):
        def step():
            opt.zero_grad()
            loss = F.cross_entropy(net(x, m, d), y)
            loss.backward()
            opt.step()
        return step

    net.train()
    if name == "":  # mnist-cnn keeps the case names the targets were first defined with
        bench("train/baseline", train(), seconds)
        bench("train/datamix-k2", train(mix, demix), seconds)
    else:
        bench(f"train/{name}", train(), seconds)
        bench(f"train/{name}-k2", train(mix, demix), seconds)

    net.eval()
    x500 = torch.rand(500, *shape)

    @torch.no_grad()
    def infer500():
        net(x500)
    bench("infer/batch500" if name == "" else f"infer/{name}-batch500", infer500, seconds, batch=500)
    if name == "mnist-resnet8":  # PyTorch runs this net far faster per image at batch 64 than 500
        x64 = torch.rand(64, *shape)

        @torch.no_grad()
        def infer64():
            net(x64)
        bench(f"infer/{name}-batch64", infer64, seconds, batch=64)


def decoder_case(seconds):
    """Benchmarks one training step of the attacks' decoder on split-1 uploads of mnist-cnn."""
    dec = Decoder()
    opt = torch.optim.Adam(dec.parameters(), lr=1e-3)
    h = torch.relu(torch.randn(BATCH, 16, 14, 14))
    y = torch.rand(BATCH, 1, 28, 28)

    def step():
        opt.zero_grad()
        loss = F.mse_loss(dec(h), y)
        loss.backward()
        opt.step()
    bench("train/decoder", step, seconds)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", os.cpu_count())))
    torch.manual_seed(1)
    cases("", Net(), (1, 28, 28), seconds)
    cases("mnist-resnet8", ResNet(1, 1), (1, 28, 28), seconds)
    cases("cifar-resnet20", ResNet(3, 3), (3, 32, 32), seconds)
    decoder_case(seconds)


if __name__ == "__main__":
    main()
