#!/bin/bash
# Runs an experiment config as a Slurm job array of SHARDS tasks, then merges the shards.
#
#   deploy/slurm/submit.sh CONFIG [SHARDS]        (from anywhere in the repository, on the login node)
#
# It builds runexp once into bin/ (the array tasks share it through the filesystem), checks the
# config, submits SHARDS array tasks of deploy/slurm/sweep.sbatch and a merge job that waits for
# all of them, and prints the commands that redo a task and merge again. The run directory is
# runs/<config file name>; set OUT to put it elsewhere (it must be on a filesystem every node
# sees). Extra sbatch options (partition, account, time, CPUs) go in SBATCH_ARGS, e.g.
# SBATCH_ARGS="--partition=cpu --time=08:00:00"; they apply to the array and the merge job.
set -euo pipefail
cd "$(dirname "$0")/../.."

config=${1:?usage: deploy/slurm/submit.sh CONFIG [SHARDS]}
shards=${2:-4}
out=${OUT:-runs/$(basename "$config" .yaml)}
sbatch_args=${SBATCH_ARGS:-}
mkdir -p bin runs "$out"

go build -o bin/runexp ./cmd/runexp
# Fail on a bad config now, on the login node, not in every array task.
cells=$(bin/runexp cells -config "$config" | wc -l)
echo "$config: $cells cells in $shards shards"

# shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
array=$(sbatch --parsable $sbatch_args --array="0-$((shards - 1))" \
	--export=ALL,CONFIG="$config",OUT="$out",SHARDS="$shards" deploy/slurm/sweep.sbatch)
array=${array%%;*} # --parsable prints "id" or "id;cluster"
# shellcheck disable=SC2086
merge=$(sbatch --parsable $sbatch_args --dependency="afterany:$array" \
	--export=ALL,OUT="$out",SHARDS="$shards" deploy/slurm/merge.sbatch)
merge=${merge%%;*}
echo "array job $array ($shards shards of $config into $out), merge job $merge"
echo "logs: runs/slurm-datamix-sweep-${array}_<task>.log, runs/slurm-datamix-merge-$merge.log"
echo "to redo task I (it keeps its finished cells), then merge again:"
echo "  job=\$(sbatch --parsable $sbatch_args --array=I --export=ALL,CONFIG=$config,OUT=$out,SHARDS=$shards deploy/slurm/sweep.sbatch)"
echo "  sbatch $sbatch_args --dependency=afterok:\$job --export=ALL,OUT=$out,SHARDS=$shards deploy/slurm/merge.sbatch"
