#!/usr/bin/env bash
# How the bundled hyperprior models are trained (resumable: rerun to continue).
# Base model at lambda 0.0130 trained longest on 128x128 crops (lr
# LICHEN_BASE_LR, default 3e-5; the 20,116-step models used 3e-4, the 30,921-step ones 1e-4 then 3e-5); then
# every bundled lambda, q4's own included, is fine-tuned from the base's
# weights at BASE_STEPS with lr 1e-4, x0.3 after 40% and again after 80% of
# FINETUNE_STEPS (annealing: docs/codec.md) (run folders runs/qN-from-BASE_STEPS,
# in parallel with one thread each when LICHEN_PARALLEL=1). Then each is
# exported as float16 into the registry.
# Usage: scripts/train-bundled-models.sh BASE_STEPS FINETUNE_STEPS
#   (with LICHEN_BASE_MODEL=FILE, BASE_STEPS only names the fine-tune folders and the exported steps count)
set -euo pipefail
cd "$(dirname "$0")/.."
base_steps=${1:-6000}
tune_steps=${2:-350}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
runs=${LICHEN_RUNS:-runs}
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
common=(--data "$data" --N 128 --M 192 --crop 128 --batch-size 8 --validate-every 500 --checkpoint-every 100 --seed 1)
# LICHEN_BASE_MODEL: a finished base model (e.g. scripts/train-q4-base-ema.sh's) to fine-tune from, with no base stage.
# Otherwise resume the base run when its checkpoint is here, else start from LICHEN_BASE_INIT (default: the bundled q4).
base_model=${LICHEN_BASE_MODEL:-$runs/q4-base/model.safetensors}
if [ -z "${LICHEN_BASE_MODEL:-}" ]; then
  start=(--init-from "${LICHEN_BASE_INIT:-hyperprior-q4}"); [ -f "$runs/q4-base/checkpoint.safetensors" ] && start=(--resume)
  $lichen train "${common[@]}" --threads 2 --lambda 0.0130 --learning-rate "${LICHEN_BASE_LR:-3e-5}" --steps "$base_steps" \
    --out "$runs/q4-base" "${start[@]}"
fi
pids=()
for pair in q2:0.0035 q3:0.0067 q4:0.0130 q5:0.0250; do
  q=${pair%%:*}; lambda=${pair##*:}
  dir="$runs/$q-from-$base_steps"
  resume=(); [ -f "$dir/checkpoint.safetensors" ] && resume=(--resume)
  cmd=($lichen train "${common[@]}" --lambda "$lambda" --learning-rate 1e-4 --steps "$tune_steps" \
    --lr-milestones "$((tune_steps * 2 / 5)),$((tune_steps * 4 / 5))" --lr-gamma 0.3 \
    --init-from "$base_model" --out "$dir" "${resume[@]}")
  if [ "${LICHEN_PARALLEL:-0}" = 1 ]; then
    OMP_WAIT_POLICY=PASSIVE "${cmd[@]}" --threads 1 > "$dir.log" 2>&1 &
    pids+=($!)
  else
    "${cmd[@]}" --threads 2
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
weights=Sources/Compression/Zoo/Weights
for q in q2 q3 q4 q5; do
  src="$runs/$q-from-$base_steps/model.safetensors"
  $lichen export-model "$src" "$weights/hyperprior-$q.safetensors" --precision float16 --meta "quality=$q"
done
