#!/bin/bash
# Runs an experiment config as a Slurm job array of SHARDS tasks, then merges the shards.
#
#   deploy/slurm/submit.sh CONFIG [SHARDS]        (from the repository root, on the login node)
#
# It builds runexp once into bin/ (the array tasks share it through the filesystem), submits
# SHARDS array tasks of deploy/slurm/sweep.sbatch and a merge job that waits for all of them.
# The run directory is runs/<config file name>; set OUT to put it elsewhere (it must be on a
# filesystem every node sees). Extra sbatch options (partition, account, time) go in
# SBATCH_ARGS, e.g. SBATCH_ARGS="--partition=cpu --time=08:00:00".
set -euo pipefail
cd "$(dirname "$0")/../.."

config=${1:?usage: deploy/slurm/submit.sh CONFIG [SHARDS]}
shards=${2:-4}
out=${OUT:-runs/$(basename "$config" .yaml)}
mkdir -p bin runs "$out"

go build -o bin/runexp ./cmd/runexp
# Fail on a bad config now, on the login node, not in every array task.
cells=$(bin/runexp cells -config "$config" | wc -l)
echo "$config: $cells cells in $shards shards"

# shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
array=$(sbatch --parsable $SBATCH_ARGS --array="0-$((shards - 1))" \
	--export=ALL,CONFIG="$config",OUT="$out",SHARDS="$shards" deploy/slurm/sweep.sbatch)
# shellcheck disable=SC2086
merge=$(sbatch --parsable $SBATCH_ARGS --dependency="afterany:$array" \
	--export=ALL,OUT="$out",SHARDS="$shards" deploy/slurm/merge.sbatch)
echo "array job $array ($shards shards of $config into $out), merge job $merge"
