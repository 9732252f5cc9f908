#!/usr/bin/env bash
# Regenerates the committed reproduction outputs in results/: runs each config (the paper's in
# configs/paper/, the headline configs/mnist-k2.yaml and configs/attacks-learned.yaml) into
# runs/<name>/ — finished cells are kept, so an interrupted regeneration resumes — then copies
# each run's tables, plots, image grids and per-cell rows and training logs (not the
# checkpoints) into results/.
#   bash results/reproduce.sh                      # all of them (≈ 85 minutes on 2 cores)
#   bash results/reproduce.sh privacy motivating-example   # some of them
set -euo pipefail
cd "$(dirname "$0")/.."
all=(motivating-example edge-cost-vs-split accuracy-vs-group-size breaking-datamix privacy mnist-k2 attacks-learned)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${all[@]}")
go build -o runs/runexp ./cmd/runexp
for name in "${names[@]}"; do
	cfg=configs/paper/$name.yaml
	dst=results/paper/$name
	if [ "$name" = mnist-k2 ]; then cfg=configs/mnist-k2.yaml dst=results/mnist-k2; fi
	if [ "$name" = attacks-learned ]; then cfg=configs/attacks-learned.yaml dst=results/attacks-learned; fi
	echo "== $name: $cfg" >&2
	runs/runexp run -config "$cfg" -out "runs/$name"
	rm -rf "$dst" && mkdir -p "$dst"
	cp runs/"$name"/{config.yaml,results.csv,results.json,summary.md} "$dst"/
	[ -f runs/"$name"/manifest.json ] && cp runs/"$name"/manifest.json "$dst"/
	[ -d runs/"$name"/plots ] && cp -r runs/"$name"/plots "$dst"/
	for cell in runs/"$name"/cells/*/; do
		id=$(basename "$cell")
		mkdir -p "$dst/cells/$id"
		for f in row.json epochs.csv attacks.png; do
			[ -f "$cell$f" ] && cp "$cell$f" "$dst/cells/$id/"
		done
	done
done
