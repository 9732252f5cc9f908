#!/usr/bin/env bash
# Group matching without exact zeros and at the scale a cloud sees (bench/groupmatch):
#
#   1. dense: support, correlation and subspace affinity on MNIST uploads with a dense
#      perturbation (noise after mixing, a random background before the head) and without,
#      split 0 and 1, k = 2, 3, 4, 3 seeds: results/group-matching/results.csv and table.md.
#   2. scale: time and accuracy of algo.MatchGroups against pool size up to 20,000
#      (split 0, k = 2), beside the dense algorithm it replaced up to 4,000, then the same
#      for correlation and subspace affinity: results/group-matching/scale.md.
#
# Usage: bash bench/groupmatch.sh   (≈ 15 minutes on 2 cores; run it on an otherwise idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
out=results/group-matching
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/groupmatch" ./bench/groupmatch
"$tmp/groupmatch" dense -out "$out"
{
	echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average before: $(cut -d' ' -f1 /proc/loadavg)."
	echo
	"$tmp/groupmatch" scale -sizes 500,1000,2000,4000,10000,20000 -old 4000
	echo
	"$tmp/groupmatch" scale -sizes 500,1000,2000,4000,10000 -old 2000 -affinity correlation
	echo
	"$tmp/groupmatch" scale -sizes 500,1000,2000,4000,10000 -old 0 -affinity subspace
} >"$tmp/scale.md"
mv "$tmp/scale.md" "$out/scale.md"
