#!/usr/bin/env bash
# Side-by-side throughput of the Go models (our gorgonia ops) and the PyTorch reference on this
# machine, for the performance targets of README.md:
#
#   train/baseline    training step, mnist-cnn, batch 64, Adam         target ≥ 1.2× PyTorch
#   train/datamix-k2  the same with in-graph mixing, k = 2              target ≥ 1.2× PyTorch
#   infer/batch500    forward pass of the whole network, batch 500      target ≥ 1.5× PyTorch
#   train/mnist-resnet8, train/mnist-resnet8-k2, infer/mnist-resnet8-batch500,
#   train/cifar-resnet20, train/cifar-resnet20-k2, infer/cifar-resnet20-batch500:
#                     the same three for the residual networks with batch norm (training
#                     mode in training, running statistics in inference)   target ≥ 1.5× PyTorch
#   infer/mnist-resnet8-batch64  inference at batch 64, where PyTorch is far faster per image
#                     than at batch 500                                     target ≥ 1.5× PyTorch
#   train/decoder     training step of the attacks' inverse network     target ≥ 1.5× PyTorch
#                     (split-1 uploads 16×14×14 → 28×28 digits, batch 64, Adam, squared error)
#
# Go: models.BenchmarkTrainStep, models.BenchmarkInfer and models.BenchmarkDecoderStep, compiled once. PyTorch:
# bench/torch_reference.py with Debian's python3-torch. Three comparisons, each run for ROUNDS
# rounds that alternate Go and PyTorch (the order flips every round); every figure is the
# median over rounds, so load from other jobs on a shared machine hits both sides alike:
#
#   1. threads = cores (GOMAXPROCS and torch threads = nproc), wall-clock samples/s — the
#      definition of the targets;
#   2. one thread each, wall-clock samples/s;
#   3. one thread each, samples per second of CPU time (Go: the benchmark's cpu-ms/op; PyTorch:
#      process time) — the least sensitive to other jobs. Beside it, both sides' arithmetic
#      rates (GFLOP per CPU-second, from the analytic FLOPs that bench/fmapeak prints) and the
#      share of one core's measured FMA peak (bench/fmapeak) that the target would take.
#
# On a busy machine PyTorch's OpenMP threads lose far more than Go's goroutines when they have
# to share cores (they spin at barriers), so comparison 1 then flatters us; the script prints
# the load average and says so. Where PyTorch is missing it says so, prints only our figures
# and exits 0. A failing Go benchmark makes it exit non-zero.
#
# With BASE=<git revision> the Go benchmarks of that revision (built from `git archive`, so the
# work tree is left alone) run too, in the same rounds, one thread each, and table 3 prints
# them beside ours ("before") with our speed-up over them: before and after side by side.
#
# Usage: bench/compare.sh       environment: ROUNDS (default 3), SECONDS_PER_CASE (default 3),
#        PYTHON (default /usr/bin/python3), GOFLAGS as for go test (e.g. -tags=purego), BASE.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_CASE:-3}
python=${PYTHON:-/usr/bin/python3}
cores=$(nproc)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/models.test" ./models
if [ -n "${BASE:-}" ]; then
	mkdir "$tmp/base"
	git archive "$BASE" | tar -x -C "$tmp/base"
	(cd "$tmp/base" && go test -c -o "$tmp/base.test" ./models)
fi
# One core's FMA peak and each case's arithmetic per sample (bench/fmapeak), for table 3.
go run ./bench/fmapeak >"$tmp/peak" 2>"$tmp/peak.err" || { cat "$tmp/peak.err" >&2; : >"$tmp/peak"; }

have_torch=1
if ! "$python" -c 'import torch' >/dev/null 2>&1; then
	have_torch=0
fi

# go_bench CPUS [BINARY] prints "<case> <samples/s> <samples per CPU-second>" for each
# benchmark (BINARY: a models test binary, ours by default).
go_bench() {
	(cd models && "${2:-$tmp/models.test}" -test.run '^$' -test.bench '^Benchmark(TrainStep|Infer|DecoderStep)$' \
		-test.benchtime "${secs}s" -test.cpu "$1") >"$tmp/go.out" 2>&1 || { cat "$tmp/go.out" >&2; return 1; }
	# A benchmark line: name[-GOMAXPROCS], iterations, then value/unit pairs in any order.
	awk '/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
		sub(/^TrainStep\//, "train/", name); sub(/^Infer\//, "infer/", name)
		sub(/^DecoderStep$/, "train/decoder", name)
		rate = ""; cpu = ""; ns = ""
		for (i = 3; i < NF; i++) {
			if ($(i+1) == "samples/s") rate = $i
			if ($(i+1) == "cpu-ms/op") cpu = $i
			if ($(i+1) == "ns/op") ns = $i
		}
		if (rate == "") next
		cpurate = (cpu > 0 && ns > 0) ? rate * (ns / 1e9) / (cpu / 1e3) : 0
		print name, rate, cpurate
	}' "$tmp/go.out"
}

# torch_bench THREADS RATE prints "<case> <samples/s>" (RATE=cpu: per CPU-second).
torch_bench() {
	OMP_NUM_THREADS=$1 TORCH_THREADS=$1 TORCH_RATE=$2 "$python" bench/torch_reference.py "$secs" 2>"$tmp/torch.err" ||
		{ cat "$tmp/torch.err" >&2; return 1; }
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $cores cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# internal/gemm picks its micro-kernels the same way (kernel_amd64.go), GODEBUG included.
kernel=go
if [ "$(go env GOARCH)" = amd64 ] && [[ "${GOFLAGS:-}" != *purego* ]] && [[ ",${GODEBUG:-}," != *,cpu.avx2=off,* ]] &&
	grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null; then
	kernel=avx2-fma
	if [[ ",${GODEBUG:-}," != *,cpu.avx512f=off,* ]] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
		kernel=avx512f+avx2-fma
	fi
fi
echo "go: $(go version | cut -d' ' -f3-), gemm micro-kernel: $kernel"
if [ "$have_torch" = 1 ]; then
	echo "pytorch: $("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
else
	echo "pytorch: not available ($python cannot import torch; on Debian: apt-get install python3-torch) — printing our figures only"
fi

# Records: "<side> <comparison> <case> <value>".
for r in $(seq "$rounds"); do
	go_run() {
		go_bench "$cores" | awk '{print "go 1", $1, $2}' >>"$tmp/all"
		go_bench 1 | awk '{print "go 2", $1, $2; print "go 3", $1, $3}' >>"$tmp/all"
		if [ -n "${BASE:-}" ]; then
			go_bench 1 "$tmp/base.test" | awk '{print "base 3", $1, $3}' >>"$tmp/all"
		fi
	}
	torch_run() {
		[ "$have_torch" = 1 ] || return 0
		torch_bench "$cores" wall | awk '{print "torch 1", $1, $2}' >>"$tmp/all"
		torch_bench 1 wall | awk '{print "torch 2", $1, $2}' >>"$tmp/all"
		torch_bench 1 cpu | awk '{print "torch 3", $1, $2}' >>"$tmp/all"
	}
	if [ $((r % 2)) = 0 ]; then torch_run; go_run; else go_run; torch_run; fi
	echo "round $r/$rounds done" >&2
done

load=$(cut -d' ' -f1 /proc/loadavg)
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); medians of $rounds rounds"
awk -v have_torch="$have_torch" -v cores="$cores" -v load="$load" -v base="${BASE:-}" '
	function median(list,   n, a, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	FILENAME ~ /peak$/ {
		if ($1 == "flops") mflops[$2] = $3
		else if ($2 != "-") peak[$1] = $2
		next
	}
	{ v[$1, $2, $3] = v[$1, $2, $3] " " $4 }
	END {
		top = ("avx512" in peak) ? peak["avx512"] : peak["avx2"]
		topname = ("avx512" in peak) ? "AVX-512" : "AVX2"
		target["train/baseline"] = 1.2; target["train/datamix-k2"] = 1.2; target["infer/batch500"] = 1.5
		ncases = split("train/baseline train/datamix-k2 infer/batch500 " \
			"train/mnist-resnet8 train/mnist-resnet8-k2 infer/mnist-resnet8-batch500 infer/mnist-resnet8-batch64 " \
			"train/cifar-resnet20 train/cifar-resnet20-k2 infer/cifar-resnet20-batch500 train/decoder", order, " ")
		for (k = 4; k <= ncases; k++) target[order[k]] = 1.5
		title[1] = "1. threads = cores (" cores "), samples/s (the targets)"
		title[2] = "2. one thread each, samples/s"
		title[3] = "3. one thread each, samples per CPU-second"
		for (m = 1; m <= 3; m++) {
			print ""
			print title[m]
			gf = (m == 3 && top > 0)
			if (have_torch == 1) printf "%-30s %10s %10s %7s %7s  %" (gf ? "-8" : "") "s", "case", "ours", "pytorch", "ratio", "target", "status"
			else printf "%-30s %10s", "case", "ours"
			if (gf) printf " %9s %9s %s", "ours GF/s", "torch GF/s", (have_torch == 1 ? " target needs" : "")
			if (m == 3 && base != "") printf "  %10s %7s", "before", "speed-up"
			printf "\n"
			for (k = 1; k <= ncases; k++) {
				c = order[k]
				if (!(("go", m, c) in v)) { printf "%-30s %10s\n", c, "missing"; bad = 1; continue }
				ours = median(v["go", m, c])
				if (have_torch != 1) {
					printf "%-30s %10.1f", c, ours
					if (gf) printf " %9.1f", ours * mflops[c] / 1e3
					printf "\n"
					continue
				}
				theirs = median(v["torch", m, c])
				ratio = theirs > 0 ? ours / theirs : 0
				printf "%-30s %10.1f %10.1f %6.2fx %6.1fx  %" (gf ? "-8" : "") "s", c, ours, theirs, ratio, target[c], (ratio >= target[c] ? "met" : "NOT MET")
				if (gf) printf " %9.1f %9.1f  %5.0f%% of peak", ours * mflops[c] / 1e3, theirs * mflops[c] / 1e3, 100 * target[c] * theirs * mflops[c] / 1e3 / top
				if (m == 3 && base != "" && (("base", 3, c) in v)) {
					before = median(v["base", 3, c])
					printf "  %10.1f %6.2fx", before, (before > 0 ? ours / before : 0)
				}
				printf "\n"
			}
		}
		if (top > 0) {
			print ""
			printf "GF/s: GFLOP per CPU-second from the analytic FLOPs of the networks (a training step as three\n"
			printf "forward passes; dense-equivalent: the mnist-cnn backward pass skips the zeros after max-pooling,\n"
			printf "so its figures exceed the work done).\n"
			printf "Peak: the %s FMA throughput of one core, %.1f GFLOP/s (AVX2 %.1f; go run ./bench/fmapeak).\n", topname, top, peak["avx2"]
			print "\"target needs\" is the arithmetic rate that the target times the PyTorch rate"
			print "would take, as a share of that peak: a direct convolution cannot pass 100%, and dense kernels"
			print "rarely pass 70-80% of it."
		}
		if (base != "") {
			print ""
			printf "before: revision %s, one thread, samples per CPU-second, in the same rounds; speed-up = ours / before.\n", base
		}
		if (have_torch == 1 && load > cores / 2) {
			print ""
			printf "note: load average %s on %d cores — other jobs share the CPUs; PyTorch'"'"'s OpenMP threads\n", load, cores
			print "suffer more from that than goroutines, so table 1 flatters us; tables 2 and 3 are steadier."
		}
		exit bad
	}' "$tmp/peak" "$tmp/all"
