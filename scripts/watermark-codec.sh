#!/usr/bin/env bash
# WaterMAS in Lichen's own codec models. Fine-tune the bundled teachers
# (hyperprior-q2..q5, N=128) for the same budget with and without a WaterMAS mark, code
# Kodak for real and give the marked curve's BD-rate against the unmarked one; at q4 also
# plain substitution, a lighter WaterMAS (lambda 0.1) and the distilled student
# (hyperprior-q4-n64, with and without the mark); then quantize the marked
# q4 teacher (hybrid, int8), export it for the FPGA and read the mark from each; then
# the attack sweep on it (RD in place of accuracy). Resumable: finished steps are skipped.
#   scripts/watermark-codec.sh RUNS_DIR
# Environment: LICHEN, PHOTOS, KODAK, STEPS (150), SHARPNESS_TARGET (0.5), KODAK_LIMIT (12), THREADS (1).
set -euo pipefail
runs=${1:?usage: watermark-codec.sh RUNS_DIR}
lichen=${LICHEN:-.build/release/lichen}
photos=${PHOTOS:-../shared/data/photos-train}
kodak=${KODAK:-../shared/data/kodak}
steps=${STEPS:-150}
target=${SHARPNESS_TARGET:-0.5}   # WaterMAS hinge: unbounded sharpening diverges on the RD loss
limit=${KODAK_LIMIT:-12}
threads=${THREADS:-1}
message="Lichen codec owner mark, 2026 !!"   # 32 bytes = 256 payload bits
mkdir -p "$runs/models" "$runs/eval"
declare -A lambda=([q2]=0.0035 [q3]=0.0067 [q4]=0.0130 [q5]=0.0250)

# family:variant:qualities — the variants' curves (BD-rate against "unmarked") and single points.
runs_list=(
  teacher:unmarked:"q2 q3 q4 q5" teacher:watermas:"q4 q2 q3 q5"
  teacher:substitution:q4 student:unmarked:q4 student:watermas:q4 teacher:watermas-l0.1:q4
)
declare -A variant_options=(
  [unmarked]=""
  [watermas]="--watermark-method watermas --sharpness-target $target"
  [watermas-l0.1]="--watermark-method watermas --sharpness 0.1 --sharpness-target $target"
  [substitution]="--watermark-method substitution"
)
for entry in "${runs_list[@]}"; do
  IFS=: read -r family variant qualities <<< "$entry"
  for q in $qualities; do
    if [ "$family" = teacher ]; then base=hyperprior-$q; n=128; else base=hyperprior-$q-n64; n=64; fi
    run="$runs/$family-$q-$variant"
    model="$runs/models/$family-$variant-$q.safetensors"
    if [ ! -f "$run/model.safetensors" ]; then
      read -r -a options <<< "${variant_options[$variant]}"
      mark=()
      [ "$variant" != unmarked ] && mark=(--watermark-message "$message" "${options[@]}")
      resume=()
      [ -f "$run/checkpoint.safetensors" ] && resume=(--resume)
      echo "== $run"
      "$lichen" train --threads "$threads" --data "$photos" --init-from "$base" --N $n --M 192 --lambda "${lambda[$q]}" \
        --steps "$steps" --batch-size 8 --crop 128 --learning-rate 1e-4 --validate-every 50 --checkpoint-every 25 \
        --seed 0 "${mark[@]}" "${resume[@]}" --out "$run" > "$run.log" 2>&1 || { echo "failed: $run.log"; exit 1; }
    fi
    cp "$run/model.safetensors" "$model"
    [ -f "$runs/eval/$family-$variant-$q.json" ] || \
      "$lichen" eval --threads "$threads" --data "$kodak" --limit "$limit" --model "$model" \
        --json "$runs/eval/$family-$variant-$q.json" | tail -1
  done
done
"$lichen" rd-plot "$runs"/eval/teacher-*.json --anchor teacher-unmarked --table "$runs/teacher-bd.csv" \
  --out "$runs/teacher-rd.svg" --title "Kodak ($limit images): marked vs unmarked teachers, $steps steps each" \
  | tee "$runs/teacher-bd.txt"

# The deployed copies carry the mark: quantized files and the FPGA export of the marked q4 teacher.
marked="$runs/teacher-q4-watermas"
LICHEN=$lichen PHOTOS=$photos CALIB_COUNT=16 THREADS=$threads \
  "$(dirname "$0")/verify-deployed-codec-mark.sh" "$marked" "$message" | tee "$runs/deployed-verify.txt"

# Attacks on the marked q4 teacher; the attacker fine-tunes on photos the owner held out (every 20th).
heldout="$runs/attacker-photos"
if [ ! -d "$heldout" ]; then
  mkdir -p "$heldout"
  ls "$photos" | grep '\.png$' | LC_ALL=C sort | awk 'NR % 20 == 0' | while read -r f; do cp "$photos/$f" "$heldout/"; done
fi
[ -f "$runs/teacher-q4-attacks/evaluation.json" ] || "$lichen" watermark evaluate-codec --threads "$threads" \
  --model-file "$marked/model.safetensors" --key "$marked/key.json" --message "$message" --data "$kodak" --eval-limit 4 \
  --attack-data "$heldout" --fine-tune-steps 50,150 --key-fine-tune-steps 10,50 --label "WaterMAS teacher q4" \
  --out "$runs/teacher-q4-attacks" > "$runs/teacher-q4-attacks.log" 2>&1
tail -32 "$runs/teacher-q4-attacks.log"
