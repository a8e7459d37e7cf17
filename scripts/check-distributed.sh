#!/usr/bin/env bash
# Fault handling of data-parallel training with real processes:
# 2 ranks of a tiny `lichen train` through `lichen launch`;
#  1. rank 1 is killed (SIGKILL) after the first checkpoint: rank 0 stops within
#     the timeout with an error naming rank 1, the launcher exits non-zero, and
#     the checkpoint resumes to the end with 2 ranks;
#  2. rank 1 hangs (SIGSTOP): rank 0 stops within the timeout naming rank 1;
#  3. Ctrl-C to the launcher and to a plain run: exit status 130, resumable.
# Usage: scripts/check-distributed.sh [LICHEN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${1:-.build/debug/lichen}
work=$(mktemp -d)
trap 'pkill -KILL -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/photos"
cp samples/*.png "$work/photos/"
timeout_s=6
train=(train --threads 1 --data "$work/photos" --N 8 --M 8 --crop 64 --batch-size 2 --steps 400
       --validate-every 100 --checkpoint-every 20 --dist-timeout $timeout_s)
export OMP_WAIT_POLICY=PASSIVE

fail() { echo "check-distributed: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -5 "$f" >&2; done; exit 1; }

rank_pid() {  # launcher pid, rank -> pid of that rank
  for pid in $(pgrep -P "$1"); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "LICHEN_RANK=$2"; then echo "$pid"; return; fi
  done
}

start_and_wait_for_checkpoint() {  # run folder, log
  "$lichen" launch --nproc 2 --grace 3 -- lichen "${train[@]}" --out "$1" > "$2" 2>&1 &
  launcher=$!
  for _ in $(seq 600); do
    [ -f "$1/checkpoint.safetensors" ] && return
    kill -0 "$launcher" 2>/dev/null || fail "training ended before its first checkpoint"
    sleep 0.2
  done
  fail "no checkpoint after 120 s"
}

# 1. A rank dies.
start_and_wait_for_checkpoint "$work/run" "$work/kill.log"
victim=$(rank_pid "$launcher" 1)
[ -n "$victim" ] || fail "rank 1 not found"
kill -KILL "$victim"
started=$(date +%s)
if wait "$launcher"; then fail "the launcher succeeded although rank 1 was killed"; fi
elapsed=$(( $(date +%s) - started ))
grep -q "rank 1 did not answer" "$work/kill.log" || fail "rank 0's error does not name rank 1"
[ "$elapsed" -le $((timeout_s + 15)) ] || fail "rank 0 took $elapsed s to stop"
"$lichen" launch --nproc 2 -- lichen "${train[@]}" --out "$work/run" --resume > "$work/resume.log" 2>&1 \
  || fail "resuming from the checkpoint failed"
grep -q "resumed at step" "$work/resume.log" || fail "the resumed run did not start from the checkpoint"
[ -f "$work/run/model.safetensors" ] || fail "the resumed run wrote no model"
echo "killed rank 1: rank 0 stopped after ${elapsed} s naming it; $(grep -o 'resumed at step [0-9]*' "$work/resume.log"), finished"

# 2. A rank hangs.
start_and_wait_for_checkpoint "$work/hang" "$work/hang.log"
victim=$(rank_pid "$launcher" 1)
[ -n "$victim" ] || fail "rank 1 not found"
kill -STOP "$victim"
started=$(date +%s)
for _ in $(seq 200); do
  grep -q "rank 1 did not answer" "$work/hang.log" && break
  sleep 0.2
done
elapsed=$(( $(date +%s) - started ))
grep -q "rank 1 did not answer" "$work/hang.log" || fail "rank 0 did not name the hung rank 1"
[ "$elapsed" -le $((timeout_s + 15)) ] || fail "rank 0 took $elapsed s to notice the hung rank"
if wait "$launcher"; then fail "the launcher succeeded although rank 1 hung"; fi
echo "hung rank 1: rank 0 stopped after ${elapsed} s naming it"
# 3. Ctrl-C, through the launcher and to a single process: the run checkpoints and exits 130
#    (so a script chaining runs stops there), then resumes.
start_and_wait_for_checkpoint "$work/stop" "$work/stop.log"
kill -INT "$launcher"
status=0; wait "$launcher" || status=$?
[ "$status" = 130 ] || fail "the interrupted launcher exited with status $status, not 130"
grep -q "interrupted at step" "$work/stop.log" || fail "the interrupted ranks did not report their checkpoint"
"$lichen" "${train[@]}" --out "$work/single" > "$work/single.log" 2>&1 &
launcher=$!
for _ in $(seq 600); do [ -f "$work/single/checkpoint.safetensors" ] && break; sleep 0.2; done
kill -INT "$launcher"
status=0; wait "$launcher" || status=$?
[ "$status" = 130 ] || fail "the interrupted lichen train exited with status $status, not 130"
[ ! -f "$work/single/model.safetensors" ] || fail "the interrupted run wrote a model"
"$lichen" "${train[@]}" --steps 60 --out "$work/single" --resume > "$work/single-resume.log" 2>&1 \
  || fail "resuming the interrupted run failed"
echo "Ctrl-C: launcher and single run exited 130 after checkpointing; resumed"
echo "distributed: faults detected and named, checkpoint resumable"
