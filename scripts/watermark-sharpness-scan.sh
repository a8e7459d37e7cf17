#!/usr/bin/env bash
# WaterMAS's rho / lambda scan and the WaterMAS testbed's absolute magnitudes, one seed, on the
# security study's protocol (scripts/watermark-security.sh: one-epoch insertion by fine-tuning the
# reference, float32 + channels-last, 88 bits, half-normal magnitudes, beside the same-seed control).
# Runs share RUNS_DIR with the study, so the study's default cells and control are reused; every
# setting is its own call, so one that diverges does not stop the rest. Resumable.
#
# Usage: scripts/watermark-sharpness-scan.sh REFERENCE_MODEL RUNS_DIR
# Env: LICHEN, SEED (default 1), ALPHA (std units, default 1: the strength no key-free ranking finds),
#   SETTINGS ("rho:lambda[:target]" list, default the scan of docs/watermarking.md),
#   ABSOLUTE (absolute magnitudes for both methods, default "0.1 1"; "" to skip),
#   RESULTS (default docs/results/watermarking/security-sweep).
set -uo pipefail
reference=${1:?usage: watermark-sharpness-scan.sh REFERENCE_MODEL RUNS_DIR}
runs=${2:?usage: watermark-sharpness-scan.sh REFERENCE_MODEL RUNS_DIR}
here=$(dirname "$0")
settings=(${SETTINGS:-0.05:10 0.05:30 0.05:100 0.5:1 0.5:3 0.5:10 1:10 0.5:100:0.5})
absolute=${ABSOLUTE-0.1 1}
unset ABSOLUTE  # the rho / lambda runs are in std units
export MAGNITUDES=half-normal TRAIN_FLAGS="--channels-last" SEEDS="${SEED:-1}" \
  RESULTS="${RESULTS:-docs/results/watermarking/security-sweep}"
status=0
for setting in "${settings[@]}"; do
  IFS=: read -r rho lambda target <<< "$setting"
  echo "== WaterMAS rho $rho lambda $lambda${target:+ target $target}, alpha ${ALPHA:-1}"
  METHODS=watermas ALPHAS="${ALPHA:-1}" RHO=$rho SHARPNESS=$lambda SHARPNESS_TARGET=${target:-} \
    bash "$here/watermark-security.sh" "$reference" "$runs" || { echo "== rho $rho lambda $lambda failed"; status=1; }
done
if [ -n "$absolute" ]; then
  echo "== absolute magnitudes $absolute"
  METHODS="watermas substitution" ABSOLUTE="$absolute" \
    bash "$here/watermark-security.sh" "$reference" "$runs" || { echo "== absolute magnitudes failed"; status=1; }
fi
exit $status
