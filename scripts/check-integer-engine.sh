#!/usr/bin/env bash
# Cross-process, cross-thread-count check of the integer engine: quantize the
# default model (calibrated on samples/), encode the sample crop at 1 and 2
# threads (identical files), decode each in a separate process at another
# thread count (identical images); then the same with the bundled integer
# model, found by the decoder from the hash in the file.
# Usage: scripts/check-integer-engine.sh [LICHEN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${1:-.build/debug/lichen}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
image=samples/kodim23-crop.png
"$lichen" quantize --scheme int8 --calib samples --calib-count 2 --out "$work/int8.safetensors" | tail -1
for model in "$work/int8.safetensors" hyperprior-q4-hybrid; do
  "$lichen" compress "$image" --model "$model" --threads 1 -o "$work/one.lic"
  "$lichen" compress "$image" --model "$model" --threads 2 -o "$work/two.lic"
  cmp "$work/one.lic" "$work/two.lic"
  given=(--model "$model")
  # The bundled model is found by the hash in the file.
  [ "$model" = hyperprior-q4-hybrid ] && given=()
  "$lichen" decompress "$work/one.lic" "${given[@]}" --threads 2 -o "$work/one.png" --reference "$image"
  "$lichen" decompress "$work/two.lic" --model "$model" --threads 1 -o "$work/two.png"
  cmp "$work/one.png" "$work/two.png"
done
echo "integer engine: identical bitstreams and images across processes and thread counts"
