#!/usr/bin/python3
"""PyTorch reference for the Go training-step benchmark (models.BenchmarkTrainStep).

Same network as the harness's mnist-cnn: conv5x5(16, pad 2)-ReLU-maxpool2 |
conv5x5(32, pad 2)-ReLU-maxpool2 | fc128-ReLU | fc10, float32, batch 64, Adam lr 1e-3,
cross-entropy. "datamix-k2" inserts the same in-graph mixing as the Go trainer: the head output
(after block 1) is multiplied by a 64x64 block-diagonal C of 2x2 blocks, the body output by
C^-1. "infer/batch500" is evaluation as models.BenchmarkInfer runs it: the forward pass of the
whole network at batch 500 without autograd. "train/decoder" is models.BenchmarkDecoderStep:
one training step of the attacks' inverse network for split-1 uploads, conv3x3(16->32)-ReLU |
nearest upsample x2 | conv3x3(32->16)-ReLU | conv3x3(16->1)-sigmoid, mean squared error, Adam
lr 1e-3, batch 64. Prints one line per case: "<case> <samples/s>".
Threads = the machine's cores (TORCH_THREADS overrides, for diagnosis only: the targets are
defined with threads = cores). With TORCH_RATE=cpu the number printed is samples per second of
the process's CPU time instead of wall time (steadier on a machine shared with other jobs).

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


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", os.cpu_count())))
    torch.manual_seed(1)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(BATCH, 1, 28, 28)
    y = torch.randint(0, 10, (BATCH,))
    mix, demix = block_diag(2)

    def train(m=None, d=None):
        def step():
            opt.zero_grad()
            loss = F.cross_entropy(net(x, m, d), y)
            loss.backward()
            opt.step()
        return step

    bench("train/baseline", train(), seconds)
    bench("train/datamix-k2", train(mix, demix), seconds)

    @torch.no_grad()
    def infer():
        net(x)
    bench("infer/baseline", infer, seconds)

    dec = Decoder()
    dopt = torch.optim.Adam(dec.parameters(), lr=1e-3)
    hd = torch.relu(torch.randn(BATCH, 16, 14, 14))
    yd = torch.rand(BATCH, 1, 28, 28)

    def train_decoder():
        dopt.zero_grad()
        loss = F.mse_loss(dec(hd), yd)
        loss.backward()
        dopt.step()
    bench("train/decoder", train_decoder, seconds)

    x500 = torch.rand(500, 1, 28, 28)

    @torch.no_grad()
    def infer500():
        net(x500)
    bench("infer/batch500", infer500, seconds, batch=500)


if __name__ == "__main__":
    main()
