#!/usr/bin/python3
"""scikit-learn's FastICA on the groups bench/icacompare wrote: time and quality.

Usage: /usr/bin/python3 bench/ica_compare.py MIXTURES.npy SOURCES.npy SEED
Prints one JSON line: the seconds FastICA takes over all groups (one process; numpy's BLAS
threads are pinned to 1 by ica_compare.sh so that both sides use one core) and the mean |corr|
of the recovered sources with the true digits under the best matching (oracle alignment).
The settings are scikit-learn's defaults (algorithm="parallel", fun="logcosh", max_iter=200,
tol=1e-4) with whiten="unit-variance", n_components = k, as in the Breaking DataMix reference figures (0.92 / 0.83 at k = 2 / 4).
"""
import json, sys, time, warnings
import numpy as np
import sklearn
from scipy.optimize import linear_sum_assignment
from sklearn.decomposition import FastICA
from sklearn.exceptions import ConvergenceWarning

mix = np.load(sys.argv[1])
src = np.load(sys.argv[2])
seed = int(sys.argv[3])
groups, k, d = mix.shape

warnings.simplefilter("ignore", ConvergenceWarning)
estimates = []
failed = 0
start = time.perf_counter()
for g in range(groups):
    ica = FastICA(n_components=k, whiten="unit-variance", random_state=seed + g)
    try:
        estimates.append(ica.fit_transform(mix[g].T).T)  # samples are pixels
    except Exception:
        estimates.append(None)
        failed += 1
seconds = time.perf_counter() - start

def matched(s, x):
    c = np.abs(np.corrcoef(s, x)[:k, k:])
    c = np.nan_to_num(c)
    r, cidx = linear_sum_assignment(-c)
    return c[r, cidx].mean()

scores = [matched(e, src[g]) if e is not None else 0.0 for g, e in enumerate(estimates)]
print(json.dumps({"k": k, "groups": groups, "seconds": seconds, "mean_abs_corr": float(np.mean(scores)),
                  "failed": failed, "sklearn": sklearn.__version__, "numpy": np.__version__}))
