#!/usr/bin/env bash
# CIFAR-10 classifier watermarking experiments at a reduced CPU budget: for each architecture an
# unmarked model and marked ones (WaterMAS at two radii, plain substitution, Laplacian)
# trained with the same recipe and seed, each attacked with `watermark evaluate`,
# then compared. Resumable: finished runs are skipped, unfinished ones continue.
#   scripts/watermark-experiments.sh RUNS_DIR [ARCH ...]      (default: resnet18 vgg16)
# Environment: LICHEN (binary), DATA (CIFAR-10 folder), EPOCHS, WIDTH, THREADS, EVAL_LIMIT,
# FINE_TUNE_STEPS (attack lengths, default 100,500), VARIANTS (default: all four marked variants).
set -euo pipefail
runs=${1:?usage: watermark-experiments.sh RUNS_DIR [ARCH ...]}
shift
if [ $# -eq 0 ]; then archs=(resnet18 vgg16); else archs=("$@"); fi
lichen=${LICHEN:-.build/release/lichen}
data=${DATA:-../shared/data/cifar10}
epochs=${EPOCHS:-15}
width=${WIDTH:-0.25}
threads=${THREADS:-1}
eval_limit=${EVAL_LIMIT:-2000}
fine_tune_steps=${FINE_TUNE_STEPS:-100,500}
variants=(${VARIANTS:-watermas-rho0.05 watermas-rho1 substitution laplacian})
declare -A options_of=([watermas-rho0.05]="--method watermas --rho 0.05" [watermas-rho1]="--method watermas --rho 1.0"
                       [substitution]="--method substitution" [laplacian]="--method laplacian")
message="Lichen WaterMAS owner mark 2026!"   # 32 bytes = 256 payload bits, no code
common=(--threads "$threads" --data "$data" --width "$width" --epochs "$epochs" --batch-size 128 --seed 0
        --eval-limit "$eval_limit" --checkpoint-every 200)

run_if_needed() {  # folder, command...
  local folder=$1; shift
  if [ -f "$folder/model.safetensors" ]; then echo "== $folder: done"; return; fi
  local resume=()
  [ -f "$folder/checkpoint.safetensors" ] && resume=(--resume)
  echo "== $folder: $*"
  "$@" "${resume[@]}" --out "$folder" > "$folder.log" 2>&1 || { echo "failed: see $folder.log"; return 1; }
}

for arch in "${archs[@]}"; do
  base="$runs/$arch-w$width-e$epochs"
  mkdir -p "$base"
  extra=()
  [ "$arch" = swin-t ] && extra=(--optimizer adamw)
  run_if_needed "$base/unmarked" "$lichen" classify train --model "$arch" "${common[@]}" "${extra[@]}"
  for name in "${variants[@]}"; do
    read -r -a options <<< "${options_of[$name]}"
    run_if_needed "$base/$name" "$lichen" watermark embed --model "$arch" "${common[@]}" "${extra[@]}" \
      --message "$message" "${options[@]}"
    if [ ! -f "$base/$name/evaluation/evaluation.json" ]; then
      echo "== $base/$name: attack sweep"
      "$lichen" watermark evaluate --threads "$threads" --data "$data" --model-file "$base/$name/model.safetensors" \
        --key "$base/$name/key.json" --message "$message" --eval-limit "$eval_limit" --fine-tune-steps "$fine_tune_steps" \
        --label "$name" --out "$base/$name/evaluation" > "$base/$name/evaluation.log" 2>&1
    fi
  done
  results=()
  for name in "${variants[@]}"; do
    results+=(--result "$base/$name/evaluation/evaluation.json")
  done
  "$lichen" watermark compare "${results[@]}" --out "$base/comparison" > "$base/comparison.txt"
  echo "== $arch: unmarked $(grep -o '"accuracy"[^,]*' "$base/unmarked/eval.json" | head -1)"
done
