#!/usr/bin/env bash
# How the bundled hyperprior models are trained (resumable: rerun to continue).
# Base model at lambda 0.0130 (q4) trained longest on 128x128 crops; the other
# lambdas are fine-tuned from it. Then each is exported as float16 into the
# registry with its step count. Usage: scripts/train-bundled-models.sh BASE_STEPS FINETUNE_STEPS
set -euo pipefail
cd "$(dirname "$0")/.."
base_steps=${1:-6000}
tune_steps=${2:-350}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
runs=${LICHEN_RUNS:-runs}
lichen=.build/release/lichen
swift build -c release --product lichen
common=(--threads 2 --data "$data" --N 128 --M 192 --crop 128 --batch-size 8 --validate-every 500 --checkpoint-every 100 --seed 1)
# Resume the base run when its checkpoint is here; otherwise start from the bundled q4 weights.
start=(--init-from hyperprior-q4); [ -f "$runs/q4-base/checkpoint.safetensors" ] && start=(--resume)
$lichen train "${common[@]}" --lambda 0.0130 --learning-rate 3e-4 --steps "$base_steps" --out "$runs/q4-base" "${start[@]}"
for pair in q2:0.0035 q3:0.0067 q5:0.0250; do
  q=${pair%%:*}; lambda=${pair##*:}
  resume=(); [ -f "$runs/$q/checkpoint.safetensors" ] && resume=(--resume)
  $lichen train "${common[@]}" --lambda "$lambda" --learning-rate 1e-4 --steps "$tune_steps" \
    --init-from "$runs/q4-base/model.safetensors" --out "$runs/$q" "${resume[@]}"
done
weights=Sources/Compression/Zoo/Weights
cp "$runs/q4-base/model.safetensors" "$runs/q4.safetensors"
for q in q2 q3 q4 q5; do
  src="$runs/$q/model.safetensors"; [ "$q" = q4 ] && src="$runs/q4.safetensors"
  $lichen export-model "$src" "$weights/hyperprior-$q.safetensors" --precision float16 --meta "quality=$q"
done
