#!/usr/bin/env bash
# The bundled N=64 students after the teachers were retrained: instead of
# distilling from selected channels again, each student is fine-tuned by
# distillation from its new teacher (`lichen distill --init-from`): q4 from the
# bundled 9,197-step q4 student, q2, q3 and q5 from that new q4 student (the
# teachers' own recipe: one base, the other lambdas fine-tuned from it), each
# STEPS steps at lr 1e-4, x0.3 after 40% and 80% of them, loss weights
# 0.2 / 0.2 / 0.4. Then exported (float16) into the registry, evaluated on
# Kodak (docs/results/distillation/finetuned/) and compared with the teachers.
# Resumable: rerun to continue.
# Usage: scripts/finetune-students.sh [STEPS]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-1000}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
runs=${LICHEN_RUNS:-runs}/students
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
mkdir -p "$runs"
for pair in q4:0.0130 q2:0.0035 q3:0.0067 q5:0.0250; do
  q=${pair%%:*}; lambda=${pair##*:}
  dir="$runs/$q-n64"
  [ -f "$dir/model.safetensors" ] && continue
  init=hyperprior-q4-n64; [ "$q" = q4 ] || init="$runs/q4-n64/model.safetensors"
  resume=(); [ -f "$dir/checkpoint.safetensors" ] && resume=(--resume)
  OMP_WAIT_POLICY=PASSIVE $lichen distill --threads 2 --teacher "hyperprior-$q" --N 64 --init-from "$init" \
    --data "$data" --crop 128 --batch-size 8 --validate-every 500 --checkpoint-every 100 --seed 1 --lambda "$lambda" \
    --learning-rate 1e-4 --steps "$steps" --lr-milestones "$((steps * 2 / 5)),$((steps * 4 / 5))" --lr-gamma 0.3 \
    --out "$dir" "${resume[@]}"
done
results=docs/results/distillation/finetuned
weights=Sources/Compression/Zoo/Weights
mkdir -p "$results"
for q in q2 q3 q4 q5; do
  $lichen export-model "$runs/$q-n64/model.safetensors" "$weights/hyperprior-$q-n64.safetensors" \
    --precision float16 --meta "quality=$q"
  $lichen eval --threads 2 --engine float --data "$kodak" --model "$weights/hyperprior-$q-n64.safetensors" \
    --json "$results/hyperprior-$q-n64.json" | tail -1
  # Evaluated by path (this binary's bundle may predate the export); name it as the registry does.
  scripts/name-eval.py "$results/hyperprior-$q-n64.json" "hyperprior-$q-n64"
  python3 scripts/registry-kodak-rd.py "hyperprior-$q-n64=$results/hyperprior-$q-n64.json"
  cp "$runs/$q-n64/log.csv" "$results/hyperprior-$q-n64-log.csv"
done
# BD-rate of the students' four-point curve against the teachers' (docs/distillation.md).
$lichen rd-plot docs/results/hyperprior-q?.json "$results"/hyperprior-q?-n64.json --anchor hyperprior \
  --out docs/results/distillation/finetuned/rd-vs-teacher.svg --table "$results/bd-vs-teacher.csv" \
  --title "Kodak (24 images): N=64 students vs their N=128 teachers"
