#!/usr/bin/env bash
# The distillation sweep behind docs/distillation.md and the bundled students
# (resumable: rerun to continue; a larger STEPS continues every run).
# For each bundled teacher (q2..q5) and each width N: a student distilled from
# the teacher and a same-budget control trained on the plain RD loss, both
# started from the teacher's N most important channels; all evaluated on
# Kodak. Then the distilled students are exported (float16) into the registry
# as hyperprior-qK-nN, their eval files copied to docs/results/distillation/
# and the RD plot drawn against the teachers and the classic codecs.
# Usage: scripts/distill-students.sh [STEPS]   (LICHEN_WIDTHS=64,32 by default)
# The bundled students: `scripts/distill-students.sh 500` (N=64 and 32), then
# `scripts/distill-students.sh 1000` (both continued to 1000 steps).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-500}
widths=${LICHEN_WIDTHS:-64,32}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
sweep=${LICHEN_RUNS:-runs}/sweep
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
OMP_WAIT_POLICY=PASSIVE $lichen distill-sweep --threads 2 \
  --teachers hyperprior-q2,hyperprior-q3,hyperprior-q4,hyperprior-q5 --N "$widths" \
  --data "$data" --eval-data "$kodak" --crop 128 --batch-size 8 --steps "$steps" --learning-rate 3e-4 \
  --validate-every 250 --checkpoint-every 100 --seed 1 --initialization select --out "$sweep"
results=docs/results/distillation/steps-$steps
mkdir -p "$results"
cp "$sweep/sweep.json" "$sweep/sweep.csv" "$results/"
weights=Sources/Compression/Zoo/Weights
for q in q2 q3 q4 q5; do
  cp "$sweep/teacher-hyperprior-$q/eval.json" "$results/teacher-hyperprior-$q.json"
  for n in ${widths//,/ }; do
    for variant in distilled control; do
      src="$sweep/hyperprior-$q-N$n-$variant/eval.json"
      [ -f "$src" ] && cp "$src" "$results/hyperprior-$q-N$n-$variant.json"
    done
    $lichen export-model "$sweep/hyperprior-$q-N$n-distilled/model.safetensors" "$weights/hyperprior-$q-n$n.safetensors" \
      --precision float16 --meta "quality=$q"
    python3 scripts/registry-kodak-rd.py "hyperprior-$q-n$n=$results/hyperprior-$q-N$n-distilled.json"
  done
done
$lichen rd-plot "$results"/teacher-*.json "$results"/hyperprior-*.json docs/results/classic/jpeg-*.json \
  docs/results/classic/webp-*.json --anchor hyperprior --out "docs/rd-distillation-$steps.svg" \
  --table "$results/bd-vs-teacher.csv" \
  --title "Kodak (24 images): students after $steps steps and same-budget controls vs the N=128 teachers"
