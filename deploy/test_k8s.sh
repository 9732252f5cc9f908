#!/usr/bin/env bash
# Runs the Kubernetes example of deploy/ on this machine, without a cluster: the container
# arguments of each pod of the Indexed Job (deploy/k8s/sweep-job.yaml), with $(SHARD_INDEX) and
# $(SHARDS) expanded as the kubelet would for completion index i, then the merge Job's
# (deploy/k8s/merge-job.yaml), on a small sweep; checks that the merged result equals an
# unsharded run of the same sweep (but for wall-clock times). The Slurm example has a test of
# its own on a real cluster, deploy/test_slurm.sh.
#   deploy/test_k8s.sh          (from anywhere; needs go, bash, python3 with PyYAML)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "test_k8s: skipped: needs python3 with PyYAML (Debian: python3-yaml) to read the manifests"
	exit 0
fi
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
# results.csv without the wall-clock columns.
results() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "train_seconds" || $i == "eval_seconds") skip[i] = 1 }
		{ line = ""; for (i = 1; i <= NF; i++) if (!skip[i]) line = line $i ","; print line }' "$1"
}

"$tmp/runexp" run -config "$tmp/sweep.yaml" -out "$tmp/whole" -jobs 2 >/dev/null 2>&1

# The container arguments of each indexed pod, then those of the merge Job, with the
# experiment's paths moved to this machine.
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
diff <(results "$tmp/whole/results.csv") <(results "$tmp/k8s/results.csv")
echo "test_k8s: $shards indexed pods + merge = the unsharded run ($(($(wc -l <"$tmp/k8s/results.csv") - 1)) rows)"
