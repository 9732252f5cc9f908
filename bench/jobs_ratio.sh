#!/usr/bin/env bash
# Throughput of parallel cells: runs one sweep of small cells with -jobs 1 and with -jobs N
# (default 2) into fresh directories and prints, for each, the wall time of the whole command
# and of its cell phase — from config.yaml, which runexp writes once the datasets are loaded,
# to results.json, written after the last cell — and the ratios time(jobs 1) / time(jobs N),
# i.e. how many times more cells per second N jobs compute. The target on a 2-core machine is
# a cell-phase ratio ≥ 1.6 (two single-threaded gorgonia graphs run side by side measured
# ≈ 1.7 there). The whole-command ratio is lower: both runs pay the same start-up (loading MNIST).
#
# The models' operations are themselves parallel (models/ops.go: GOMAXPROCS workers), so one
# cell at a time already keeps several cores busy and -jobs adds what is left. A third run,
# -jobs 1 with GOMAXPROCS=1, measures one single-threaded cell at a time — the reference of
# that ≈ 1.7 — and the script prints both ratios. Other work on the machine skews
# every number; the script prints the load average before and after.
#
# Needs bash ≥ 5 (EPOCHREALTIME) and awk. Usage: bench/jobs_ratio.sh [N]      environment: CELLS_SEEDS (default 4), TRAIN_LIMIT
# (default 6000), TEST_LIMIT (default 1000), KEEP=1 keeps the run directories.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
seeds=${CELLS_SEEDS:-4}
train=${TRAIN_LIMIT:-6000}
test=${TEST_LIMIT:-1000}

tmp=$(mktemp -d)
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; fi
go build -o "$tmp/runexp" ./cmd/runexp

seedlist=$(seq -s, 1 "$seeds")
cat >"$tmp/bench.yaml" <<YAML
# $((seeds * 2)) small cells: seeds 1..$seeds × k ∈ {1, 2}, $train training and $test test digits, 1 epoch.
name: jobs-bench
dataset: {name: mnist, path: "", train_limit: $train, test_limit: $test}
model: {arch: mnist-cnn, split: 1}
mixing: {group_size: 2, coefficients: dirichlet, alpha: 1.0, shuffle: true}
train: {epochs: 1, batch_size: 64, lr: 0.001, eval_batch_size: 500}
sweep:
  seed: [$seedlist]
  mixing.group_size: [1, 2]
YAML

run() { # run JOBS [GOMAXPROCS]: prints the wall times of the command and of its cell phase, in seconds
	local start=$EPOCHREALTIME out="$tmp/out-jobs$1-procs${2:-all}"
	GOMAXPROCS=${2:-$(nproc)} "$tmp/runexp" run -config "$tmp/bench.yaml" -out "$out" -jobs "$1" >/dev/null 2>"$out.log"
	awk -v a="$start" -v b="$EPOCHREALTIME" -v c="$(stat -c %.9Y "$out/config.yaml")" -v d="$(stat -c %.9Y "$out/results.json")" \
		'BEGIN { print b - a, d - c }'
}

echo "machine: $(nproc) CPUs, $(uname -m); sweep: $((seeds * 2)) cells of $train training digits; load $(cut -d' ' -f1-3 /proc/loadavg)"
read -r t1 c1 < <(run 1)
read -r tn cn < <(run "$jobs")
read -r ts cs < <(run 1 1)
ratio=$(awk -v a="$c1" -v b="$cn" 'BEGIN { print a / b }')
printf 'jobs 1: %.1f s (cells %.1f s)   jobs %d: %.1f s (cells %.1f s)   jobs 1, GOMAXPROCS=1: %.1f s (cells %.1f s)\n' \
	"$t1" "$c1" "$jobs" "$tn" "$cn" "$ts" "$cs"
printf 'throughput ratio jobs %d / jobs 1: cells %.2f×, whole command %.2f×\n' \
	"$jobs" "$ratio" "$(awk -v a="$t1" -v b="$tn" 'BEGIN { print a / b }')"
printf 'throughput ratio jobs %d / one single-threaded cell at a time: cells %.2f×; jobs 1 / single-threaded: %.2f×   (load after: %s)\n' \
	"$jobs" "$(awk -v a="$cs" -v b="$cn" 'BEGIN { print a / b }')" "$(awk -v a="$cs" -v b="$c1" 'BEGIN { print a / b }')" "$(cut -d' ' -f1-3 /proc/loadavg)"
# The two runs must agree: parallel cells do not change results.
if ! diff <(cut -d, -f1-18 "$tmp/out-jobs1-procsall/results.csv") <(cut -d, -f1-18 "$tmp/out-jobs$jobs-procsall/results.csv") >/dev/null ||
	! diff <(cut -d, -f1-18 "$tmp/out-jobs1-procsall/results.csv") <(cut -d, -f1-18 "$tmp/out-jobs1-procs1/results.csv") >/dev/null; then
	echo "results differ between -jobs 1, -jobs $jobs and GOMAXPROCS=1" >&2
	exit 1
fi
if awk -v r="$ratio" 'BEGIN { exit !(r >= 1.6) }'; then echo "target ≥ 1.6× (cells): met"; else echo "target ≥ 1.6× (cells): NOT met"; fi
