#!/usr/bin/env bash
# RD progress per CPU hour, float32 against bfloat16 autocast (`lichen train --bf16`): two codec
# trainings from scratch (N=128, M=192, lambda 0.0130, batch 8, 128x128 crops, lr 3e-4, the same
# seed, so the same crops and noise), validated every VALIDATE steps on the held-out photos. Prints
# each arm's validation loss at equal CPU time (its cpu.csv, interpolated; validation, float32 in
# both arms, is counted in both) and at equal steps.
# Run the arms one after the other with the machine otherwise idle: CPU seconds are the
# process's own, but a busy machine still slows both. Resumable (each arm continues its checkpoint).
# Usage: scripts/codec-bf16-ab.sh STEPS RUNS_DIR   (e.g. 4000; env LICHEN, PHOTOS, VALIDATE (250), THREADS (2))
set -euo pipefail
steps=${1:?usage: codec-bf16-ab.sh STEPS RUNS_DIR}
runs=${2:?usage: codec-bf16-ab.sh STEPS RUNS_DIR}
lichen=${LICHEN:-.build/release/lichen}
photos=${PHOTOS:-../shared/data/photos-train}
validate=${VALIDATE:-250}
mkdir -p "$runs"
for arm in float32 bf16; do
  run="$runs/$arm"
  [ -f "$run/model.safetensors" ] && continue
  flags=()
  [ "$arm" = bf16 ] && flags=(--bf16)
  resume=()
  [ -f "$run/checkpoint.safetensors" ] && resume=(--resume)
  echo "== $arm"
  OMP_WAIT_POLICY=PASSIVE "$lichen" train --threads "${THREADS:-2}" --data "$photos" --N 128 --M 192 --lambda 0.013 \
    --steps "$steps" --batch-size 8 --crop 128 --learning-rate 3e-4 --validate-every "$validate" \
    --checkpoint-every "$validate" --seed 1 "${flags[@]}" "${resume[@]}" --out "$run" > "$run.log" 2>&1 \
    || { echo "failed: $run.log" >&2; exit 1; }
done
python3 - "$runs" <<'PY' | tee "$runs/summary.txt"
import csv, os, sys
runs = sys.argv[1]
def load(arm):
    folder = os.path.join(runs, arm)
    cpu = [(int(r["step"]), float(r["cpu_seconds"])) for r in csv.DictReader(open(os.path.join(folder, "cpu.csv")))]
    val = [(int(r["step"]), float(r["val_loss"])) for r in csv.DictReader(open(os.path.join(folder, "log.csv"))) if r["val_loss"]]
    def seconds(step):  # CPU seconds at a step, linear between the recorded steps
        points = [(0, 0.0)] + cpu
        for (s0, c0), (s1, c1) in zip(points, points[1:]):
            if s0 <= step <= s1:
                return c0 + (c1 - c0) * (step - s0) / max(1, s1 - s0)
        return points[-1][1]
    return [(step, seconds(step), loss) for step, loss in val]
arms = {arm: load(arm) for arm in ("float32", "bf16")}
total = {arm: rows[-1][1] for arm, rows in arms.items()}
print(f"CPU seconds for the whole run: float32 {total['float32']:.0f}, bf16 {total['bf16']:.0f} "
      f"({total['float32'] / total['bf16']:.2f}x)")
print("step | float32 val loss | bf16 val loss | CPU s float32 | CPU s bf16")
for (step, c32, l32), (_, c16, l16) in zip(arms["float32"], arms["bf16"]):
    print(f"{step} | {l32:.4f} | {l16:.4f} | {c32:.0f} | {c16:.0f}")
def loss_at(rows, seconds):  # the last validation reached within a CPU budget
    reached = [loss for _, c, loss in rows if c <= seconds]
    return reached[-1] if reached else float("nan")
budget = total["bf16"]
print(f"at bf16's whole CPU budget ({budget:.0f} s): float32 {loss_at(arms['float32'], budget):.4f}, "
      f"bf16 {arms['bf16'][-1][2]:.4f}")
PY
