#!/usr/bin/env bash
# The reference-classifier campaign: every architecture's reference run (train-reference-classifier.sh),
# one after the other, each resumable, and each finished run filed under docs/results/vision/NAME/
# (float16 weights, evaluation, CPU time, every 10th line of the log) with its test accuracy against its bar.
# Run it again after any interruption: finished runs are skipped, an interrupted one resumes.
#
# Usage: scripts/train-reference-models.sh RUNS_DIR [NAME ...]   (default: every entry below, in order)
#   scripts/train-reference-models.sh --list   (names, recipes and bars; runs nothing)
# Env: LICHEN (binary, default .build/release/lichen), RESULTS (default docs/results/vision).
set -euo pipefail
cd "$(dirname "$0")/.."

# name | architecture | dataset | width | epochs (empty: the recipe's) | extra options | accuracy bar (%) on the
# 10,000 test images (empty: none set)
campaign=(
  "mobilenetv3-large-w1-cutout16|mobilenetv3-large|cifar10|1||--cutout 16|82"
  "resnet18-fashion-mnist-w0.5|resnet18|fashion-mnist|0.5|10|||"
  "vgg16-w1-cutout16|vgg16|cifar10|1||--cutout 16|88"
  "resnet18-w1-cutout16|resnet18|cifar10|1||--cutout 16|90"
  "swin-t-w0.5-mixup-cutmix|swin-t|cifar10|0.5||--mixup 0.8 --cutmix 1|75"
)

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${campaign[@]}" | column -t -s '|' -N name,architecture,dataset,width,epochs,extra,bar
  exit 0
fi
runs=${1:?usage: train-reference-models.sh RUNS_DIR [NAME ...] | --list}
shift
wanted=("$@")
lichen=${LICHEN:-.build/release/lichen}
results=${RESULTS:-docs/results/vision}

for entry in "${campaign[@]}"; do
  IFS='|' read -r name architecture dataset width epochs extra bar <<< "$entry"
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $name "* ]]; then continue; fi
  run="$runs/$name"
  folder="$results/$name"
  if [ -f "$folder/eval.json" ]; then echo "== $name: filed already ($folder)"; continue; fi
  echo "== $name ($architecture, $dataset, width $width, ${epochs:-default} epochs, ${extra:-no extra options}; bar ${bar:-none})"
  epochs_env=()
  [ -n "$epochs" ] && epochs_env=(EPOCHS="$epochs")
  env LICHEN="$lichen" DATASET="$dataset" WIDTH="$width" EXTRA="$extra" EXPORT="$run/$name.safetensors" "${epochs_env[@]}" \
    bash scripts/train-reference-classifier.sh "$architecture" "$run"
  mkdir -p "$folder.tmp"
  cp "$run/eval.json" "$run/cpu.csv" "$run/$name.safetensors" "$folder.tmp/"
  awk -F, 'NR == 1 || ($1 % 10) == 0' "$run/log.csv" > "$folder.tmp/log-every-10th-step.csv"
  rm -rf "$folder" && mv "$folder.tmp" "$folder"
  python3 - "$folder/eval.json" "$bar" <<'PY'
import json, sys
accuracy = 100 * json.load(open(sys.argv[1]))["accuracy"]
if sys.argv[2]:
    bar = float(sys.argv[2])
    print(f"test accuracy {accuracy:.2f}% against the {bar:g}% bar: {'met' if accuracy >= bar else 'NOT met'}")
else:
    print(f"test accuracy {accuracy:.2f}% (no bar set)")
PY
done
