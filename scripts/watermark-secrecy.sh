#!/usr/bin/env bash
# Key secrecy: mark a small CIFAR-10 ResNet18 (width 0.25, 150 steps on 5,000
# images: the mark, not the accuracy, is under test) with WaterMAS at alpha 1
# and 30 std (one magnitude per layer), WaterMAS at 1 and 3 std with
# per-position half-normal magnitudes, plain substitution and the Laplacian
# baseline, then rank every
# markable weight without the key (`lichen watermark secrecy`) and count the
# key positions in the top K.
# Usage: scripts/watermark-secrecy.sh   (writes docs/results/watermarking/secrecy)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LICHEN_DATA:-../shared/data}
threads=${LICHEN_THREADS:-2}
runs=${LICHEN_SECRECY_RUNS:-runs/secrecy}
out=docs/results/watermarking/secrecy
mkdir -p "$out" "$runs"
lichen=.build/release/lichen
swift build -c release --product lichen
for setting in "watermas 1 layer" "watermas 30 layer" "watermas 1 half-normal" "watermas 3 half-normal" \
  "substitution 1 layer" "laplacian 1 layer"; do
  set -- $setting
  name="$1-a$2"; [ "$3" = layer ] || name="$name-$3"
  run="$runs/$name"
  [ -f "$run/model.safetensors" ] || $lichen watermark embed --threads "$threads" --data "$data/cifar10" --model resnet18 \
    --width 0.25 --max-steps 150 --limit 5000 --eval-limit 500 --method "$1" --alpha "$2" --magnitudes "$3" \
    --message "Lichen 2026" --seed 1 --out "$run" | tail -1
  echo "$name"
  $lichen watermark secrecy --model "$run/model.safetensors" --key "$run/key.json" --json "$out/$name.json"
done
