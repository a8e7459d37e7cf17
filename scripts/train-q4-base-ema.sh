#!/usr/bin/env bash
# Continues the q4 base model with a weight average: from the bundled 30,921-step hyperprior-q4, 12,000 more
# steps at lambda 0.0130 on all training photos (batch 8, 128x128 crops), lr 1e-4 x0.3 at 8,000 and 10,500,
# EMA 0.999 (validated and saved), nice 19, resumable (rerun to continue). The result is the base the
# next bundled q2..q5 are fine-tuned from (scripts/train-bundled-models.sh with LICHEN_BASE_MODEL).
# Usage: scripts/train-q4-base-ema.sh [RUN_FOLDER]   (default runs/q4-base-ema)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/q4-base-ema}
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
resume=(); [ -f "$run/checkpoint.safetensors" ] && resume=(--resume)
export OMP_WAIT_POLICY=PASSIVE
exec nice -n 19 "$lichen" train --threads 2 --data "${LICHEN_TRAIN_DATA:-../shared/data/photos-train}" \
  --init-from hyperprior-q4 --lambda 0.013 --batch-size 8 --crop 128 --steps 12000 \
  --learning-rate 1e-4 --lr-milestones 8000,10500 --lr-gamma 0.3 --ema-decay 0.999 \
  --validate-every 500 --checkpoint-every 250 --seed 7 --out "$run" "${resume[@]}"
