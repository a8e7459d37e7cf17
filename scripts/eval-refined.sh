#!/usr/bin/env bash
# Evaluates the bundled models on Kodak with encoder-side latent refinement
# (`--refine-steps`, docs/codec.md) and adds the refined series to the BD
# tables against JPEG and WebP. About 35 s per image and model at 2 threads.
# Two models run at once with one thread each (LICHEN_PARALLEL=0: one by one).
# Usage: scripts/eval-refined.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-60}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
out=docs/results/refined
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
mkdir -p "$out"
run() {
  for q in "$@"; do
    OMP_WAIT_POLICY=PASSIVE $lichen eval --threads "$threads" --engine float --data "$kodak" --model "hyperprior-$q" \
      --refine-steps "$steps" --json "$out/hyperprior-$q-refined.json" > "$out/hyperprior-$q-refined.log"
    tail -1 "$out/hyperprior-$q-refined.log"
  done
}
if [ "${LICHEN_PARALLEL:-1}" = 1 ]; then
  threads=1
  run q2 q4 & first=$!
  run q3 q5 & second=$!
  wait "$first"; wait "$second"
else
  threads=2
  run q2 q3 q4 q5
fi
results=(docs/results/hyperprior-q?.json "$out"/hyperprior-q?-refined.json docs/results/classic)
$lichen rd-plot "${results[@]}" --out docs/rd-kodak-refined.svg --table "$out/rd-kodak-bd-psnr.csv" \
  --title "Kodak (24 images): bundled models, plain and refined encoder, vs classic codecs"
for metric in psnr ms-ssim; do
  $lichen rd-plot "${results[@]}" --anchor webp --metric "$metric" --out "$(mktemp -d)/rd.svg" \
    --table "$out/rd-kodak-bd-$metric-vs-webp.csv"
done
$lichen rd-plot "${results[@]}" --metric ms-ssim --out "$(mktemp -d)/rd.svg" --table "$out/rd-kodak-bd-ms-ssim.csv"
