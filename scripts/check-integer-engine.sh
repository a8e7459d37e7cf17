#!/usr/bin/env bash
# Cross-process, cross-thread-count, cross-CPU-path check of the integer
# engine: quantize the default model (calibrated on samples/), encode the
# sample crop at 1 and 2 threads and with the portable kernels forced (as on a
# CPU without AVX2; identical files), decode each in a separate process at
# another thread count and kernel path (identical images); then the same with
# the default model (which runs its bundled integer version), found by the
# decoder from the hash in the file.
# Usage: scripts/check-integer-engine.sh [LICHEN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${1:-.build/debug/lichen}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
image=samples/kodim23-crop.png
"$lichen" quantize --scheme int8 --calib samples --calib-count 2 --out "$work/int8.safetensors" | tail -1
for model in "$work/int8.safetensors" default; do
  given=(--model "$model")
  # The default model runs as its bundled integer version, found again by the hash in the file.
  [ "$model" = default ] && given=()
  "$lichen" compress "$image" "${given[@]}" --threads 1 -o "$work/one.lic"
  "$lichen" compress "$image" "${given[@]}" --threads 2 -o "$work/two.lic"
  LICHEN_INTEGER_KERNEL=fallback "$lichen" compress "$image" "${given[@]}" --threads 2 -o "$work/portable.lic"
  cmp "$work/one.lic" "$work/two.lic"
  cmp "$work/one.lic" "$work/portable.lic"
  "$lichen" decompress "$work/one.lic" "${given[@]}" --threads 2 -o "$work/one.png" --reference "$image"
  "$lichen" decompress "$work/two.lic" "${given[@]}" --threads 1 -o "$work/two.png"
  LICHEN_INTEGER_KERNEL=fallback "$lichen" decompress "$work/portable.lic" "${given[@]}" --threads 1 -o "$work/portable.png"
  cmp "$work/one.png" "$work/two.png"
  cmp "$work/one.png" "$work/portable.png"
done
echo "integer engine: identical bitstreams and images across processes, thread counts and kernel paths"
