#!/usr/bin/env bash
# Whole training step, float32 against --bf16 (docs/codec.md, "Mixed precision"): 60 steps of q4 (N=128,
# batch 8, 128x128 crops, lr 1e-5) from INIT with each binary and flag, alternating, two rounds; prints
# steps/s and wall time per arm. Pause other jobs first.
# Usage: scripts/bench-bf16-step.sh INIT.safetensors NEW_LICHEN [OLD_LICHEN]
set -euo pipefail
init=$1; new=$2; old=${3:-}
data=${LICHEN_TRAIN_DATA:-../shared/data/photos-train}
out=$(mktemp -d)
arms=("f32:$new" "bf16:$new"); [ -n "$old" ] && arms+=("bf16-old:$old")
for round in 1 2; do
  for arm in "${arms[@]}"; do
    name=${arm%%:*}; binary=${arm#*:}
    flag=(); [ "$name" != f32 ] && flag=(--bf16)
    start=$(date +%s.%N)
    OMP_WAIT_POLICY=PASSIVE "$binary" train --threads 2 --data "$data" --N 128 --M 192 --crop 128 --batch-size 8 \
      --validate-every 1000 --checkpoint-every 1000 --seed 1 --lambda 0.013 --learning-rate 1e-5 --steps 60 \
      --init-from "$init" --out "$out/$name-$round" "${flag[@]}" > "$out/$name-$round.log" 2>&1
    end=$(date +%s.%N)
    echo "$name round $round: $(grep -o '[0-9.]* steps/s' "$out/$name-$round.log" | tail -1), wall $(echo "$end - $start" | bc) s"
  done
done
rm -rf "$out"
