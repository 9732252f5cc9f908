#!/usr/bin/env bash
# Regenerates the committed reproduction outputs in results/: runs each config (the paper's in
# configs/paper/, the headline configs/mnist-k2.yaml and configs/shuffle-pool.yaml) into
# runs/<name>/ — finished cells are kept, so an interrupted regeneration resumes — then copies
# each run's tables, attack × defence matrix, plots, image grids and per-cell rows and training
# logs (not the checkpoints) into results/; for the wire study (runexp wire) its wire.csv and
# wire.json too. Each config's log (runexp's stderr) is also kept in runs/<name>.log. At the end
# it prints a table of each config's wall time and peak memory (resident set size) in this
# invocation, and where its time went: the cells it computed, and their time training and
# attacking, summed over the cells (cell-time: two cells at once count twice), from its log.
#   bash results/reproduce.sh                      # all of them (8 hours on 2 cores: results/README.md)
#   bash results/reproduce.sh privacy motivating-example   # some of them
# Every name is checked before anything runs. The configs run one at a time, longest first,
# each with runexp's default -jobs (the number of cores), so that both cores stay busy; a config
# that shares cells with a longer one (the accuracy and edge-cost runs share their baseline and
# split-1 cells) runs after it and copies them instead of recomputing them, and any cell that
# trains a network a finished cell of another run trained (runexp -reuse) takes it.
# The fashion-mnist-* configs need real Fashion-MNIST (apt-get install dataset-fashion-mnist, or
# DATAMIX_FASHION_MNIST_DIR); synthetic-spoken-digits needs the synthetic speech corpus, which this script
# makes first with scripts/synth_spoken_digits.sh (espeak-ng and sox) when data/spoken-digits is
# absent, and otherwise checks against its SHA256SUMS. results/group-matching/ is a benchmark's
# output: bash bench/groupmatch.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# Longest first (results/README.md, "Regenerating", has each one's expected time).
all=(defences mnist-resnet8 fashion-mnist-resnet8 privacy-strongest wire fashion-mnist-resnet8-privacy
	mnist-resnet8-privacy fashion-mnist-resnet8-accuracy-vs-group-size fashion-mnist-accuracy
	accuracy-vs-group-size mnist-resnet8-accuracy-vs-group-size synthetic-spoken-digits
	edge-cost-vs-split privacy fashion-mnist-privacy breaking-datamix fashion-mnist-edge-cost-vs-split
	fashion-mnist-resnet8-edge-cost-vs-split mnist-resnet8-edge-cost-vs-split mnist-k2
	motivating-example shuffle-pool fashion-mnist-resnet8-training-length)
config_of() {
	case $1 in
	mnist-k2) echo configs/mnist-k2.yaml ;;
	shuffle-pool) echo configs/shuffle-pool.yaml ;; # not a paper claim
	*) echo "configs/paper/$1.yaml" ;;
	esac
}
result_of() {
	case $1 in
	mnist-k2 | shuffle-pool) echo "results/$1" ;;
	*) echo "results/paper/$1" ;;
	esac
}

# The names asked for, checked before anything runs, in the order of all.
unknown=()
for name in "$@"; do
	case " ${all[*]} " in
	*" $name "*) ;;
	*) unknown+=("$name") ;;
	esac
done
if [ ${#unknown[@]} -gt 0 ]; then
	echo "reproduce.sh: unknown config name(s): ${unknown[*]}; the names are: ${all[*]}" >&2
	exit 2
fi
names=()
for name in "${all[@]}"; do
	if [ $# -eq 0 ] || [[ " $* " == *" $name "* ]]; then names+=("$name"); fi
done

# The table printed at the end (also when a config fails or the script is interrupted), from
# each config's wall time and peak RSS in $times and its log: results/timings.awk.
times=$(mktemp)
started=$(date +%s)
report() {
	local rc=$?
	if [ -s "$times" ]; then
		echo >&2
		awk -F'\t' -v total=$(($(date +%s) - started)) -f results/timings.awk "$times" >&2
	fi
	rm -f "$times"
	return $rc
}
trap report EXIT

echo "== building runs/runexp" >&2
go build -o runs/runexp ./cmd/runexp
for name in "${names[@]}"; do
	if [ "$name" = synthetic-spoken-digits ]; then
		if [ -d data/spoken-digits ]; then
			echo "== synthetic-spoken-digits: checking data/spoken-digits against its SHA256SUMS" >&2
			(cd data/spoken-digits && sha256sum --quiet -c SHA256SUMS)
		else
			echo "== synthetic-spoken-digits: data/spoken-digits is absent; synthesising the speech corpus there with espeak-ng and sox (scripts/synth_spoken_digits.sh, 6,000 recordings, under a minute on 2 cores, done once)" >&2
			bash scripts/synth_spoken_digits.sh data/spoken-digits
		fi
	fi
done

# run_config NAME DIR CMD [ARG]... runs one config into DIR with runexp's command CMD (run or
# wire) under /usr/bin/time (wall time and peak RSS into $times), with runexp's extra
# arguments ARG; its stderr also goes to runs/NAME.log.
run_config() {
	local name=$1 cfg out=$2 cmd=$3 status=ok t log="runs/$1.log"
	shift 3
	cfg=$(config_of "$name")
	t=$(mktemp)
	: >"$log"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %M' -o "$t" runs/runexp "$cmd" -config "$cfg" -out "$out" "$@" 2> >(tee -a "$log" >&2) || status=failed
		read -r wall rss <"$t" || { wall=0 rss=0; }
	else
		local s=$SECONDS
		runs/runexp "$cmd" -config "$cfg" -out "$out" "$@" 2> >(tee -a "$log" >&2) || status=failed
		wall=$((SECONDS - s)) rss=0
	fi
	rm -f "$t"
	printf '%s\t%.0f\t%s\t%s\n' "$name" "$wall" "$rss" "$status" >>"$times"
	[ "$status" = ok ]
}

for name in "${names[@]}"; do
	cfg=$(config_of "$name")
	dst=$(result_of "$name")
	echo "== $name: $cfg" >&2
	# A cell's ID hashes every setting that makes it (the attacks included), so a cell that
	# another run in runs/ finished is this config's cell too: copy it rather than retrain it
	# (the baseline and split-1 cells of the accuracy and edge-cost runs are shared this way).
	# runexp reuses a copied cell only if it was computed on the same data files (data.json).
	for id in $(runs/runexp cells -config "$cfg" | cut -f2 | cut -d' ' -f1); do
		[ -f "runs/$name/cells/$id/row.json" ] && continue
		for src in runs/*/cells/"$id"; do
			if [ -f "$src/row.json" ] && [ -f "$src/data.json" ]; then
				mkdir -p "runs/$name/cells" && cp -r "$src" "runs/$name/cells/"
				break
			fi
		done
	done
	if [ "$name" = wire ]; then
		# The wire study trains its cells, then serves each from a cloud process of its own to
		# edges on loopback and measures them; one cell at a time, so that the measurements
		# share the machine with nothing of this script.
		run_config "$name" "runs/$name" wire -jobs 1
	else
		# Every other run in runs/ may lend this one a trained network (runexp -reuse): the
		# same recipe on the same data in two configs (privacy, privacy-strongest,
		# breaking-datamix) is trained once.
		reuse=()
		for d in runs/*/; do
			d=${d%/}
			[ "$d" != "runs/$name" ] && [ -d "$d/cells" ] && reuse+=(-reuse "$d")
		done
		run_config "$name" "runs/$name" run "${reuse[@]}"
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
