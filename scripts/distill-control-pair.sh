#!/usr/bin/env bash
# Distillation against its same-start control at one width, by steps and by CPU hours
# (docs/distillation.md): q4, N channels selected from the teacher, STEPS steps at a constant lr
# 2e-4, no weight average (its lag would hide the early steps), seed 1; the distilled run with the
# loss weights 0.2 / 0.2 / 0.4, the control with the plain RD loss (teacher terms 0: the teacher is
# not run, so its steps are cheaper). Both write cpu.csv; the learning curves land in
# docs/results/distillation/pair-nN/ against steps and against CPU hours.
# Usage: scripts/distill-control-pair.sh N [STEPS]   (default 3000). Resumable: rerun to continue.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: scripts/distill-control-pair.sh N [STEPS]}
steps=${2:-3000}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
runs=${LICHEN_RUNS:-runs}/students
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
mkdir -p "$runs"
run() {  # run DIR ARGS...: trains unless DIR has its model, resuming a checkpoint
  local dir=$1; shift
  [ -f "$dir/model.safetensors" ] && return 0
  local resume=(); [ -f "$dir/checkpoint.safetensors" ] && resume=(--resume)
  OMP_WAIT_POLICY=PASSIVE nice -n 10 $lichen distill --threads 2 --teacher hyperprior-q4 --lambda 0.0130 --N "$n" \
    --initialization select --data "$data" --crop 128 --batch-size 8 --validate-every 250 --checkpoint-every 100 \
    --seed 1 --learning-rate 2e-4 --steps "$steps" --out "$dir" "${resume[@]}" "$@"
}
run "$runs/pair-q4-n$n-distilled"
run "$runs/pair-q4-n$n-control" --latent-weight 0 --reconstruction-weight 0 --rd-weight 1
results=docs/results/distillation/pair-n$n
mkdir -p "$results"
for kind in distilled control; do
  cp "$runs/pair-q4-n$n-$kind/log.csv" "$results/$kind-log.csv"
  cp "$runs/pair-q4-n$n-$kind/cpu.csv" "$results/$kind-cpu.csv"
done
for axis in steps cpu-hours; do
  $lichen distill-curve --threads 2 --teachers hyperprior-q2,hyperprior-q3,hyperprior-q4,hyperprior-q5 --data "$data" \
    --run "N=$n distilled=$runs/pair-q4-n$n-distilled" --run "N=$n control (plain RD loss)=$runs/pair-q4-n$n-control" \
    --x "$axis" --svg "$results/learning-curve-$axis.svg" --csv "$results/learning-curve.csv" \
    --title "q4, N=$n from selected channels: validation rate vs the N=128 teachers at equal PSNR"
done
