#!/usr/bin/env bash
# Where the 8 bits lose: each setting puts one group of layers back to 16 bits
# (or changes the calibration), post-training, coded on all 24 Kodak images.
# Prints "scheme calibration | mean bpp PSNR" lines and keeps each evaluation.
#
# Usage: scripts/int8-ablation.sh [MODEL [OUT]]
#   MODEL: registry name or float model file (default hyperprior-q4-n64),
#   OUT: folder for the evaluations (default docs/results/integer/ablation-n64).
# Env: LICHEN_SETTINGS ("SCHEME CALIBRATION;SCHEME CALIBRATION;..." in place of the default list),
#   LICHEN_EQUALIZE (channel equalization strength, default 0), LICHEN_CALIB_COUNT (calibration photos,
#   default 16), LICHEN_FLOAT=1 to code the float model
#   too (float.json), LICHEN_BIN (default .build/release/lichen, built here), LICHEN_DATA, LICHEN_THREADS,
#   LICHEN_ABLATION_RUNS (integer models, default runs/ablation-n64). Finished evaluations are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-hyperprior-q4-n64}
out=${2:-docs/results/integer/ablation-n64}
data=${LICHEN_DATA:-../shared/data}
threads=${LICHEN_THREADS:-2}
runs=${LICHEN_ABLATION_RUNS:-runs/ablation-n64}
equalize=${LICHEN_EQUALIZE:-0}
calib_count=${LICHEN_CALIB_COUNT:-16}
default_settings="int8 max;int8-s16 max;int8-s16,g_s:a16 max;int8-s16,gdn:a16 max;int8-s16,g_a:a16 max;\
int8,gdn:w16 max;int8,conv:w16 max;int8-s16 mse;int8-s16 percentile:99.99;hybrid-a8 max;hybrid max"
IFS=';' read -r -a settings <<< "${LICHEN_SETTINGS:-$default_settings}"
mkdir -p "$out" "$runs"
if [ -z "${LICHEN_BIN:-}" ]; then
  swift build -c release --product lichen
  LICHEN_BIN=.build/release/lichen
fi
if [ "${LICHEN_FLOAT:-0}" = 1 ] && [ ! -f "$out/float.json" ]; then
  echo "float | $("$LICHEN_BIN" eval --engine float --model "$model" --data "$data/kodak" --threads "$threads" \
    --json "$out/float.json.tmp" | tail -1)"
  mv "$out/float.json.tmp" "$out/float.json"
fi
for setting in "${settings[@]}"; do
  set -- $setting
  name=$(echo "$1-$2" | tr ',:' '+=')
  if [ ! -f "$out/$name.json" ]; then
    "$LICHEN_BIN" quantize --model "$model" --scheme "$1" --calibration "$2" --calib "$data/photos-train" \
      --calib-count "$calib_count" --equalize "$equalize" --threads "$threads" --out "$runs/$name.safetensors" > /dev/null
    "$LICHEN_BIN" eval --model "$runs/$name.safetensors" --data "$data/kodak" --threads "$threads" \
      --json "$out/$name.json.tmp" > /dev/null
    mv "$out/$name.json.tmp" "$out/$name.json"
  fi
  echo "$1 $2 | $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["mean"]; print("%.4f bpp %.2f dB" % (m["bpp"], m["psnr"]))' "$out/$name.json")"
done
