#!/usr/bin/env bash
# Side-by-side bench of the harness's FastICA (algo.FastICA, Go on gonum) and
# scikit-learn's FastICA on the same pixel-mixed MNIST test digits (Dirichlet(1) rows, no
# conditioning guard, as in the Breaking DataMix reference figures), read by both from the same .npy files.
#
#   1. speed: FastICA over 1,000 groups at k = 4, ours on one goroutine and on two, against
#      scikit-learn in one process with its BLAS on one thread; prints the ratios.
#   2. quality: mean |corr| under the best matching (oracle alignment) at k = 2, 4, 8 for both,
#      and for the harness's strong variant (algo.StrongUnmix) on the same groups.
#
# Needs Debian's python3-sklearn (run with /usr/bin/python3). Usage: bash bench/ica_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/icacompare" ./bench/icacompare
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
seed=1

field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "== speed: 1000 groups, k = 4 =="
go_json=$("$tmp/icacompare" -k 4 -groups 1000 -out "$tmp" -seed $seed)
py_json=$(/usr/bin/python3 bench/ica_compare.py "$tmp/mixtures_k4.npy" "$tmp/sources_k4.npy" $seed)
go_s=$(field "$go_json" seconds_serial)
go_p=$(field "$go_json" seconds_parallel)
py_s=$(field "$py_json" seconds)
printf 'harness FastICA, 1 goroutine:  %8.3f s\n' "$go_s"
printf 'harness FastICA, 2 goroutines: %8.3f s\n' "$go_p"
printf 'scikit-learn FastICA:          %8.3f s\n' "$py_s"
/usr/bin/python3 -c "import sys; s,p,y=map(float,sys.argv[1:]); print(f'speed-up over scikit-learn: {y/s:.2f}x on one core, {y/p:.2f}x on two')" "$go_s" "$go_p" "$py_s"

echo
echo "== quality: mean |corr| with oracle alignment (Breaking DataMix reference: 0.92, 0.83, 0.70) =="
printf '%3s %8s %14s %14s %14s\n' k groups scikit-learn harness strong
for k in 2 4 8; do
	groups=$((1000 < 10000 / k ? 1000 : 10000 / k))
	g=$("$tmp/icacompare" -k $k -groups $groups -out "$tmp" -seed $seed)
	p=$(/usr/bin/python3 bench/ica_compare.py "$tmp/mixtures_k$k.npy" "$tmp/sources_k$k.npy" $seed)
	printf '%3d %8d %14.4f %14.4f %14.4f\n' $k $groups "$(field "$p" mean_abs_corr)" "$(field "$g" mean_abs_corr)" "$(field "$g" strong_mean_abs_corr)"
done
