#!/usr/bin/env bash
# Channel equalization across the GDNs (lichen quantize --equalize S) on the N=64 student, post-training,
# coded on all 24 Kodak images: each setting is "scheme strength". Prints "scheme strength | mean bpp PSNR".
# Usage: scripts/equalization-n64.sh   (JSON in docs/results/integer/equalization-n64)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LICHEN_DATA:-../shared/data}
threads=${LICHEN_THREADS:-2}
runs=${LICHEN_EQUALIZATION_RUNS:-runs/equalization-n64}
out=docs/results/integer/equalization-n64
mkdir -p "$out" "$runs"
lichen=${LICHEN:-.build/release/lichen}
[ -n "${LICHEN:-}" ] || swift build -c release --product lichen
for setting in "int8-s16 0" "int8-s16 0.5" "int8-s16 0.75" "int8-s16 1" "int8 0" "int8 0.5" "int8 1" \
  "int8-s16,gdn:w16 1" "int8-s16,g_s:a16 1" "int8-s16,g_a:a16 1" "int8-s16,conv:w16 1" "int8-y16 1"; do
  set -- $setting
  name=$(echo "$1-eq$2" | tr ',:' '+=')
  $lichen quantize --model hyperprior-q4-n64 --scheme "$1" --equalize "$2" --calib "$data/photos-train" \
    --calib-count 16 --threads "$threads" --out "$runs/$name.safetensors" > /dev/null
  echo "$1 $2 | $($lichen eval --model "$runs/$name.safetensors" --data "$data/kodak" --threads "$threads" \
    --json "$out/$name.json" | tail -1)"
done
