#!/usr/bin/env bash
# Fine-pruning and distillation into a fresh network against the committed
# headline models (alpha 30, half-normal magnitudes, ResNet18 width 0.5,
# docs/results/watermarking/verify.json), on the first 2,000 CIFAR-10 test
# images; writes docs/results/watermarking/removal/.
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
models=docs/results/watermarking/models
out=docs/results/watermarking/removal
mkdir -p "$out"
run() {
  local name=$1 attacks=$2
  OMP_WAIT_POLICY=PASSIVE $lichen watermark attack --threads 2 --model-file "$models/$name.safetensors" \
    --key "$models/$name-key.json" --message "Lichen 2026" --eval-limit 2000 --seed 1 --attacks "$attacks" \
    --csv "$out/$name.csv" --json "$out/$name.json"
}
run watermas-a30-half-normal-s1 none,fine-pruning:0.3,fine-pruning:0.3:200,fine-pruning:0.6:200,distillation:1000
run substitution-a30-half-normal-s1 none,fine-pruning:0.3:200,fine-pruning:0.6:200
