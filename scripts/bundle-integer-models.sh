#!/usr/bin/env bash
# Makes the bundled integer-engine (hybrid) version of each bundled float
# model and measures it on Kodak: the recipe of hyperprior-q4-hybrid (max
# calibration on 16 training photos, then 300 quantization-aware steps at the
# model's own lambda, lr 1e-5). The integer files land in
# Sources/Compression/Zoo/Weights as NAME-hybrid.safetensors, the evaluations
# in docs/results/integer/bundled/, and `lichen models` reads the means.
#
# Usage: scripts/bundle-integer-models.sh [FLOAT_MODEL ...]
#   (default: hyperprior-q2 .. -q5 and their N=64 students)
# Env: LICHEN_BIN (default .build/release/lichen, built here), LICHEN_RUNS
# (QAT run folders, default a temporary folder), LICHEN_KODAK, LICHEN_CALIB,
# LICHEN_REDO=1 to remake models that are already bundled.
set -euo pipefail
cd "$(dirname "$0")/.."
kodak=${LICHEN_KODAK:-../shared/data/kodak}
calib=${LICHEN_CALIB:-../shared/data/photos-train}
runs=${LICHEN_RUNS:-$(mktemp -d)}
weights=Sources/Compression/Zoo/Weights
results=docs/results/integer/bundled
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(hyperprior-q2 hyperprior-q3 hyperprior-q4 hyperprior-q5
          hyperprior-q2-n64 hyperprior-q3-n64 hyperprior-q4-n64 hyperprior-q5-n64)
fi
if [ -z "${LICHEN_BIN:-}" ]; then
  swift build -c release --product lichen
  LICHEN_BIN=.build/release/lichen
fi
mkdir -p "$results" "$runs"
rows=()
for model in "${models[@]}"; do
  name="$model-hybrid"
  if [ "${LICHEN_REDO:-0}" = 1 ] || [ ! -f "$weights/$name.safetensors" ]; then
    "$LICHEN_BIN" quantize --threads 2 --model "$model" --scheme hybrid --calib "$calib" --calib-count 16 \
      --qat-steps 300 --qat-run "$runs/$name-qat" --out "$runs/$name.safetensors"
    mv "$runs/$name.safetensors" "$weights/$name.safetensors"
  fi
  "$LICHEN_BIN" eval --threads 2 --engine integer --model "$weights/$name.safetensors" --data "$kodak" \
    --json "$results/$name.json" | tail -1
  # The file was evaluated by path (this binary's bundle may predate it); name it as the registry does.
  scripts/name-eval.py "$results/$name.json" "$name"
  rows+=("$name=$results/$name.json")
done
python3 scripts/registry-kodak-rd.py "${rows[@]}"
# The teachers' integer versions against their float models (docs/quantization.md).
"$LICHEN_BIN" rd-plot docs/results/hyperprior-q?.json "$results"/hyperprior-q?-hybrid.json --anchor hyperprior \
  --out "$(mktemp -d)/rd.svg" --table "$results/bd-vs-float.csv"
