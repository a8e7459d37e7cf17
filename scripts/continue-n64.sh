#!/usr/bin/env bash
# The N=64 students continued against the 44,421-step teachers (docs/distillation.md):
#  1. q4: the bundled hyperprior-q4-n64 distilled 8,000 more steps from hyperprior-q4 at lr 1e-4,
#     x0.3 after 5,500 and 7,000 steps, loss weights 0.2 / 0.2 / 0.4, weight average (decay 0.998), seed 3;
#  2. q2, q3, q5: fine-tuned by distillation from that q4 student (their own teachers), 1,000 steps
#     each at lr 1e-4, x0.3 after 400 and 800, seed 1;
#  3. the four evaluated on Kodak (real bitstreams, docs/results/distillation/n64-continued/), BD-rate
#     against the teachers and the q4 run's learning curve (`lichen distill-curve`);
#  4. with BUNDLE=1, exported (float16) over the bundled N=64 students and their Kodak rows recorded.
# Batch 8 of 128x128 crops of the training photos, 2 threads. Resumable: rerun to continue.
# Usage: scripts/continue-n64.sh   Env: LICHEN_BINARY, LICHEN_RUNS, BUNDLE
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
runs=${LICHEN_RUNS:-runs}/students
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
mkdir -p "$runs"
common=(--threads 2 --N 64 --data "$data" --crop 128 --batch-size 8 --validate-every 500 --checkpoint-every 100
  --learning-rate 1e-4 --lr-gamma 0.3)
run() {  # run DIR ARGS...: trains unless DIR has its model, resuming a checkpoint
  local dir=$1; shift
  [ -f "$dir/model.safetensors" ] && return 0
  local resume=(); [ -f "$dir/checkpoint.safetensors" ] && resume=(--resume)
  OMP_WAIT_POLICY=PASSIVE nice -n 10 $lichen distill "${common[@]}" --out "$dir" "${resume[@]}" "$@"
}
run "$runs/q4-n64-long" --teacher hyperprior-q4 --lambda 0.0130 --init-from hyperprior-q4-n64 --seed 3 \
  --steps 8000 --lr-milestones 5500,7000 --ema-decay 0.998
for pair in q2:0.0035 q3:0.0067 q5:0.0250; do
  q=${pair%%:*}; lambda=${pair##*:}
  run "$runs/$q-n64-long" --teacher "hyperprior-$q" --lambda "$lambda" --init-from "$runs/q4-n64-long/model.safetensors" \
    --seed 1 --steps 1000 --lr-milestones 400,800
done
results=docs/results/distillation/n64-continued
weights=Sources/Compression/Zoo/Weights
mkdir -p "$results"
for q in q2 q3 q4 q5; do
  # The float16 file the registry would carry is the one evaluated.
  student="$runs/$q-n64-long/hyperprior-$q-n64.safetensors"
  # q2, q3, q5 name their start as the registry does (the run recorded a run-folder path).
  init=(); [ "$q" = q4 ] || init=("init=hyperprior-q4-n64"
    "distillation=latent=0.2 reconstruction=0.2 rate-distortion=0.4 hyper-latent=0.0 init=hyperprior-q4-n64")
  [ -f "$student" ] || $lichen export-model "$runs/$q-n64-long/model.safetensors" "$student" --precision float16 \
    --meta "quality=$q" "${init[@]}"
  if [ ! -f "$results/hyperprior-$q-n64.json" ]; then
    $lichen eval --threads 2 --engine float --data "$kodak" --model "$student" --json "$results/hyperprior-$q-n64.json" | tail -1
    # Evaluated by path; named as the registry student, so rd-plot groups the four into one series.
    scripts/name-eval.py "$results/hyperprior-$q-n64.json" "hyperprior-$q-n64"
  fi
  cp "$runs/$q-n64-long/log.csv" "$results/hyperprior-$q-n64-log.csv"
  if [ "${BUNDLE:-0}" = 1 ]; then
    cp "$student" "$weights/hyperprior-$q-n64.safetensors"
    python3 scripts/registry-kodak-rd.py "hyperprior-$q-n64=$results/hyperprior-$q-n64.json"
  fi
done
$lichen rd-plot docs/results/hyperprior-q?.json "$results"/hyperprior-q?-n64.json --anchor hyperprior \
  --out "$results/rd-vs-teacher.svg" --table "$results/bd-vs-teacher.csv" \
  --title "Kodak (24 images): N=64 students vs their N=128 teachers"
$lichen distill-curve --threads 2 --teachers hyperprior-q2,hyperprior-q3,hyperprior-q4,hyperprior-q5 --data "$data" \
  --run "N=64 continued=$runs/q4-n64-long" --svg "$results/learning-curve.svg" --csv "$results/learning-curve.csv" \
  --title "q4, N=64 continued from the bundled student: validation rate vs the N=128 teachers at equal PSNR"
