#!/usr/bin/env bash
# The simplified GDN (y = x / (beta + sum gamma |x|), Johnston et al. 2019: no squares, no square
# root, so fewer multipliers and no reciprocal-square-root table on the FPGA) against the standard
# GDN, trained: the bundled N=64 q4 student fine-tuned STEPS steps with each variant from the same
# weights (the simplified one takes every tensor by name, its GDNs reinterpret beta and gamma),
# lr 1e-4 (x0.3 after 60% and 80%), weight average 0.998, seed 1; each coded on the 24 Kodak images
# in float and in int8-s16 (channel equalization, post-training) by the integer engine
# (docs/results/integer/simplified-gdn/).
# Usage: scripts/simplified-gdn.sh [STEPS]   (default 2000; run folders in LICHEN_RUNS, default runs/simplified-gdn)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-2000}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
runs=${LICHEN_RUNS:-runs/simplified-gdn}
threads=${LICHEN_THREADS:-2}
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
out=docs/results/integer/simplified-gdn
mkdir -p "$out" "$runs"
run() { OMP_WAIT_POLICY=PASSIVE nice -n 10 "$lichen" "$@"; }
eval_kodak() { # model, name, engine
  [ -f "$out/$2.json" ] && return
  run eval --threads "$threads" --engine "$3" --model "$1" --data "$kodak" --json "$out/$2.json" | tail -1
  scripts/name-eval.py "$out/$2.json" "$2"
}
for gdn in standard simplified; do
  dir=$runs/q4-n64-$gdn
  if [ ! -f "$dir/model.safetensors" ]; then
    resume=(); [ -f "$dir/checkpoint.safetensors" ] && resume=(--resume)
    run train --threads "$threads" --N 64 --gdn "$gdn" --lambda 0.013 --init-from hyperprior-q4-n64 --transfer \
      --data "$data" --crop 128 --batch-size 8 --steps "$steps" --learning-rate 1e-4 \
      --lr-milestones "$((steps * 3 / 5)),$((steps * 4 / 5))" --lr-gamma 0.3 --ema-decay 0.998 \
      --validate-every 500 --checkpoint-every 250 --seed 1 --out "$dir" "${resume[@]}" | tail -1
  fi
  cp "$dir/log.csv" "$out/q4-n64-$gdn-log.csv"
  eval_kodak "$dir/model.safetensors" "q4-n64-$gdn-float" float
  if [ ! -f "$runs/q4-n64-$gdn-int8-s16.safetensors" ]; then
    run quantize --threads "$threads" --model "$dir/model.safetensors" --scheme int8-s16 --equalize 1 \
      --calib "$data" --calib-count 16 --out "$runs/q4-n64-$gdn-int8-s16.safetensors" | tail -1
  fi
  eval_kodak "$runs/q4-n64-$gdn-int8-s16.safetensors" "q4-n64-$gdn-int8-s16" integer
done
