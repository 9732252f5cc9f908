#!/usr/bin/python3
"""Cross-check of the harness's networks against PyTorch.

Builds a network in PyTorch from an architecture description (the YAML the harness reads:
models/archs/*.yaml, or a config's model file), loads weights exported by the harness
(models.Net.WriteNPZ, `runexp export`: a NumPy .npz with PyTorch's state_dict names), runs
the inputs given and compares the logits with the harness's own.

The description is built as nn.Sequential, one module per layer, under the attribute
"layers" (so the state_dict names are layers.<i>.weight, …):

  conv       nn.Conv2d(in, channels, kernel, stride, padding, bias)
  batchnorm  nn.BatchNorm2d on maps, nn.BatchNorm1d on flat values (eps 1e-5, momentum 0.1)
  relu       nn.ReLU
  maxpool    nn.MaxPool2d(kernel, stride or kernel, padding)
  avgpool    nn.AvgPool2d(kernel, stride or kernel, padding)   (count_include_pad, the default)
  residual   Residual below: conv1-bn1-ReLU-conv2-bn2 plus the shortcut, then ReLU
  gap        global average pooling, N×C×H×W → N×C
  flatten    nn.Flatten
  dense      nn.Linear(in, units or the number of classes)
  dropout    nn.Dropout(rate)

Usage: /usr/bin/python3 bench/torch_crosscheck.py [--tolerance T] DIR...
Each DIR holds arch.yaml, model.npz, inputs.npy (N×C×H×W float32) and logits.npy (the
harness's N×classes logits). For each it prints

  DIR: max |logit − PyTorch| / max |PyTorch logit| = 3.1e-07 over 80 logits (tolerance 1e-04)

and exits 1 if any ratio exceeds the tolerance (default 1e-4), 2 on a usage error. The
harness's test models.TestPyTorchCrossCheck writes such directories and runs it.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


class Residual(nn.Module):
    """He et al.'s basic block: conv(k, stride)-BN-ReLU-conv(k)-BN plus the shortcut, ReLU.
    shortcut: identity, pad (option A: x[:, :, ::s, ::s] zero-padded by (out−in)/2 channels
    on each side) or projection (option B: 1×1 conv with the stride, then BN)."""

    def __init__(self, cin, cout, k, stride, shortcut):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, k, 1, k // 2, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.kind, self.stride, self.pad = shortcut, stride, (cout - cin) // 2
        if shortcut == "projection":
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        o = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.kind == "projection":
            s = self.shortcut(x)
        elif self.kind == "pad":
            s = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad, self.pad))
        else:
            s = x
        return F.relu(o + s)


class GAP(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


class Net(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def build(desc, shape, classes):
    """The nn.Module of a description for inputs of shape (C, H, W)."""
    mods = []
    for i, l in enumerate(desc["layers"]):
        kind = l["kind"]
        if kind == "conv":
            k, s, p = l["kernel"], l.get("stride") or 1, l.get("padding", 0)
            m = nn.Conv2d(shape[0], l["channels"], k, s, p, bias=l.get("bias", True))
            shape = (l["channels"], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif kind == "batchnorm":
            m = nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
        elif kind == "relu":
            m = nn.ReLU()
        elif kind in ("maxpool", "avgpool"):
            k, p = l["kernel"], l.get("padding", 0)
            s = l.get("stride") or k
            m = (nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d)(k, s, p)
            shape = (shape[0], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif kind == "residual":
            k, s, o = l.get("kernel") or 3, l.get("stride") or 1, l["channels"]
            m = Residual(shape[0], o, k, s, l.get("shortcut") or "identity")
            shape = (o, (shape[1] - 1) // s + 1, (shape[2] - 1) // s + 1)
        elif kind == "gap":
            m = GAP()
            shape = (shape[0],)
        elif kind == "flatten":
            m = nn.Flatten()
            shape = (int(np.prod(shape)),)
        elif kind == "dense":
            units = l.get("units") or classes
            m = nn.Linear(shape[0], units)
            shape = (units,)
        elif kind == "dropout":
            m = nn.Dropout(l["rate"])
        else:
            raise ValueError(f"layer {i}: unknown kind {kind!r}")
        mods.append(m)
    return Net(mods)


def check(d, tolerance):
    with open(os.path.join(d, "arch.yaml")) as f:
        desc = yaml.safe_load(f)
    x = np.load(os.path.join(d, "inputs.npy"))
    want = np.load(os.path.join(d, "logits.npy"))
    weights = np.load(os.path.join(d, "model.npz"))
    net = build(desc, tuple(x.shape[1:]), want.shape[1])
    state = {k: torch.from_numpy(np.ascontiguousarray(weights[k])) for k in weights.files}
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{d}: weights missing {missing}, unexpected {unexpected}")
    net.eval()
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
    ratio = float(np.abs(got - want).max() / np.abs(got).max())
    print(f"{d}: max |logit − PyTorch| / max |PyTorch logit| = {ratio:.1e} over {want.size} logits (tolerance {tolerance:.0e})", flush=True)
    return ratio <= tolerance


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    torch.set_num_threads(1)
    ok = all([check(d, args.tolerance) for d in args.dirs])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
