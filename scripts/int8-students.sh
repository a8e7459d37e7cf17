#!/usr/bin/env bash
# The bundled N=64 students in 8 bits for the FPGA, all four lambdas, with the recipe of the
# bundled hyperprior-q4-n64-int8-s16 (int8-s16, channel equalization across the GDNs, max
# calibration on 16 training photos, 1500 QAT steps at lr 1e-5 at the student's own lambda), each
# coded on all 24 Kodak images by the integer engine; then the BD-rate of the four-point curve
# against the float students (docs/results/integer/int8-students/).
# Usage: scripts/int8-students.sh   (models in LICHEN_RUNS, default runs/int8-students)
set -euo pipefail
cd "$(dirname "$0")/.."
kodak=${LICHEN_KODAK:-../shared/data/kodak}
calib=${LICHEN_CALIB:-../shared/data/photos-train}
runs=${LICHEN_RUNS:-runs/int8-students}
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
out=docs/results/integer/int8-students
mkdir -p "$out" "$runs"
for q in q4 q2 q3 q5; do
  name=hyperprior-$q-n64-int8-s16
  if [ ! -f "$runs/$name.safetensors" ]; then
    $lichen quantize --threads 2 --model "hyperprior-$q-n64" --scheme int8-s16 --equalize 1 --calib "$calib" \
      --calib-count 16 --qat-steps 1500 --learning-rate 1e-5 --qat-run "$runs/$name-qat" --out "$runs/$name.safetensors" | tail -1
  fi
  $lichen eval --threads 2 --engine integer --model "$runs/$name.safetensors" --data "$kodak" --json "$out/$name.json" | tail -1
  python3 -c 'import json, sys; p, n = sys.argv[1:]; d = json.load(open(p)); d["model"] = n
json.dump(d, open(p, "w"), indent=2, sort_keys=True)' "$out/$name.json" "$name"
done
$lichen rd-plot docs/results/distillation/finetuned/hyperprior-q?-n64.json "$out"/hyperprior-q?-n64-int8-s16.json \
  --anchor hyperprior-n64 --out "$out/rd-vs-float.svg" --table "$out/bd-vs-float.csv" \
  --title "Kodak (24 images): N=64 students, int8-s16 (equalized, QAT) vs float"
