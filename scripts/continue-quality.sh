#!/usr/bin/env bash
# Trains one bundled quality further at its own lambda, then codes Kodak with it beside the bundled model.
# The bundled q2, q3 and q5 had only 1,500 steps at their own lambda after the long q4 base (docs/codec.md,
# "Bundled models"), and they sit further from the classic codecs than q4 does; this measures what more
# steps at a quality's own lambda buy (Kodak RD, validation loss, CPU seconds in cpu.csv).
# Recipe: from the bundled model, lr 1e-4 x0.3 after 50% and 83% of STEPS, weight average 0.999 (validated and
# saved), batch 8 of 128x128 crops of the training photos, seed 1. Resumable: rerun to continue.
#
# Usage: scripts/continue-quality.sh QUALITY STEPS RUN_DIR   (QUALITY: q2 | q3 | q4 | q5)
# Env: LICHEN (binary, default .build/release/lichen), PHOTOS (default ../shared/data/photos-train),
#   KODAK (default ../shared/data/kodak), THREADS (default 2), INIT (start model, default hyperprior-QUALITY),
#   EXTRA (more `lichen train` options, e.g. "--bf16"; a resumed run must be given the same)
set -euo pipefail
quality=${1:?usage: continue-quality.sh QUALITY STEPS RUN_DIR}
steps=${2:?usage: continue-quality.sh QUALITY STEPS RUN_DIR}
run=${3:?usage: continue-quality.sh QUALITY STEPS RUN_DIR}
lichen=${LICHEN:-.build/release/lichen}
photos=${PHOTOS:-../shared/data/photos-train}
kodak=${KODAK:-../shared/data/kodak}
threads=${THREADS:-2}
case "$quality" in
  q2) lambda=0.0035 ;; q3) lambda=0.0067 ;; q4) lambda=0.0130 ;; q5) lambda=0.0250 ;;
  *) echo "unknown quality '$quality' (q2 | q3 | q4 | q5)" >&2; exit 2 ;;
esac
mkdir -p "$run"
if [ ! -f "$run/model.safetensors" ]; then
  start=(--init-from "${INIT:-hyperprior-$quality}")
  [ -f "$run/checkpoint.safetensors" ] && start=(--resume)
  OMP_WAIT_POLICY=PASSIVE "$lichen" train --threads "$threads" --data "$photos" --N 128 --M 192 --crop 128 --batch-size 8 \
    --lambda "$lambda" --learning-rate 1e-4 --steps "$steps" --lr-milestones "$((steps / 2)),$((steps * 5 / 6))" \
    --lr-gamma 0.3 --ema-decay 0.999 --validate-every 500 --checkpoint-every 250 --seed 1 ${EXTRA:-} "${start[@]}" --out "$run"
fi
for model in "hyperprior-$quality" "$run/model.safetensors"; do
  json="$run/kodak-$(basename "$model" .safetensors).json"
  if [ ! -f "$json" ]; then
    "$lichen" eval --threads "$threads" --engine float --data "$kodak" --model "$model" --json "$json.tmp" > /dev/null
    mv "$json.tmp" "$json"
  fi
  python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))["mean"]; print("%s: %.4f bpp, %.2f dB" % (sys.argv[2], m["bpp"], m["psnr"]))' \
    "$json" "$model"
done
