#!/usr/bin/env bash
# Integer-engine RD on Kodak: quantize every bundled hyperprior with each
# scheme (calibrated on training photos, never on Kodak), code the images for
# real, and evaluate the float models on the same images for the BD-rate
# (model files are named SCHEME-hyperprior-qN so each scheme is one RD series).
# Usage: scripts/eval-integer.sh [IMAGES] [SCHEMES...]   (IMAGES: first K Kodak images, default 24;
#        LICHEN_CALIBRATION: max (default, as lichen quantize), mse or percentile:P;
#        LICHEN_EQUALIZE: channel equalization strength (default 0; S > 0 names the series SCHEME-eqS);
#        LICHEN_SKIP_FLOAT=1 keeps the float models' results already in docs/results/integer)
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${1:-24}; shift || true
schemes=("$@"); [ ${#schemes[@]} -gt 0 ] || schemes=(int8 int8-s16 hybrid-a8 hybrid int16)
calibration=${LICHEN_CALIBRATION:-max}
equalize=${LICHEN_EQUALIZE:-0}
suffix=""; [ "$equalize" = 0 ] || suffix="-eq$equalize"
kodak=${LICHEN_KODAK:-../shared/data/kodak}
calib=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
threads=${LICHEN_THREADS:-1}
out=docs/results/integer
models=${LICHEN_INTEGER_MODELS:-runs/integer}
mkdir -p "$out/layers" "$models"
lichen=${LICHEN:-.build/release/lichen}
[ -n "${LICHEN:-}" ] || swift build -c release --product lichen
for q in q2 q3 q4 q5; do
  [ "${LICHEN_SKIP_FLOAT:-0}" = 1 ] ||
    $lichen eval --engine float --model hyperprior-$q --data "$kodak" --limit "$limit" --threads "$threads" --json "$out/float-$q.json" | tail -1
  for s in "${schemes[@]}"; do
    [ -f "$out/$s$suffix-$q.json" ] && [ -n "$suffix" ] && continue  # equalized series resume where they stopped
    $lichen quantize --model hyperprior-$q --scheme "$s" --calib "$calib" --calib-count 16 --calibration "$calibration" \
      --equalize "$equalize" --threads "$threads" --out "$models/$s$suffix-hyperprior-$q.safetensors" \
      --report "$out/layers/$q-$s$suffix.json" | tail -1
    $lichen eval --model "$models/$s$suffix-hyperprior-$q.safetensors" --data "$kodak" --limit "$limit" --threads "$threads" \
      --json "$out/$s$suffix-$q.json" | tail -1
  done
done
# One series per scheme, BD-rate against the float models on the same images.
$lichen rd-plot "$out" --anchor hyperprior --out "$out/rd-integer.svg" --table "$out/bd-vs-float.csv" \
  --title "Integer engine vs float, Kodak (first $limit images)"
