#!/usr/bin/env bash
# Students of one width N from the bundled teachers, with a same-start control
# and learning curves (docs/distillation.md). Resumable: rerun to continue.
#  1. q4: distilled from the teacher's N strongest channels (`--initialization
#     select`), BASE steps at lr 2e-4, x0.3 after 11/16 and 7/8 of them, loss
#     weights 0.2 / 0.2 / 0.4, weight average with decay 0.998.
#  2. q2, q3, q5: fine-tuned by distillation from the q4 student (their own
#     teachers), FINETUNE steps each at lr 1e-4, x0.3 after 40% and 80%.
#  3. control: the q4 run with the plain RD loss (teacher terms 0, rate-distortion 1)
#     from the same selected channels, same schedule and seed, CONTROL steps
#     (a prefix of the distilled run's schedule; 0 skips it).
#  4. the four students exported (float16) to docs/results/distillation/nN/,
#     evaluated on Kodak (real bitstreams), BD-rate against the teachers, and
#     the learning curves (`lichen distill-curve`) of the q4 run and its control.
# Batch 8 of 128x128 crops from the training photos, seed 1, 2 threads.
# LICHEN_SELECT_FROM=MODEL selects the q4 run's (and its control's) channels from MODEL instead of
# the teacher (e.g. hyperprior-q4-n64 for N=32: a smaller step down); runs and results then go to
# folders named nN-from-MODEL.
# Usage: scripts/distill-width.sh N [BASE] [FINETUNE] [CONTROL]   (default 8000 1000 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: scripts/distill-width.sh N [BASE] [FINETUNE] [CONTROL]}
base=${2:-8000}; finetune=${3:-1000}; control=${4:-3000}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
runs=${LICHEN_RUNS:-runs}/students
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
mkdir -p "$runs"
common=(--threads 2 --data "$data" --crop 128 --batch-size 8 --validate-every 500 --checkpoint-every 100 --seed 1)
base_schedule=(--learning-rate 2e-4 --lr-milestones "$((base * 11 / 16)),$((base * 7 / 8))" --lr-gamma 0.3
  --ema-decay 0.998 --initialization select)
family=n$n
if [ -n "${LICHEN_SELECT_FROM:-}" ]; then
  base_schedule+=(--select-from "$LICHEN_SELECT_FROM")
  family=n$n-from-$(basename "${LICHEN_SELECT_FROM%.safetensors}")
fi
run() {  # run DIR STEPS ARGS...: trains unless DIR has its model, resuming a checkpoint
  local dir=$1 steps=$2; shift 2
  [ -f "$dir/model.safetensors" ] && return 0
  local resume=(); [ -f "$dir/checkpoint.safetensors" ] && resume=(--resume)
  OMP_WAIT_POLICY=PASSIVE nice -n 10 $lichen distill "${common[@]}" --N "$n" --steps "$steps" --out "$dir" \
    "${resume[@]}" "$@"
}
run "$runs/q4-$family" "$base" --teacher hyperprior-q4 --lambda 0.0130 "${base_schedule[@]}"
for pair in q2:0.0035 q3:0.0067 q5:0.0250; do
  q=${pair%%:*}; lambda=${pair##*:}
  run "$runs/$q-$family" "$finetune" --teacher "hyperprior-$q" --lambda "$lambda" --init-from "$runs/q4-$family/model.safetensors" \
    --learning-rate 1e-4 --lr-milestones "$((finetune * 2 / 5)),$((finetune * 4 / 5))" --lr-gamma 0.3
done
curve_runs=(--run "N=$n distilled=$runs/q4-$family")
if [ "$control" -gt 0 ]; then
  run "$runs/q4-$family-control" "$control" --teacher hyperprior-q4 --lambda 0.0130 "${base_schedule[@]}" \
    --latent-weight 0 --reconstruction-weight 0 --rd-weight 1
  curve_runs+=(--run "N=$n control (plain RD loss)=$runs/q4-$family-control")
fi
results=docs/results/distillation/$family
mkdir -p "$results"
for q in q2 q3 q4 q5; do
  # q2, q3, q5 name their start as the registry does (the run recorded a run-folder path).
  init=(); [ "$q" = q4 ] || init=("init=hyperprior-q4-n$n"
    "distillation=latent=0.2 reconstruction=0.2 rate-distortion=0.4 hyper-latent=0.0 init=hyperprior-q4-n$n")
  $lichen export-model "$runs/$q-$family/model.safetensors" "$results/hyperprior-$q-n$n.safetensors" \
    --precision float16 --meta "quality=$q" "${init[@]}"
  if [ ! -f "$results/hyperprior-$q-n$n.json" ]; then
    $lichen eval --threads 2 --engine float --data "$kodak" --model "$results/hyperprior-$q-n$n.safetensors" \
      --json "$results/hyperprior-$q-n$n.json" | tail -1
    # Evaluated by path; named as a registry student would be, so rd-plot groups the four into one series.
    scripts/name-eval.py "$results/hyperprior-$q-n$n.json" "hyperprior-$q-n$n"
  fi
  cp "$runs/$q-$family/log.csv" "$results/hyperprior-$q-n$n-log.csv"
done
if [ "$control" -gt 0 ]; then cp "$runs/q4-$family-control/log.csv" "$results/hyperprior-q4-n$n-control-log.csv"; fi
# BD-rate of the four-point curve against the teachers' (the series is named after the students' family).
$lichen rd-plot docs/results/hyperprior-q?.json "$results"/hyperprior-q?-n"$n".json --anchor hyperprior \
  --out "$results/rd-vs-teacher.svg" --table "$results/bd-vs-teacher.csv" \
  --title "Kodak (24 images): N=$n students vs their N=128 teachers"
$lichen distill-curve --threads 2 --teachers hyperprior-q2,hyperprior-q3,hyperprior-q4,hyperprior-q5 --data "$data" \
  "${curve_runs[@]}" --svg "$results/learning-curve.svg" --csv "$results/learning-curve.csv" \
  --title "q4, N=$n: validation rate vs the N=128 teachers at equal PSNR"
