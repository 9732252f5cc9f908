#!/usr/bin/env bash
# Runs the Kubernetes example of deploy/ on this machine, without a cluster: the container
# arguments of each pod of the Indexed Job (deploy/k8s/sweep-job.yaml), with $(SHARD_INDEX) and
# $(SHARDS) expanded as the kubelet would for completion index i, then the merge Job's
# (deploy/k8s/merge-job.yaml), on a small sweep; checks that the merged result equals an
# unsharded run of the same sweep (but for wall-clock times). Then the cloud Deployment's
# container (deploy/k8s/cloud.yaml) on one of the sweep's cells, on loopback, with an edge
# served through it, and its Service's ports; then SIGTERM, which it must drain and exit 0 on.
# The Slurm example has a test of its own on a real cluster, deploy/test_slurm.sh.
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

# The cloud Deployment: its container's arguments on a k = 2 cell of the sweep, on a loopback
# port the kernel picks; an edge serves the sweep's test images through it.
cell=$("$tmp/runexp" cells -config "$tmp/sweep.yaml" | awk '$3 == "datamix" && /group_size: 2/ && /seed: 1/ { print $2; exit }')
mapfile -t cloudargs < <(python3 - "$tmp" "$cell" <<'PY'
import sys, yaml
tmp, cell = sys.argv[1], sys.argv[2]
docs = list(yaml.safe_load_all(open("deploy/k8s/cloud.yaml")))
dep, svc = docs[0], docs[1]
c = dep["spec"]["template"]["spec"]["containers"][0]
ports = {p["name"] for p in c["ports"]}
assert {p["targetPort"] for p in svc["spec"]["ports"]} <= ports, "the Service targets ports the container lacks"
assert svc["spec"]["selector"] == dep["spec"]["template"]["metadata"]["labels"]
assert dep["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 30, "the grace period must exceed -drain"
for a in c["args"]:
    a = a.replace("/runs/quickstart/cells/CELL_ID", tmp + "/whole/cells/" + cell)
    a = a.replace("-listen=:7070", "-listen=127.0.0.1:0").replace("-metrics=:9464", "-metrics=127.0.0.1:0")
    print(a)
PY
)
"$tmp/runexp" "${cloudargs[@]}" >"$tmp/cloud.out" 2>"$tmp/cloud.err" &
cloud=$!
for _ in $(seq 100); do grep -q '^serving' "$tmp/cloud.out" && break; sleep 0.1; done
addr=$(sed -n 's/^serving model=[^ ]* grpc=\([^ ]*\) .*/\1/p' "$tmp/cloud.out")
[ -n "$addr" ] || { cat "$tmp/cloud.err"; echo "test_k8s: the cloud did not start"; exit 1; }
"$tmp/runexp" edge -config "$tmp/sweep.yaml" -run "$tmp/whole" -cell "$cell" -cloud "$addr" >"$tmp/edge.out"
grep -q accuracy "$tmp/edge.out"
kill -TERM "$cloud"
wait "$cloud" # exits 0 after draining, or the script fails here
echo "test_k8s: the cloud Deployment's container served an edge on $addr and drained on SIGTERM ($(head -1 "$tmp/edge.out"))"
