#!/usr/bin/env bash
# Runs the deploy/ examples on this machine, with the scheduler's environment faked: the Slurm
# array script once per task index (SLURM_ARRAY_TASK_ID), the Kubernetes Indexed Job's
# container arguments once per completion index (the $(SHARD_INDEX) and $(SHARDS) references
# expanded as the kubelet would), each followed by its merge, on a small sweep. Checks that
# both merged results equal an unsharded run of the same sweep (but for wall-clock times).
#   deploy/test_local.sh          (from anywhere; needs go, bash, python3 with PyYAML for the k8s part)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/runexp" ./cmd/runexp

cat >"$tmp/sweep.yaml" <<'YAML'
name: deploy-test
seed: 1
dataset: {name: mnist, train_limit: 128, test_limit: 64}
model: {arch: mnist-cnn, split: 1}
train: {epochs: 1, batch_size: 32, eval_batch_size: 32}
baseline: true
sweep:
  seed: [1, 2]
  mixing.group_size: [1, 2, 4]
YAML
shards=3
# The columns of results.csv up to accuracy and training results, without the wall times.
strip() { cut -d, -f1-23 "$1"; }

"$tmp/runexp" run -config "$tmp/sweep.yaml" -out "$tmp/whole" -jobs 2 >/dev/null 2>&1

# Slurm: one array task per shard, then the merge job.
for ((i = 0; i < shards; i++)); do
	SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$shards SLURM_CPUS_PER_TASK=2 \
		CONFIG="$tmp/sweep.yaml" OUT="$tmp/slurm" RUNEXP="$tmp/runexp" \
		bash deploy/slurm/sweep.sbatch >/dev/null 2>&1
done
OUT="$tmp/slurm" SHARDS=$shards RUNEXP="$tmp/runexp" bash deploy/slurm/merge.sbatch >/dev/null 2>&1
diff <(strip "$tmp/whole/results.csv") <(strip "$tmp/slurm/results.csv")
echo "slurm: $shards array tasks + merge = the unsharded run ($(($(wc -l <"$tmp/slurm/results.csv") - 1)) rows)"

# Kubernetes: the container arguments of each indexed pod, then those of the merge Job, with
# the experiment's paths moved to this machine.
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$tmp" "$shards" <<'PY'
import subprocess, sys, yaml
tmp, shards = sys.argv[1], int(sys.argv[2])
def container(path):
    return yaml.safe_load(open(path))["spec"]["template"]["spec"]["containers"][0]
def local(arg):
    return (arg.replace("/runs/accuracy-vs-group-size", tmp + "/k8s")
               .replace("configs/paper/accuracy-vs-group-size.yaml", tmp + "/sweep.yaml"))
sweep = container("deploy/k8s/sweep-job.yaml")
env = {e["name"]: e.get("value") for e in sweep["env"]}
assert env["SHARDS"] is not None
for i in range(shards):
    args = [local(a.replace("$(SHARD_INDEX)", str(i)).replace("$(SHARDS)", str(shards))) for a in sweep["args"]]
    subprocess.run([tmp + "/runexp"] + args, check=True, capture_output=True)
merge = container("deploy/k8s/merge-job.yaml")
args = [local(a).replace("-of-4", "-of-%d" % shards) for a in merge["args"] if "shard-" not in a or int(a.split("shard-")[1].split("-")[0]) < shards]
subprocess.run([tmp + "/runexp"] + args, check=True, capture_output=True)
PY
	diff <(strip "$tmp/whole/results.csv") <(strip "$tmp/k8s/results.csv")
	echo "kubernetes: $shards indexed pods + merge = the unsharded run"
else
	echo "kubernetes: skipped (no python3 with PyYAML)"
fi
