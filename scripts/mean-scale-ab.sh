#!/usr/bin/env bash
# Mean-scale vs scale hyperprior at equal CPU time, from the same start: the 42,921-step q4 base (EMA weights,
# docs/results/q4-base-ema-42k/), lambda 0.0130, STEPS steps each at lr 1e-4 (x0.3 after 40% and 80% of them),
# batch 8 of 128x128 crops of ../shared/data/photos-train, seed 1, one thread each, both runs side by side.
# The scale arm continues the base as it is (the bundled q4's own recipe, longer); the mean-scale arm takes the
# base's g_a, g_s, h_a and factorized prior (`--transfer`) and starts h_s fresh. Then both are evaluated on
# Kodak (real bitstreams), the mean-scale one also through the integer engine (hybrid, max calibration on 16
# training photos, no fine-tuning). Resumable: rerun to continue; finished runs are reused.
# Usage: scripts/mean-scale-ab.sh [STEPS]   (default 5000)
# Env: LICHEN_BINARY (default .build/release/lichen, built here), LICHEN_RUNS (default runs), LICHEN_KODAK.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-5000}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
kodak=${LICHEN_KODAK:-../shared/data/kodak}
runs=${LICHEN_RUNS:-runs}/mean-scale-ab
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
base=docs/results/q4-base-ema-42k/hyperprior-q4-base-ema.safetensors
results=docs/results/mean-scale-ab
mkdir -p "$runs" "$results"
common=(--data "$data" --N 128 --M 192 --crop 128 --batch-size 8 --validate-every 500 --checkpoint-every 100 --seed 1
  --lambda 0.0130 --learning-rate 1e-4 --steps "$steps" --lr-milestones "$((steps * 2 / 5)),$((steps * 4 / 5))"
  --lr-gamma 0.3 --threads 1 --init-from "$base")
pids=()
for arm in scale mean-scale; do
  dir="$runs/$arm-$steps"
  [ -f "$dir/model.safetensors" ] && continue
  extra=(--model hyperprior); [ "$arm" = mean-scale ] && extra=(--model mean-scale --transfer)
  resume=(); [ -f "$dir/checkpoint.safetensors" ] && resume=(--resume)
  OMP_WAIT_POLICY=PASSIVE "$lichen" train "${common[@]}" "${extra[@]}" --out "$dir" "${resume[@]}" > "$dir.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
for arm in scale mean-scale; do
  cp "$runs/$arm-$steps/log.csv" "$results/$arm-$steps-log.csv"
  "$lichen" eval --threads 2 --engine float --data "$kodak" --model "$runs/$arm-$steps/model.safetensors" \
    --json "$results/$arm-$steps.json" | tail -1
done
"$lichen" export-model "$runs/mean-scale-$steps/model.safetensors" "$results/mean-scale-q4-$((42921 + steps)).safetensors" \
  --precision float16
"$lichen" quantize --model "$runs/mean-scale-$steps/model.safetensors" --scheme hybrid --calib "$data" --calib-count 16 --calibration max \
  --out "$runs/mean-scale-$steps-hybrid.safetensors"
"$lichen" eval --threads 2 --engine integer --data "$kodak" --model "$runs/mean-scale-$steps-hybrid.safetensors" \
  --json "$results/mean-scale-$steps-hybrid.json" | tail -1
# Name the evaluated models as the docs do (they were evaluated by run-folder path).
python3 - "$results" "$steps" <<'PY'
import json, sys
results, steps = sys.argv[1], int(sys.argv[2])
total = f"{42921 + steps:,}"
for file, name in [(f"scale-{steps}.json", f"hyperprior-q4 continued {steps:,} steps ({total} steps)"),
                   (f"mean-scale-{steps}.json", f"mean-scale q4 from the scale base, {steps:,} steps ({total} steps)"),
                   (f"mean-scale-{steps}-hybrid.json", f"mean-scale q4 ({total} steps), hybrid integer")]:
    path = f"{results}/{file}"
    data = json.load(open(path))
    data["model"] = name
    json.dump(data, open(path, "w"), indent=2, sort_keys=True)
PY
