#!/usr/bin/python3
"""Writes golden.json: reference values for the metrics tests, computed with scikit-image
0.19.3 and scikit-learn 1.2.1 (Debian bookworm's python3-skimage and python3-sklearn).

Run from the repository root:  /usr/bin/python3 metrics/testdata/gen.py
The inputs are drawn from a fixed numpy seed and stored in the file with the outputs, so the
Go tests need no random generator of their own to match them.
"""
import json, os
import numpy as np
import skimage, sklearn
from skimage.metrics import structural_similarity, peak_signal_noise_ratio
from sklearn.metrics import adjusted_rand_score

rng = np.random.default_rng(20240601)
cases = {"ssim": [], "psnr": [], "ari": [], "pearson": []}

def img(shape, kind):
    if kind == "uniform":
        return rng.random(shape)
    if kind == "smooth":  # a blurred blob image with structure at several scales
        c, h, w = shape
        yy, xx = np.mgrid[0:h, 0:w]
        out = np.zeros(shape)
        for ch in range(c):
            for _ in range(4):
                cy, cx, s = rng.random() * h, rng.random() * w, 1 + rng.random() * h / 3
                out[ch] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
        return out / out.max()
    raise ValueError(kind)

for name, shape, kind, noise, rng_range in [
    ("gray28_uniform", (1, 28, 28), "uniform", 0.1, 1.0),
    ("gray28_smooth", (1, 28, 28), "smooth", 0.05, 1.0),
    ("gray11_smooth", (1, 11, 11), "smooth", 0.2, 1.0),
    ("gray13x17_smooth", (1, 13, 17), "smooth", 0.1, 1.0),
    ("rgb32_smooth", (3, 32, 32), "smooth", 0.1, 1.0),
    ("gray20_range255", (1, 20, 20), "smooth", 0.1, 255.0),
]:
    x = img(shape, kind) * rng_range
    y = np.clip(x + noise * rng_range * rng.standard_normal(shape), 0, rng_range)
    if shape[0] == 1:
        s = structural_similarity(x[0], y[0], gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=True, data_range=rng_range)
    else:
        s = structural_similarity(np.moveaxis(x, 0, -1), np.moveaxis(y, 0, -1), channel_axis=-1,
                                  gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=True, data_range=rng_range)
    p = peak_signal_noise_ratio(x, y, data_range=rng_range)
    cases["ssim"].append({"name": name, "shape": list(shape), "range": rng_range,
                          "x": x.ravel().tolist(), "y": y.ravel().tolist(), "want": float(s)})
    cases["psnr"].append({"name": name, "range": rng_range,
                          "x": x.ravel().tolist(), "y": y.ravel().tolist(), "want": float(p)})

for name, n, ka, kb in [("random_50_3_4", 50, 3, 4), ("random_200_10_10", 200, 10, 10),
                        ("random_12_2_6", 12, 2, 6)]:
    a = rng.integers(0, ka, n)
    b = rng.integers(0, kb, n)
    cases["ari"].append({"name": name, "a": a.tolist(), "b": b.tolist(),
                         "want": float(adjusted_rand_score(a, b))})
# A near match: groups of 4, a few items swapped.
a = np.repeat(np.arange(25), 4)
b = a.copy()
b[[0, 5, 10, 15]] = b[[5, 10, 15, 0]]
cases["ari"].append({"name": "groups_swapped", "a": a.tolist(), "b": b.tolist(),
                     "want": float(adjusted_rand_score(a, b))})

for name, n in [("n10", 10), ("n784", 784)]:
    x = rng.standard_normal(n)
    y = 0.6 * x + rng.standard_normal(n)
    cases["pearson"].append({"name": name, "x": x.tolist(), "y": y.tolist(),
                             "want": float(np.corrcoef(x, y)[0, 1])})

cases["versions"] = {"skimage": skimage.__version__, "sklearn": sklearn.__version__,
                     "numpy": np.__version__}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.json")
with open(out, "w") as f:
    json.dump(cases, f)
print("wrote", out)
