#!/usr/bin/env bash
# Robustness of a security study's marks (scripts/watermark-security.sh) to the attacks the paper says a
# sharp mark resists, in the conventions of the WaterMAS authors' testbed: Gaussian noise of std = power x
# each layer's weight std, L1 (magnitude) and random unstructured pruning per layer, per-tensor min-max
# quantization, and fine-tuning for one epoch of the 30,000 training images (469 steps of 64). Each marked
# run's model is attacked on the full test set (`watermark attack`, attack seed = the run's seed), the rows
# kept in the run folder as robustness.json, and each attacked seed's unmarked control (control-sSEED) gets
# the same attacks; then `lichen watermark robustness` pools the seeds per setting: accuracy cost, bit error
# rate (MPAI-NNW's symbol error rate) and detections per attack strength, the controls as one more column.
#
# Usage: scripts/watermark-robustness.sh RUNS_DIR RESULTS_DIR
# Env: LICHEN (binary, default .build/release/lichen), DATA (default ../shared/data/cifar10),
#   RUNS (run-folder name patterns, default "*": every finished marked run), ATTACKS (comma-separated
#   FAMILY:STRENGTH, default below), THREADS (default 2).
# Resumable: runs with a robustness.json are skipped; the tables are rebuilt from every run at the end.
set -euo pipefail
runs=${1:?usage: watermark-robustness.sh RUNS_DIR RESULTS_DIR}
results=${2:?usage: watermark-robustness.sh RUNS_DIR RESULTS_DIR}
lichen=${LICHEN:-.build/release/lichen}
data=${DATA:-../shared/data/cifar10}
threads=${THREADS:-2}
patterns=(${RUNS:-*})
attacks=${ATTACKS:-gaussian-noise:0.1,gaussian-noise:0.3,gaussian-noise:1,magnitude-pruning:0.3,magnitude-pruning:0.6,magnitude-pruning:0.9,random-pruning:0.05,random-pruning:0.1,random-pruning:0.3,min-max-quantization:8,min-max-quantization:6,min-max-quantization:4,fine-tuning:469}
message="Lichen 2026"
mkdir -p "$results"

# The seed a run's key records (the security study draws key and attacks from the run's seed).
key_seed() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["seed"])' "$1"; }
# attack FOLDER KEY SEED: the attack rows of FOLDER's model read under KEY, kept as FOLDER/robustness.json.
attack() {
  "$lichen" watermark attack --threads "$threads" --data "$data" --model-file "$1/model.safetensors" \
    --key "$2" --message "$message" --seed "$3" --attacks "$attacks" \
    --json "$1/robustness.json.tmp" > "$1/robustness.log"
  mv "$1/robustness.json.tmp" "$1/robustness.json"
}

for pattern in "${patterns[@]}"; do
  for run in "$runs"/$pattern; do
    # Marked runs the security study finished: a model, its key and its key-interception rows.
    [ -f "$run/model.safetensors" ] && [ -f "$run/key.json" ] && [ -f "$run/attack.json" ] || continue
    [ -f "$run/robustness.json" ] && continue
    echo "== $(basename "$run")"
    attack "$run" "$run/key.json" "$(key_seed "$run/key.json")"
  done
done
# The unmarked control of each attacked seed under the same attacks (same attack seed, so the same noise
# and pruning draws), read under one of that seed's marked keys: what the attacks cost a model without a
# mark, and whether the detector raises a false alarm on it.
for run in "$runs"/*; do
  [ -f "$run/robustness.json" ] && [ -f "$run/key.json" ] || continue
  seed=$(key_seed "$run/key.json")
  control="$runs/control-s$seed"
  [ -f "$control/model.safetensors" ] && [ ! -f "$control/robustness.json" ] || continue
  echo "== control-s$seed (under the key of $(basename "$run"))"
  attack "$control" "$run/key.json" "$seed"
done
"$lichen" watermark robustness --runs "$runs" --out "$results"
