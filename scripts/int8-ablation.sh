#!/usr/bin/env bash
# Where int8 loses on the N=64 student: each scheme puts one group of layers
# back to 16 bits (or changes the calibration), post-training, coded on all
# 24 Kodak images. Prints "scheme calibration | mean bpp PSNR" lines.
# Usage: scripts/int8-ablation.sh   (JSON in docs/results/integer/ablation-n64)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LICHEN_DATA:-../shared/data}
threads=${LICHEN_THREADS:-2}
runs=${LICHEN_ABLATION_RUNS:-runs/ablation-n64}
out=docs/results/integer/ablation-n64
mkdir -p "$out" "$runs"
lichen=.build/release/lichen
swift build -c release --product lichen
for setting in "int8 max" "int8-s16 max" "int8-s16,g_s:a16 max" "int8-s16,gdn:a16 max" "int8-s16,g_a:a16 max" \
  "int8,gdn:w16 max" "int8,conv:w16 max" "int8-s16 mse" "int8-s16 percentile:99.99" "hybrid-a8 max" "hybrid max"; do
  set -- $setting
  name=$(echo "$1-$2" | tr ',:' '+=')
  $lichen quantize --model hyperprior-q4-n64 --scheme "$1" --calibration "$2" --calib "$data/photos-train" \
    --threads "$threads" --out "$runs/$name.safetensors" > /dev/null
  echo "$1 $2 | $($lichen eval --model "$runs/$name.safetensors" --data "$data/kodak" --threads "$threads" \
    --json "$out/$name.json" | tail -1)"
done
