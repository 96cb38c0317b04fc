#!/usr/bin/env bash
# A real-Slurm test of `eagleprep slurm` (docs/scale-out.md), run by scripts/test.sh under CI=true as root.
#
# 1. installs Debian's slurm-wlm and munge when missing (apt-get), and starts a one-node cluster in a temporary
#    directory: its own munge key and socket, munged, slurmctld, slurmd with 2 CPUs (cons_tres, linuxproc, no
#    cgroups, no accounting), on ports 16817/16818;
# 2. writes the scripts for a miniature pipeline (18 MT-bench conversations, SmolLM2-135M GGUF: tokenize array of 2,
#    vocab counts array of 2, dump array of 3, merges) with `eagleprep slurm` and submits them;
# 3. checks the result byte for byte (see `compare` below) against the same plan run on this machine without Slurm
#    (the commands with explicit --worker I/N), and against unsplit single runs for what does not depend on the split;
# 4. starts over, cancels one dump array task mid-run (after its first shard), checks that the jobs after it were
#    cancelled, resubmits, and checks that the result is again identical and that finished work (token shards,
#    counts files, the cancelled worker's first shard) was kept, not redone;
# 5. stops every daemon it started and removes its directory (trap), whatever happened.
#
# Usage: scripts/slurm-test.sh [--keep]   (--keep leaves the work directory for inspection)
# Needs root (apt-get, daemons). Takes about 2.5 minutes on 2 cores once eagleprep is built, most of it in the
# SmolLM2 forward passes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
keep=0
[ "${1:-}" = "--keep" ] && keep=1

say() { echo "slurm-test: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (it installs slurm-wlm and munge and starts their daemons)"

model=$root/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
conversations=$root/../shared/data/conversations/mt_bench_llama2chat70b.messages.jsonl
[ -f "$model" ] || fail "$model is missing (scripts/setup.sh fetches it)"
[ -f "$conversations" ] || fail "$conversations is missing (../shared/data)"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
say "building eagleprep (release, as scripts/test.sh)"
swift build -c release -Xswiftc -enable-testing 2>&1 | grep -E "error|warning: unre" >&2 || true
bin=$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/eagleprep
[ -x "$bin" ] || fail "no eagleprep binary at $bin"

work=$(mktemp -d /tmp/eagleprep-slurm-test.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  local status=$?
  if command -v scancel >/dev/null && [ -f "$work/etc/slurm.conf" ]; then
    export SLURM_CONF=$work/etc/slurm.conf
    timeout 5 scancel --user=root 2>/dev/null || true
    for _ in $(seq 100); do
      queue=$(timeout 2 squeue -h 2>/dev/null) || break
      [ -z "$queue" ] && break
      sleep 0.1
    done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ $status -ne 0 ]; then
    for f in "$work"/log/*.log; do [ -f "$f" ] && { say "--- tail of $f"; tail -n 20 "$f" >&2; }; done
    for f in "$work"/run/slurm-logs/*.out; do [ -f "$f" ] && { say "--- tail of $f"; tail -n 5 "$f" >&2; }; done
  fi
  if [ $keep = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the cluster -----------------------------------------------------------------------------------------------
host=$(hostname -s)
mkdir -p "$work"/{etc,log,state,spool,munge}
chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
socket=$work/munge/munge.socket
munged --foreground --force --socket="$socket" --key-file="$work/munge/munge.key" --log-file="$work/log/munged.log" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" > "$work/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "munged did not start"

cat > "$work/etc/slurm.conf" <<EOF
ClusterName=eagleprep-test
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/etc/slurm.conf
slurmctld -D -f "$SLURM_CONF" > "$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$work/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
  state=$(sinfo -h -N -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || fail "the node did not come up (sinfo: '$state')"
say "cluster up: node $host idle, 2 CPUs"

# ---- the miniature pipeline ------------------------------------------------------------------------------------
head -n 18 "$conversations" > "$work/conversations.jsonl"
cat > "$work/pipeline.json" <<EOF
{"model": "$model", "out": "run", "date": "2026-11-29",
 "stages": {"tokenize": {"input": "conversations.jsonl", "max_length": 128, "truncate": true,
                         "mask_mode": "assistant", "system_prompt": "data", "shard_size": 4},
            "vocab": {"size": 512, "pad": true},
            "dump": {"shard_size": 2},
            "train": {"max_steps": 4, "checkpoint_every": 2, "schedule": "constant", "lr": 0.0005}},
 "slurm": {"defaults": {"cpus": 1, "time": "00:20:00"},
           "tokenize": {"tasks": 2}, "vocab": {"tasks": 2}, "dump": {"tasks": 3}}}
EOF
"$bin" slurm "$work/pipeline.json" --out "$work/scripts" >&2

# Waits until none of the jobs in scripts/jobs.txt is pending or running; prints "NAME STATE" per job.
wait_jobs() {
  local ids deadline=$((SECONDS + 600))
  ids=$(cut -d' ' -f2 "$work/scripts/jobs.txt" | paste -sd,)
  while [ -n "$(squeue -h -j "$ids" -t PD,R,CG,CF 2>/dev/null)" ]; do
    [ $SECONDS -lt $deadline ] || fail "jobs still queued after 10 minutes: $(squeue -h -j "$ids")"
    sleep 1
  done
  while read -r name id; do
    echo "$name $(scontrol -o show job "$id" | tr ' ' '\n' | grep -m1 '^JobState=' | cut -d= -f2)"
  done < "$work/scripts/jobs.txt"
}

# ---- the single-machine reference: the same plan, explicit --worker I/N, no scheduler variables -----------------
say "single-machine run (explicit workers)"
ref=$work/ref
(
  unset SLURM_CONF
  cd "$work"
  q=(--threads 1 --quiet)
  for i in 0 1; do "$bin" tokenize --model "$model" --input "$work/conversations.jsonl" --date 2026-11-29 --max-length 128 --truncate --mask-mode assistant --system-prompt data --shard-size 4 \
    --worker $i/2 "${q[@]}" --out "$ref/tokenize/workers/w$i" >/dev/null; done
  "$bin" merge-tokens --out "$ref/tokenize" "$ref"/tokenize/workers/w{0,1} >/dev/null
  sha=$(sha256sum "$ref/tokenize/manifest.json" | cut -c1-16)
  mkdir -p "$ref/vocab/counts"
  for i in 0 1; do "$bin" vocab --tokens "$ref/tokenize" --counts-only --part $i/2 "${q[@]}" --out "$ref/vocab/counts/part-$i-of-2-$sha.counts"; done
  "$bin" vocab --merge "$ref"/vocab/counts/part-{0,1}-of-2-$sha.counts --size 512 --pad --quiet --out "$ref/vocab"
  for i in 0 1 2; do "$bin" dump --model "$model" --tokens "$ref/tokenize" --vocab "$ref/vocab" --shard-size 2 --worker $i/3 "${q[@]}" \
    --out "$ref/dump/workers/w$i" >/dev/null; done
  "$bin" merge-manifests --out "$ref/dump" "$ref"/dump/workers/w{0,1,2} >/dev/null
  "$bin" train --shards "$ref/dump" --model "$model" --vocab "$ref/vocab" --out "$ref/train" --max-steps 4 --checkpoint-every 2 \
    --schedule constant --lr 0.0005 "${q[@]}" >/dev/null
  # Unsplit runs, for what does not depend on the split.
  "$bin" tokenize --model "$model" --input "$work/conversations.jsonl" --date 2026-11-29 --max-length 128 --truncate --mask-mode assistant --system-prompt data --shard-size 4 "${q[@]}" \
    --out "$work/single/tokenize" >/dev/null
  "$bin" vocab --tokens "$ref/tokenize" --size 512 --pad "${q[@]}" --out "$work/single/vocab"
)

# The comparison. Byte for byte, every file of the Slurm run's tokenize/, vocab/ and dump/ trees (worker shards,
# worker manifests, merged token and dump manifests, counts files, vocab.safetensors/vocab.json/coverage.svg, dump
# shards) equals the reference's file of the same relative path, and the two trees hold the same files. Beyond the
# same plan: vocab/ equals an unsplit `vocab` over the merged tokens (counts array + merge = one count), and the
# merged token directory holds exactly the samples of an unsplit `tokenize` (sorted `inspect --jsonl` lines equal;
# only their order differs, worker by worker).
compare() {
  local run=$work/run
  [ -f "$run/dump/manifest.json" ] || fail "no merged dump manifest in $run/dump"
  (cd "$run" && find tokenize vocab dump -type f | sort) > "$work/files.run"
  (cd "$ref" && find tokenize vocab dump -type f | sort) > "$work/files.ref"
  diff "$work/files.ref" "$work/files.run" >&2 || fail "the Slurm run and the single-machine run wrote different files"
  local n=0
  while read -r f; do
    cmp -s "$ref/$f" "$run/$f" || fail "$f differs between the Slurm run and the single-machine run"
    n=$((n + 1))
  done < "$work/files.ref"
  for f in vocab.safetensors vocab.json coverage.svg; do
    cmp -s "$work/single/vocab/$f" "$run/vocab/$f" || fail "vocab/$f differs from an unsplit vocab run"
  done
  "$bin" inspect "$run/tokenize" --jsonl | sort > "$work/samples.run"
  "$bin" inspect "$work/single/tokenize" --jsonl | sort > "$work/samples.single"
  cmp -s "$work/samples.run" "$work/samples.single" || fail "the merged token samples differ from an unsplit tokenize run"
  "$bin" verify "$run/tokenize" "$run/dump" >/dev/null || fail "eagleprep verify $run/tokenize $run/dump failed"
  # The train job: the exported drafter equals the single-machine training on the reference shards (same data,
  # options and thread count: training is deterministic).
  for f in model.safetensors config.json; do
    cmp -s "$ref/train/$f" "$run/train/$f" || fail "train/$f differs between the Slurm run and the single-machine run"
  done
  say "$1: $n files and the exported drafter identical to the single-machine run ($(wc -l < "$work/samples.run") samples, $(grep -c . "$work/files.ref") files); vocab = unsplit vocab; token samples = unsplit tokenize"
}

# ---- run 1: submit, wait, compare -----------------------------------------------------------------------------
say "submitting"
start=$SECONDS
"$work/scripts/submit.sh" >&2
states=$(wait_jobs)
echo "$states" | sed 's/^/slurm-test:   /' >&2
[ "$(echo "$states" | grep -vc ' COMPLETED$')" = 0 ] || fail "not every job completed"
say "run 1 took $((SECONDS - start)) s"
compare "run 1"

# ---- run 2: cancel a dump array task mid-run, resubmit ----------------------------------------------------------
rm -rf "$work/run"
"$work/scripts/submit.sh" >&2
dump_job=$(grep '^dump ' "$work/scripts/jobs.txt" | cut -d' ' -f2)
victim=""
deadline=$((SECONDS + 300))
while [ -z "$victim" ]; do
  [ $SECONDS -lt $deadline ] || fail "no dump task was seen running with a finished first shard"
  for task in $(squeue -h -j "$dump_job" -t R -o %K 2>/dev/null); do
    if [ -f "$work/run/dump/workers/w$task/dump-00000.epdump" ] && [ ! -f "$work/run/dump/workers/w$task/manifest.json" ]; then
      scancel "${dump_job}_$task"
      victim=$task
      break
    fi
  done
  sleep 0.2
done
say "cancelled dump array task ${dump_job}_$victim after its first shard"
states=$(wait_jobs)
echo "$states" | sed 's/^/slurm-test:   /' >&2
echo "$states" | grep -q '^dump-merge CANCELLED' || fail "dump-merge was not cancelled after the dump array failed"
[ ! -f "$work/run/dump/manifest.json" ] || fail "a merged dump manifest exists after a cancelled dump task"
[ ! -f "$work/run/dump/workers/w$victim/manifest.json" ] || fail "the cancelled worker finished anyway (task too short to cancel mid-run)"
# What must be kept: inode and mtime of earlier work.
keep_list="tokenize/workers/w0/tokens-00000.eptok tokenize/manifest.json dump/workers/w$victim/dump-00000.epdump"
keep_list+=" $(cd "$work/run" && ls vocab/counts/*.counts | tr '\n' ' ')"
before=$(cd "$work/run" && stat -c '%n %i %Y' $keep_list)
say "resubmitting"
"$work/scripts/submit.sh" >&2
states=$(wait_jobs)
echo "$states" | sed 's/^/slurm-test:   /' >&2
[ "$(echo "$states" | grep -vc ' COMPLETED$')" = 0 ] || fail "not every job completed after the resubmission"
after=$(cd "$work/run" && stat -c '%n %i %Y' $keep_list)
[ "$before" = "$after" ] || fail "finished work was redone on resubmission:
$before
---
$after"
compare "run 2 (cancelled task, resubmitted)"
say "finished work kept on resubmission: $(echo "$keep_list" | wc -w) files unchanged (inode, mtime)"
say "passed"
