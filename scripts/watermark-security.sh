#!/usr/bin/env bash
# WaterMAS security study on a trained reference classifier: every mark is
# inserted by fine-tuning the reference for one epoch (SGD, cosine from
# lr 0.01, label smoothing 0.1), beside an unmarked control fine-tuned with
# the identical schedule and seed (`classify train --init-from`). With
# INSERTION=scratch the marks are present from the first step of training a
# fresh network of the reference's architecture (the paper's protocol), and
# the control is the same training from scratch without a mark. Each marked
# model is evaluated on the full test set, attacked by key interception
# (randomize, flip, zero, fine-tune the key weights from the marked and from
# randomized values) and ranked without the key (`watermark secrecy`). Then
# `lichen watermark security` tabulates cost against the control, interception
# cost and key secrecy per setting, mean +- std over seeds.
#
# Usage: scripts/watermark-security.sh REFERENCE_MODEL RUNS_DIR
# Env: LICHEN (binary, default .build/release/lichen), DATA (the reference's dataset folder, default
#   ../shared/data/cifar10; the dataset itself is the reference's),
#   SEEDS (default "1"), METHODS (default "watermas substitution"),
#   ALPHAS (std units, default "1 3 10 30"), MAGNITUDES (default "layer"),
#   RHO (default 0.05), SHARPNESS (WaterMAS lambda, default 1), SHARPNESS_TARGET (WaterMAS: stop
#   sharpening while the relative loss rise along the mark is at least this; default: never), EPOCHS (default 1),
#   ABSOLUTE (absolute magnitudes instead of ALPHAS, e.g. "0.1 1": the WaterMAS testbed's units),
#   LR (default 0.01), THREADS (default 2), RESULTS (default docs/results/watermarking/security),
#   INSERTION (finetune | scratch; scratch defaults to EPOCHS=40, LR=0.1, the reference's recipe),
#   WIDTH (scratch only: another width of the reference's architecture, for a cheaper scan),
#   TRAIN_FLAGS (more options for every fine-tune or training, e.g. "--channels-last"),
#   SECRECY_BATCHES (the key-free attacker's training batches for the curvature rankings, default 50).
# Settings other than the defaults (RHO, SHARPNESS, SHARPNESS_TARGET) are part of each run's folder name,
# so a sweep over them can share one RUNS_DIR.
# Resumable: finished steps are skipped, an interrupted fine-tune continues.
set -euo pipefail
reference=${1:?usage: watermark-security.sh REFERENCE_MODEL RUNS_DIR}
runs=${2:?usage: watermark-security.sh REFERENCE_MODEL RUNS_DIR}
lichen=${LICHEN:-.build/release/lichen}
data=${DATA:-../shared/data/cifar10}
seeds=(${SEEDS:-1})
methods=(${METHODS:-watermas substitution})
alphas=(${ALPHAS:-1 3 10 30})
# With ABSOLUTE, the strengths are absolute magnitudes (--absolute-magnitude) instead of std units.
absolute=${ABSOLUTE:-}
[ -n "$absolute" ] && alphas=($absolute)
magnitudes=(${MAGNITUDES:-layer})
rho=${RHO:-0.05}
sharpness=${SHARPNESS:-1}
sharpness_target=()
[ -n "${SHARPNESS_TARGET:-}" ] && sharpness_target=(--sharpness-target "$SHARPNESS_TARGET")
threads=${THREADS:-2}
results=${RESULTS:-docs/results/watermarking/security}
# The key-free attacker's data: batches of 64 training images for the Fisher and saliency rankings (0: weights only).
secrecy_batches=${SECRECY_BATCHES:-50}
message="Lichen 2026"
mkdir -p "$runs" "$results"

# The classifier's architecture, width and dataset, read from the reference file's metadata.
read -r architecture width dataset < <(python3 - "$reference" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
metadata = header["__metadata__"]
print(metadata["architecture"], metadata["width"], metadata.get("dataset", "cifar10"))
PY
)
[ -f "$results/reference-eval.json" ] || "$lichen" classify eval --threads "$threads" --data "$data" \
  --model-file "$reference" --json "$results/reference-eval.json" > "$runs/reference-eval.log"
insertion=${INSERTION:-finetune}
case "$insertion" in
  finetune) start=(--init-from "$reference"); epochs=${EPOCHS:-1}; lr=${LR:-0.01} ;;
  scratch) start=(); epochs=${EPOCHS:-40}; lr=${LR:-0.1}; width=${WIDTH:-$width} ;;
  *) echo "INSERTION must be finetune or scratch, not '$insertion'" >&2; exit 2 ;;
esac
schedule=(--threads "$threads" --dataset "$dataset" --data "$data" --model "$architecture" --width "$width" --epochs "$epochs"
          --lr "$lr" --schedule cosine --label-smoothing 0.1 --batch-size 128 --checkpoint-every 100
          "${start[@]}" ${TRAIN_FLAGS:-})
# Non-default WaterMAS settings name its runs, so sweeps over them do not overwrite each other
# (substitution ignores them and is run once).
watermas_variant=""
[ "$rho" != "0.05" ] && watermas_variant+="-rho$rho"
[ "$sharpness" != "1" ] && watermas_variant+="-lambda$sharpness"
[ -n "${SHARPNESS_TARGET:-}" ] && watermas_variant+="-target$SHARPNESS_TARGET"

fine_tune() {  # folder, command...
  local folder=$1; shift
  [ -f "$folder/eval.json" ] && return
  local resume=()
  [ -f "$folder/checkpoint.safetensors" ] && resume=(--resume)
  "$@" --out "$folder" "${resume[@]}" > "$folder.log" 2>&1 || { tail -3 "$folder.log"; return 1; }
}

# Controls are trained with the marked runs' flags; one trained under bfloat16 autocast gets a name of its own,
# so a folder can hold both precisions' controls (`watermark security` pairs each marked run with its own).
control_prefix=control
[[ " ${TRAIN_FLAGS:-} " == *" --bf16 "* ]] && control_prefix=control-bf16
for seed in "${seeds[@]}"; do
  control="$runs/$control_prefix-s$seed"
  echo "== control, seed $seed"
  fine_tune "$control" "$lichen" classify train "${schedule[@]}" --seed "$seed"
  for method in "${methods[@]}"; do
    variant=""
    [ "$method" = watermas ] && variant=$watermas_variant
    for alpha in "${alphas[@]}"; do
      for spread in "${magnitudes[@]}"; do
        if [ -n "$absolute" ]; then
          name="$method-abs$alpha-$spread$variant-s$seed"; strength=(--absolute-magnitude "$alpha")
        else
          name="$method-a$alpha-$spread$variant-s$seed"; strength=(--alpha "$alpha")
        fi
        run="$runs/$name"
        echo "== $name"
        fine_tune "$run" "$lichen" watermark embed "${schedule[@]}" --seed "$seed" --key-seed "$seed" \
          --method "$method" "${strength[@]}" --magnitudes "$spread" --rho "$rho" --sharpness "$sharpness" "${sharpness_target[@]}" \
          --message "$message"
        [ -f "$run/attack.json" ] || { "$lichen" watermark attack --threads "$threads" --data "$data" \
          --model-file "$run/model.safetensors" --key "$run/key.json" --message "$message" --seed "$seed" \
          --attacks none,key-interception-randomize,key-interception-flip,key-interception-zero,key-interception-fine-tune:100,key-interception-randomize-fine-tune:100,channel-permutation \
          --json "$run/attack.json.tmp" > "$run/attack.log" && mv "$run/attack.json.tmp" "$run/attack.json"; }
        [ -f "$run/secrecy.json" ] || "$lichen" watermark secrecy --threads "$threads" --model "$run/model.safetensors" \
          --key "$run/key.json" --data-batches "$secrecy_batches" --data "$data" --seed "$seed" \
          --json "$run/secrecy.json" > "$run/secrecy.log"
      done
    done
  done
done
"$lichen" watermark security --runs "$runs" --json "$results/security.json" --csv "$results/security.csv" \
  --markdown "$results/security.md" --svg "$results/security.svg"
