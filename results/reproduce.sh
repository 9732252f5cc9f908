#!/usr/bin/env bash
# Regenerates the committed reproduction outputs in results/: runs each config (the paper's in
# configs/paper/, the headline configs/mnist-k2.yaml and configs/shuffle-pool.yaml) into
# runs/<name>/ — finished cells are kept, so an interrupted regeneration resumes — then copies
# each run's tables, attack × defence matrix, plots, image grids and per-cell rows and training
# logs (not the checkpoints) into results/; for the wire study (runexp wire) its wire.csv and
# wire.json too.
#   bash results/reproduce.sh                      # all of them (≈ 9 hours on 2 cores)
#   bash results/reproduce.sh privacy motivating-example   # some of them
# The fashion-mnist-* configs need real Fashion-MNIST (apt-get install dataset-fashion-mnist, or
# DATAMIX_FASHION_MNIST_DIR); synthetic-spoken-digits needs the synthetic speech corpus, which this script
# makes first with scripts/synth_spoken_digits.sh (espeak-ng and sox) when data/spoken-digits is
# absent, and otherwise checks against its SHA256SUMS. results/group-matching/ is a benchmark's
# output: bash bench/groupmatch.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(motivating-example edge-cost-vs-split accuracy-vs-group-size breaking-datamix privacy mnist-k2
	fashion-mnist-accuracy fashion-mnist-edge-cost-vs-split synthetic-spoken-digits shuffle-pool
	mnist-resnet8 fashion-mnist-resnet8 fashion-mnist-privacy defences privacy-strongest
	mnist-resnet8-accuracy-vs-group-size mnist-resnet8-edge-cost-vs-split mnist-resnet8-privacy
	fashion-mnist-resnet8-accuracy-vs-group-size fashion-mnist-resnet8-edge-cost-vs-split
	fashion-mnist-resnet8-privacy wire)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${all[@]}")
go build -o runs/runexp ./cmd/runexp
for name in "${names[@]}"; do
	if [ "$name" = synthetic-spoken-digits ]; then
		if [ -d data/spoken-digits ]; then
			(cd data/spoken-digits && sha256sum --quiet -c SHA256SUMS)
		else
			bash scripts/synth_spoken_digits.sh data/spoken-digits
		fi
	fi
done
for name in "${names[@]}"; do
	cfg=configs/paper/$name.yaml
	dst=results/paper/$name
	if [ "$name" = mnist-k2 ]; then cfg=configs/mnist-k2.yaml dst=results/mnist-k2; fi
	if [ "$name" = shuffle-pool ]; then cfg=configs/shuffle-pool.yaml dst=results/shuffle-pool; fi # not a paper claim
	echo "== $name: $cfg" >&2
	# A cell's ID hashes every setting that makes it (the attacks included), so a cell that
	# another run in runs/ finished is this config's cell too: copy it rather than retrain it
	# (the baseline and split-1 cells of the accuracy and edge-cost runs are shared this way).
	for id in $(runs/runexp cells -config "$cfg" | cut -f2 | cut -d' ' -f1); do
		[ -f "runs/$name/cells/$id/row.json" ] && continue
		for src in runs/*/cells/"$id"; do
			if [ -f "$src/row.json" ]; then
				mkdir -p "runs/$name/cells" && cp -r "$src" "runs/$name/cells/"
				break
			fi
		done
	done
	if [ "$name" = wire ]; then
		# The wire study trains its cells, then serves each from a cloud process of its own to
		# edges on loopback and measures them; one cell at a time, so that the measurements
		# share the machine with nothing of this script.
		runs/runexp wire -config "$cfg" -out "runs/$name" -jobs 1
	else
		runs/runexp run -config "$cfg" -out "runs/$name"
	fi
	rm -rf "$dst" && mkdir -p "$dst"
	cp runs/"$name"/{config.yaml,results.csv,results.json,summary.md} "$dst"/
	for f in wire.csv wire.json; do [ -f runs/"$name/$f" ] && cp runs/"$name/$f" "$dst"/; done
	[ -f runs/"$name"/manifest.json ] && cp runs/"$name"/manifest.json "$dst"/
	[ -f runs/"$name"/defence_matrix.csv ] && cp runs/"$name"/defence_matrix.csv "$dst"/
	[ -d runs/"$name"/plots ] && cp -r runs/"$name"/plots "$dst"/
	for cell in runs/"$name"/cells/*/; do
		id=$(basename "$cell")
		mkdir -p "$dst/cells/$id"
		for f in row.json epochs.csv attacks.png; do
			if [ -f "$cell$f" ]; then cp "$cell$f" "$dst/cells/$id/"; fi
		done
	done
done
