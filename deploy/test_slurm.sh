#!/usr/bin/env bash
# Runs the Slurm workflow of deploy/README.md on a real single-node Slurm cluster started here,
# exactly as a user types it, and checks what it promises:
#   1. deploy/slurm/submit.sh CONFIG 3 (the README's command) on a small sweep: 3 array tasks
#      and a merge job that waits for them;
#   2. one array task is cancelled (scancel) after its first finished cell: it stops cleanly,
#      and the merge queued behind the array fails, naming the missing cells;
#   3. the README's redo commands rerun that task (it resumes: its finished cells are kept)
#      and merge again: the merged rows equal those of an unsharded run of the same config,
#      wall-clock columns aside;
#   4. a task that reaches its time limit gets SIGTERM from --signal=B:TERM (delivered to
#      runexp, not only to job steps), writes its finished cells and exits 130 (the signal
#      comes at one of slurmctld's periodic checks: before the limit, or at it: TIMEOUT);
#   5. a requeued task (scontrol requeue) appends to its log instead of overwriting it.
# It installs slurm-wlm and munge from Debian when they are missing (as root), starts munged,
# slurmctld and slurmd with a fresh state directory and their own ports, and stops every
# daemon it started, by PID, on exit. Every wait is bounded.
#
#   sudo deploy/test_slurm.sh            (from anywhere; needs root, Go, and apt-get if Slurm is missing)
#
# KEEP=1 keeps the temporary directory (cluster logs, the copy of the repository, the runs).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
t0=$SECONDS
say() { printf 'test_slurm [%3ds]: %s\n' $((SECONDS - t0)) "$*"; }
die() {
	say "FAIL: $*"
	exit 1
}

if [ "$(id -u)" != 0 ]; then
	die "needs root (to install Slurm and run its daemons)"
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
	command -v apt-get >/dev/null || die "Slurm is not installed and there is no apt-get to install it"
	say "installing slurm-wlm and munge (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt_install() { apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends slurm-wlm munge >/dev/null; }
	apt_install || { apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null && apt_install; } || die "apt-get install slurm-wlm munge failed"
fi
command -v go >/dev/null || die "needs go (submit.sh builds runexp)"

tmp=$(mktemp -d /tmp/datamix-slurm.XXXXXX)
pids=()  # daemons started here
jobs=()  # jobs submitted here
cleanup() {
	local code=$?
	if [ ${#jobs[@]} -gt 0 ] && [ -n "${SLURM_CONF:-}" ]; then
		scancel "${jobs[@]}" 2>/dev/null || true
		for _ in $(seq 50); do # up to 10 s for the jobs to leave the node
			[ -z "$(squeue -h -j "$(IFS=,; echo "${jobs[*]}")" 2>/dev/null)" ] && break
			sleep 0.2
		done
	fi
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[i]}" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null || true
	done
	if [ "$code" != 0 ] || [ -n "${KEEP:-}" ]; then
		say "logs and runs kept in $tmp (cluster logs in $tmp/log)"
	else
		rm -rf "$tmp"
	fi
	exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the cluster -------------------------------------------------------------------------
mkdir -p "$tmp"/{munge,log,state/ctld,state/d,repo}
chmod 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged --foreground --force --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/socket" \
	--pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/seed" \
	>>"$tmp/log/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/munge/socket" ] && break; sleep 0.1; done
[ -S "$tmp/munge/socket" ] || die "munged did not start (see $tmp/log/munged.log)"

host=$(hostname -s)
port=$((20000 + RANDOM % 20000)) # slurmctld; slurmd uses the next port
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=datamixtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/socket
CredType=cred/munge
StateSaveLocation=$tmp/state/ctld
SlurmdSpoolDir=$tmp/state/d
SlurmctldPidFile=$tmp/state/slurmctld.pid
SlurmdPidFile=$tmp/state/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
KillWait=5
MinJobAge=600
$(slurmd -C | head -1) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >>"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >>"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
ready=
for _ in $(seq 60); do # up to about 30 s
	if timeout 5 scontrol ping 2>/dev/null | grep -q UP && timeout 5 sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
		ready=1
		break
	fi
	sleep 0.5
done
[ -n "$ready" ] || die "the cluster did not come up within 30 s (see $tmp/log)"
say "cluster up: $(sinfo -h -o '%P %D node(s) %c CPUs %T') (Slurm $(sinfo -V | cut -d' ' -f2))"

# --- helpers ------------------------------------------------------------------------------
# state JOB: the job's state (PENDING, RUNNING, COMPLETED, CANCELLED, FAILED, TIMEOUT, …).
state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
# ended JOB: whether the job has reached a final state.
ended() {
	case $(state "$1") in
	COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) return 0 ;;
	*) return 1 ;;
	esac
}
# await SECONDS JOB...: waits until every job has ended.
await() {
	local limit=$1 j
	shift
	for _ in $(seq $((limit * 5))); do
		local running=
		for j in "$@"; do
			ended "$j" || running=1
		done
		[ -z "$running" ] && return 0
		sleep 0.2
	done
	die "jobs $* still running after $limit s: $(squeue -h -o '%i %T %M' 2>&1 | tr '\n' ';')"
}
# rows DIR: the number of finished cells in a run directory.
rows() { find "$1/cells" -name row.json 2>/dev/null | wc -l; }
# results FILE: results.csv without the wall-clock columns.
results() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "train_seconds" || $i == "eval_seconds") skip[i] = 1 }
		{ line = ""; for (i = 1; i <= NF; i++) if (!skip[i]) line = line $i ","; print line }' "$1"
}

# --- the sweep ----------------------------------------------------------------------------
# A copy of the repository, so that bin/ and runs/ do not land in the caller's tree.
tar -C "$repo" --exclude=./.git --exclude=./runs --exclude=./bin -cf - . | tar -C "$tmp/repo" -xf -
cd "$tmp/repo"
mkdir -p configs/test
cat >configs/test/slurm-sweep.yaml <<'YAML'
# A small sweep for deploy/test_slurm.sh: 2 baselines and 6 DataMix cells of a few seconds.
name: slurm-sweep
seed: 1
dataset: {name: mnist, train_limit: 2048, test_limit: 256}
model: {arch: mnist-cnn, split: 1}
train: {epochs: 1, batch_size: 32, eval_batch_size: 64}
baseline: true
sweep:
  seed: [1, 2]
  mixing.group_size: [1, 2, 4]
YAML
config=configs/test/slurm-sweep.yaml
out=runs/slurm-sweep
shards=3

# 1. The README's command. One CPU per task (the node has few), as a user would ask with
# SBATCH_ARGS.
say "deploy/slurm/submit.sh $config $shards"
submitted=$(SBATCH_ARGS="--cpus-per-task=1" deploy/slurm/submit.sh "$config" "$shards")
echo "$submitted" | sed 's/^/    /'
array=$(echo "$submitted" | sed -n 's/^array job \([0-9]*\) .*/\1/p')
merge1=$(echo "$submitted" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
[ -n "$array" ] && [ -n "$merge1" ] || die "submit.sh did not report its jobs"
jobs+=("$array" "$merge1")

# 2. Cancel task 0 (the one with the most cells) once its first cell has finished.
victim=0
vdir=$out/shard-$victim-of-$shards
for _ in $(seq 600); do # up to 2 minutes
	[ "$(rows "$vdir")" -ge 1 ] && break
	sleep 0.2
done
[ "$(rows "$vdir")" -ge 1 ] || die "task $victim finished no cell within 2 minutes"
scancel "${array}_$victim"
await 60 "${array}_$victim"
done_before=$(rows "$vdir")
total=$(bin/runexp cells -config "$config" -shard "$victim/$shards" | wc -l)
say "task $victim cancelled with $done_before of its $total cells finished ($(state "${array}_$victim"))"
[ "$done_before" -lt "$total" ] || die "task $victim finished all its cells before it was cancelled: make its cells longer"
await 180 "$array" "$merge1"
[ "$(state "$merge1")" = FAILED ] || die "the merge behind a cancelled task ended $(state "$merge1"), want FAILED"
grep -q "cells have no row in any directory" "runs/slurm-datamix-merge-$merge1.log" ||
	die "the failed merge's log does not name the missing cells: $(cat "runs/slurm-datamix-merge-$merge1.log")"
say "the first merge failed as it should: $(grep -o '[0-9]* of [0-9]* cells have no row' "runs/slurm-datamix-merge-$merge1.log")"

# 3. The README's redo commands, for task $victim.
redo=$(sbatch --parsable --array=$victim --export=ALL,CONFIG=$config,OUT=$out,SHARDS=$shards deploy/slurm/sweep.sbatch)
jobs+=("$redo")
merge2=$(sbatch --parsable --dependency=afterok:$redo --export=ALL,OUT=$out,SHARDS=$shards deploy/slurm/merge.sbatch)
jobs+=("$merge2")
await 180 "$redo" "$merge2"
[ "$(state "${redo}_$victim")" = COMPLETED ] || die "the redo of task $victim ended $(state "${redo}_$victim")"
[ "$(state "$merge2")" = COMPLETED ] || die "the second merge ended $(state "$merge2"): $(cat "runs/slurm-datamix-merge-$merge2.log")"
resumed=$(grep -c 'finished earlier' "runs/slurm-datamix-sweep-${redo}_$victim.log" || true)
[ "$resumed" = "$done_before" ] || die "the redo resumed $resumed cells, want the $done_before the cancelled task finished"
say "redo of task $victim resumed $resumed cells and computed $((total - resumed)); merged $(rows "$out") cells"

bin/runexp run -config "$config" -out "$tmp/whole" -jobs 2 >/dev/null 2>&1 || die "the unsharded run failed"
diff <(results "$tmp/whole/results.csv") <(results "$out/results.csv") >"$tmp/diff" ||
	die "merged rows differ from the unsharded run's: $(head -20 "$tmp/diff")"
say "merged results.csv = the unsharded run's ($(($(wc -l <"$out/results.csv") - 1)) rows, wall-clock columns aside)"

# 4. A task that reaches its time limit (1 minute): SIGTERM to the batch shell, which is
# runexp, 30 s before it; runexp writes the finished cells and exits 130. slurmctld sends the
# signal at one of its periodic checks, so on this single-node cluster it sometimes lands only
# at the limit itself; the task then ends TIMEOUT rather than FAILED, still with runexp's exit
# code 130 and its clean interruption in the log, which is what this checks.
cat >configs/test/slurm-long.yaml <<'YAML'
# deploy/test_slurm.sh: 120 cells of about 1.5 s, far more than fit in a minute.
name: slurm-long
dataset: {name: mnist, train_limit: 4096, test_limit: 256}
train: {epochs: 1, batch_size: 32, eval_batch_size: 64}
sweep:
  seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
         21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40]
  mixing.group_size: [1, 2, 4]
YAML
long=$(sbatch --parsable --array=0 --cpus-per-task=1 --time=1 --signal=B:TERM@30 \
	--export=ALL,CONFIG=configs/test/slurm-long.yaml,OUT=runs/slurm-long,SHARDS=1 deploy/slurm/sweep.sbatch)
jobs+=("$long")
await 150 "${long}_0"
log=runs/slurm-datamix-sweep-${long}_0.log
st=$(state "${long}_0")
grep -q 'runexp: experiments: interrupted (context canceled) with [0-9]* of 120 cells finished' "$log" ||
	die "the timed-out task ($st) did not stop cleanly on SIGTERM; its log ends: $(tail -3 "$log")"
{ [ "$st" = FAILED ] || [ "$st" = TIMEOUT ]; } && scontrol show job "${long}_0" | grep -q 'ExitCode=130:0' ||
	die "the timed-out task ended $st, want FAILED or TIMEOUT with runexp's exit code 130: $(scontrol show job "${long}_0" | tr '\n' ' ')"
say "time limit: $(grep -o 'interrupted (context canceled) with [0-9]* of 120 cells finished' "$log"), exit 130 ($st)"

# 5. A requeued task appends to its log.
lines=$(wc -l <"runs/slurm-datamix-sweep-${array}_1.log")
scontrol requeue "${array}_1"
for _ in $(seq 100); do # up to 20 s for the requeue to take effect
	ended "${array}_1" || break
	sleep 0.2
done
# Slurm holds a requeued job back for a while (its begin time is set about two minutes
# ahead); let it start now.
scontrol update JobId="${array}_1" StartTime=now
await 120 "${array}_1"
grep -c 'cells written to' "runs/slurm-datamix-sweep-${array}_1.log" | grep -qx 2 ||
	die "the requeued task's log does not hold both runs (it had $lines lines): $(cat "runs/slurm-datamix-sweep-${array}_1.log")"
say "requeued task 1: its log holds both runs"

say "PASS in $((SECONDS - t0)) s"
