#!/usr/bin/env bash
# The long q4 base run of the codec-quality work, carried across machine restarts: from the 42,921-step
# EMA base (docs/results/q4-base-ema-42k/), lambda 0.0130, all training photos, batch 8, 128x128 crops,
# constant lr 1e-4 with a weight average (EMA 0.999, validated and saved), in chunks of CHUNK steps.
# After every chunk the averaged weights are exported (float16, quantiles fitted) to
# docs/results/q4-base-long/hyperprior-q4-base-long.safetensors with the run's validation log, so
# a lost run folder costs at most one chunk: the next call resumes the run folder's checkpoint when
# there is one, else starts a new run from the exported weights (a fresh optimizer; the steps keep
# counting from the weights' recorded total). Stops when the weights have TOTAL steps.
# Usage: scripts/train-q4-base-long.sh TOTAL [CHUNK]   (default chunk 2000; run folder LICHEN_RUNS/q4-base-long)
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:?usage: scripts/train-q4-base-long.sh TOTAL [CHUNK]}
chunk=${2:-2000}
runs=${LICHEN_RUNS:-runs}
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
out=docs/results/q4-base-long
weights=$out/hyperprior-q4-base-long.safetensors
start=docs/results/q4-base-ema-42k/hyperprior-q4-base-ema.safetensors
mkdir -p "$out" "$runs"
export OMP_WAIT_POLICY=PASSIVE
steps_of() { python3 -c 'import json, struct, sys
f = open(sys.argv[1], "rb"); n = struct.unpack("<Q", f.read(8))[0]
print(json.loads(f.read(n)).get("__metadata__", {}).get(sys.argv[2], "0"))' "$1" "$2"; }
while :; do
  if [ -f "$weights" ] && [ "$(steps_of "$weights" steps)" -ge "$total" ]; then
    echo "q4 base: $(steps_of "$weights" steps) steps, done"; exit 0
  fi
  run=""  # the latest segment that still has its checkpoint
  for checkpoint in "$runs"/q4-base-long-*/checkpoint.safetensors; do
    [ -f "$checkpoint" ] || continue
    dir=${checkpoint%/checkpoint.safetensors}
    if [ -z "$run" ] || [ "${dir##*-}" -gt "${run##*-}" ]; then run=$dir; fi
  done
  if [ -z "$run" ]; then
    # A new segment: from the exported weights (or the EMA base the first time).
    init=$start; [ -f "$weights" ] && init=$weights
    first=$(steps_of "$init" steps)
    [ "$first" -lt "$total" ] || { echo "q4 base: $first steps, done"; exit 0; }
    run=$runs/q4-base-long-$first
    rm -rf "$run"
    segment=(--init-from "$init")
    have=0
  else
    first=${run##*-}
    segment=(--resume)
    have=$(tail -1 "$run/log.csv" | cut -d, -f1)
  fi
  next=$(( (have / chunk + 1) * chunk ))
  [ $((first + next)) -le "$total" ] || next=$((total - first))
  nice -n 19 "$lichen" train --threads 2 --data "${LICHEN_TRAIN_DATA:-../shared/data/photos-train}" \
    --lambda 0.013 --batch-size 8 --crop 128 --steps "$next" --learning-rate 1e-4 --ema-decay 0.999 \
    --validate-every 500 --checkpoint-every 250 --seed "$((7 + first))" --out "$run" "${segment[@]}" | tail -2
  "$lichen" export-model "$run/model.safetensors" "$weights" --precision float16 --meta quality=q4 | tail -1
  python3 - "$runs" "$out/log.csv" <<'PY'
import csv, glob, re, sys
# One validation log over every segment, steps counted in the weights' total; rows of segments whose
# run folders are gone stay as the log last had them.
rows = {}
try:
    for r in csv.DictReader(open(sys.argv[2])):
        rows[int(r["steps"])] = (r["val_bpp"], r["val_psnr"], r["val_loss"])
except FileNotFoundError:
    pass
for path in sorted(glob.glob(f"{sys.argv[1]}/q4-base-long-*/log.csv"), key=lambda p: int(re.findall(r"-(\d+)/log", p)[0])):
    offset = int(re.findall(r"-(\d+)/log", path)[0])
    for r in csv.DictReader(open(path)):
        if r.get("val_loss"):
            rows[int(r["step"]) + offset] = (r["val_bpp"], r["val_psnr"], r["val_loss"])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["steps", "val_bpp", "val_psnr", "val_loss"])
    w.writerows([steps, *values] for steps, values in sorted(rows.items()))
PY
  echo "q4 base: $(steps_of "$weights" steps) steps exported to $weights"
  [ "$(steps_of "$weights" steps)" -lt "$total" ] || exit 0
done
