#!/usr/bin/env bash
# Quantization-aware fine-tuning of the N=64 student against its controls:
# post-training int8 / int8-s16, QAT at lr 1e-4 (800 steps) and 1e-5 (1500
# steps), the same 1500 steps of plain float fine-tuning, and post-training
# int8-s16 of that fine-tune; every model coded on all 24 Kodak images.
# Usage: scripts/qat-n64.sh   (models and runs in runs/qat, JSON in docs/results/integer/qat-n64)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LICHEN_DATA:-../shared/data}
threads=${LICHEN_THREADS:-2}
runs=${LICHEN_QAT_RUNS:-runs/qat}
out=docs/results/integer/qat-n64
mkdir -p "$out" "$runs"
lichen=.build/release/lichen
swift build -c release --product lichen
quantize() { $lichen quantize --threads "$threads" --calib "$data/photos-train" "$@" | tail -1; }
eval_kodak() { $lichen eval --threads "$threads" --data "$data/kodak" --model "$1" --json "$out/$2.json" "${@:3}" | tail -1; }
eval_kodak hyperprior-q4-n64 float --engine float
for scheme in int8 int8-s16; do
  quantize --model hyperprior-q4-n64 --scheme $scheme --out "$runs/$scheme-ptq.safetensors"
  eval_kodak "$runs/$scheme-ptq.safetensors" "$scheme-ptq"
  quantize --model hyperprior-q4-n64 --scheme $scheme --qat-steps 800 --learning-rate 1e-4 \
    --out "$runs/$scheme-qat800-lr1e-4.safetensors" --qat-run "$runs/$scheme-qat800-lr1e-4"
  eval_kodak "$runs/$scheme-qat800-lr1e-4.safetensors" "$scheme-qat800-lr1e-4"
done
quantize --model hyperprior-q4-n64 --scheme int8-s16 --qat-steps 1500 --learning-rate 1e-5 \
  --out "$runs/int8-s16-qat1500-lr1e-5.safetensors" --qat-run "$runs/int8-s16-qat1500-lr1e-5"
eval_kodak "$runs/int8-s16-qat1500-lr1e-5.safetensors" int8-s16-qat1500-lr1e-5
$lichen train --threads "$threads" --N 64 --lambda 0.013 --init-from hyperprior-q4-n64 --data "$data/photos-train" \
  --crop 128 --batch-size 8 --steps 1500 --learning-rate 1e-5 --validate-every 375 --checkpoint-every 250 --seed 1 \
  --out "$runs/float-ft1500-lr1e-5" | tail -1
eval_kodak "$runs/float-ft1500-lr1e-5/model.safetensors" float-ft1500-lr1e-5
quantize --model "$runs/float-ft1500-lr1e-5/model.safetensors" --scheme int8-s16 --out "$runs/float-ft1500-int8-s16.safetensors"
eval_kodak "$runs/float-ft1500-int8-s16.safetensors" float-ft1500-int8-s16-ptq
# The same with channel equalization across the GDNs (--equalize 1) before calibration and QAT.
quantize --model "$runs/float-ft1500-lr1e-5/model.safetensors" --scheme int8-s16 --equalize 1 \
  --out "$runs/float-ft1500-int8-s16-eq1.safetensors"
eval_kodak "$runs/float-ft1500-int8-s16-eq1.safetensors" float-ft1500-int8-s16-eq1-ptq
quantize --model hyperprior-q4-n64 --scheme int8-s16 --equalize 1 --qat-steps 1500 --learning-rate 1e-5 \
  --out "$runs/int8-s16-eq1-qat1500-lr1e-5.safetensors" --qat-run "$runs/int8-s16-eq1-qat1500-lr1e-5"
eval_kodak "$runs/int8-s16-eq1-qat1500-lr1e-5.safetensors" int8-s16-eq1-qat1500-lr1e-5
