#!/usr/bin/env bash
# The fine-tuning A/B behind docs/codec.md ("What moves a fine-tune"): four
# 400-step fine-tunes of the 20,116-step bundled q4 of 2026-12-05 (commit bd526d0) at lambda
# 0.0130, seed 1 (same batches and noise), each evaluated on Kodak with real
# bitstreams; results and validation curves in docs/results/finetune-ab/.
#   lr1e-4                  lr 1e-4, 128x128 crops, batch 8 (the reference arm)
#   rounded-decoder-inputs  the same with --round-decoder-inputs
#   crop256-batch2          256x256 crops, batch 2 (same pixels per step)
#   lr3e-5                  lr 3e-5
#   ema0.99                 lr 1e-4 with --ema-decay 0.99 (run after the first four)
#   ema0.99-lr3e-5          lr 3e-5 with --ema-decay 0.99 (run after the first four)
# Arms run one after another with 1 thread, as measured (~7 min each; thread
# counts change float reduction order, so other counts differ in the last digits).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
runs=${LICHEN_RUNS:-runs}/finetune-ab
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
results=docs/results/finetune-ab
mkdir -p "$runs" "$results"
start="$runs/q4-20116-steps.safetensors"
[ -f "$start" ] || git show bd526d0:Sources/Compression/Zoo/Weights/hyperprior-q4.safetensors > "$start"
for arm in "lr1e-4:--crop 128 --batch-size 8 --learning-rate 1e-4" \
           "rounded-decoder-inputs:--crop 128 --batch-size 8 --learning-rate 1e-4 --round-decoder-inputs" \
           "crop256-batch2:--crop 256 --batch-size 2 --learning-rate 1e-4" \
           "lr3e-5:--crop 128 --batch-size 8 --learning-rate 3e-5" \
           "ema0.99:--crop 128 --batch-size 8 --learning-rate 1e-4 --ema-decay 0.99" \
           "ema0.99-lr3e-5:--crop 128 --batch-size 8 --learning-rate 3e-5 --ema-decay 0.99"; do
  name=${arm%%:*}; read -r -a options <<< "${arm#*:}"
  resume=(); [ -f "$runs/$name/checkpoint.safetensors" ] && resume=(--resume)
  OMP_WAIT_POLICY=PASSIVE $lichen train --threads 1 --data "$data" --N 128 --M 192 --lambda 0.0130 --steps 400 \
    --validate-every 100 --checkpoint-every 100 --seed 1 --init-from "$start" "${options[@]}" --out "$runs/$name" \
    "${resume[@]}" | tail -1
  $lichen eval --threads 2 --data "$kodak" --model "$runs/$name/model.safetensors" --json "$results/$name-kodak.json" | tail -1
  # step, validation bpp / PSNR / loss (columns 1, 8-10 of the training log)
  awk -F, 'NR == 1 || $8 != ""' "$runs/$name/log.csv" | cut -d, -f1,8,9,10 > "$results/$name-validation.csv"
done
