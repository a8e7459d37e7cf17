#!/usr/bin/env bash
# Data-parallel scaling on this machine: the same global batch
# trained by 1 process (1 and 2 threads) and by 2 ranks of 1 thread each
# through `lichen launch`; prints one JSON line per run with global steps/s and
# the share of wall time rank 0 spent in gradient all-reduces (waiting for
# the other rank included). Pause other CPU work first: numbers are per core.
# Usage: scripts/bench-distributed.sh [LICHEN] [PHOTOS_DIR] [CIFAR_DIR] > results.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${1:-.build/release/lichen}
photos=${2:-../shared/data/photos-train}
cifar=${3:-../shared/data/cifar10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE
codec_steps=${CODEC_STEPS:-16}
classifier_steps=${CLASSIFIER_STEPS:-60}

emit() {  # workload, ranks, threads, global batch, log
  local rate share
  rate=$( (grep -o '[0-9.]* steps/s' "$5" || true) | tail -1 | cut -d' ' -f1)
  share=$( (grep -o 'all-reduces[^%]*([0-9.]*%)\|[0-9.]*% of the run' "$5" || true) | (grep -o '[0-9.]*%' || true) | tail -1 | tr -d '%')
  printf '{"suite":"distributed","workload":"%s","ranks":%d,"threads_per_rank":%d,"global_batch":%d,"steps_per_second":%s,"allreduce_share_percent":%s}\n' \
    "$1" "$2" "$3" "$4" "${rate:-null}" "${share:-null}"
}

codec=(train --data "$photos" --N 128 --M 192 --crop 128 --steps "$codec_steps" --validate-every 100000
       --checkpoint-every 100000)
classifier=(classify train --data "$cifar" --model resnet18 --width 0.25 --epochs 1 --max-steps "$classifier_steps"
            --eval-limit 100 --checkpoint-every 100000)
for threads in 1 2; do
  "$lichen" "${codec[@]}" --threads $threads --batch-size 8 --out "$work/codec-1-$threads" > "$work/c1$threads.log" 2>&1
  emit "codec hyperprior N=128 M=192, crops 128" 1 $threads 8 "$work/c1$threads.log"
done
"$lichen" launch --nproc 2 -- lichen "${codec[@]}" --threads 1 --batch-size 4 --out "$work/codec-2" > "$work/c2.log" 2>&1
emit "codec hyperprior N=128 M=192, crops 128" 2 1 8 "$work/c2.log"
for threads in 1 2; do
  "$lichen" "${classifier[@]}" --threads $threads --batch-size 128 --out "$work/cls-1-$threads" > "$work/k1$threads.log" 2>&1
  emit "resnet18 w0.25 cifar10" 1 $threads 128 "$work/k1$threads.log"
done
"$lichen" launch --nproc 2 -- lichen "${classifier[@]}" --threads 1 --batch-size 64 --out "$work/cls-2" > "$work/k2.log" 2>&1
emit "resnet18 w0.25 cifar10" 2 1 128 "$work/k2.log"
