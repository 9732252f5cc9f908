#!/usr/bin/env bash
# Side-by-side throughput of the Go models (our gorgonia ops) and the PyTorch reference on this
# machine, for the targets of issue 5:
#
#   train/baseline    training step, mnist-cnn, batch 64, Adam         target ≥ 1.2× PyTorch
#   train/datamix-k2  the same with in-graph mixing, k = 2              target ≥ 1.2× PyTorch
#   infer/batch500    forward pass of the whole network, batch 500      target ≥ 1.5× PyTorch
#
# Go: models.BenchmarkTrainStep and models.BenchmarkInfer (compiled once, GOMAXPROCS = all
# cores). PyTorch: bench/torch_reference.py with Debian's python3-torch, threads = cores. The
# two run alternately for ROUNDS rounds (the order flips every round) and each figure is the
# median over rounds, so load from other jobs on a shared machine hits both sides alike.
# Where PyTorch is missing it says so, prints only our figures and exits 0.
#
# Usage: bench/compare.sh            environment: ROUNDS (default 3), SECONDS_PER_CASE (default 3),
#        PYTHON (default /usr/bin/python3), GOFLAGS as for go test (e.g. -tags=purego).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_CASE:-3}
python=${PYTHON:-/usr/bin/python3}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/models.test" ./models

have_torch=1
if ! "$python" -c 'import torch' >/dev/null 2>&1; then
	have_torch=0
fi

# go_bench prints "<case> <samples/s>" for each benchmark line of the Go run.
go_bench() {
	(cd models && "$tmp/models.test" -test.run '^$' -test.bench '^Benchmark(TrainStep|Infer)$' \
		-test.benchtime "${secs}s") >"$tmp/go.out" 2>&1 || { cat "$tmp/go.out" >&2; return 1; }
	# A benchmark line: name-GOMAXPROCS, iterations, then value/unit pairs in any order.
	awk '/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
		sub(/^TrainStep\//, "train/", name); sub(/^Infer\//, "infer/", name)
		for (i = 3; i < NF; i++) if ($(i+1) == "samples/s") print name, $i
	}' "$tmp/go.out"
}

torch_bench() {
	OMP_NUM_THREADS=$(nproc) "$python" bench/torch_reference.py "$secs" 2>"$tmp/torch.err" ||
		{ cat "$tmp/torch.err" >&2; return 1; }
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# internal/gemm picks its micro-kernel the same way (kernel_amd64.go).
kernel=go
if [ "$(go env GOARCH)" = amd64 ] && [[ "${GOFLAGS:-}" != *purego* ]] &&
	grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null; then
	kernel=avx2-fma
fi
echo "go: $(go version | cut -d' ' -f3-), gemm micro-kernel: $kernel"
if [ "$have_torch" = 1 ]; then
	echo "pytorch: $("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null), threads $(nproc)"
else
	echo "pytorch: not available ($python cannot import torch; on Debian: apt-get install python3-torch) — printing our figures only"
fi

for r in $(seq "$rounds"); do
	if [ "$have_torch" = 1 ] && [ $((r % 2)) = 0 ]; then
		torch_bench | sed 's/^/torch /' >>"$tmp/all"
		go_bench | sed 's/^/go /' >>"$tmp/all"
	else
		go_bench | sed 's/^/go /' >>"$tmp/all"
		[ "$have_torch" = 1 ] && torch_bench | sed 's/^/torch /' >>"$tmp/all"
	fi
	echo "round $r/$rounds done" >&2
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); medians of $rounds rounds, samples/s"
awk -v have_torch="$have_torch" '
	function median(list,   n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ v[$1, $2] = v[$1, $2] " " $3; seen[$2] = 1 }
	END {
		target["train/baseline"] = 1.2; target["train/datamix-k2"] = 1.2; target["infer/batch500"] = 1.5
		split("train/baseline train/datamix-k2 infer/batch500", order, " ")
		if (have_torch == 1) printf "%-18s %10s %10s %7s %8s  %s\n", "target", "ours", "pytorch", "ratio", "needed", "status"
		else printf "%-18s %10s\n", "target", "ours"
		for (k = 1; k <= 3; k++) {
			c = order[k]
			if (!((("go", c) in v))) { printf "%-18s %10s\n", c, "missing"; bad = 1; continue }
			ours = median(v["go", c])
			if (have_torch != 1) { printf "%-18s %10.1f\n", c, ours; continue }
			theirs = median(v["torch", c])
			ratio = ours / theirs
			printf "%-18s %10.1f %10.1f %6.2fx %7.1fx  %s\n", c, ours, theirs, ratio, target[c], (ratio >= target[c] ? "met" : "NOT MET")
		}
		exit bad
	}' "$tmp/all"
