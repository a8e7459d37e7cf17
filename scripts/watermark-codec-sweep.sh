#!/usr/bin/env bash
# Which mark can a codec carry for at most +1% BD-rate? Fine-tunes the bundled teachers
# (hyperprior-q2..q5, N=128) for the same budget once without a mark and once per setting of
# VARIANTS (method, alpha, rho, lambda), codes Kodak for real, and gives each setting's BD-rate /
# BD-PSNR against the unmarked curve (one rd-plot, PCHIP on PSNR). For every setting it then
# checks the q4 model's mark through the deployed copies (hybrid integer model, int8 model, its
# HLS export: scripts/verify-deployed-codec-mark.sh) and runs the attack sweep on q4 (key interception included), so the table says
# both what a setting costs and what removes it. Resumable: finished steps are skipped.
#
# Usage: scripts/watermark-codec-sweep.sh RUNS_DIR
# Env: LICHEN, PHOTOS (training photos), KODAK, STEPS (fine-tune steps, default 300, lr 3e-5),
#   KODAK_LIMIT (default 24: all), THREADS (default 2), ATTACK_LIMIT (Kodak images per attack row, 4),
#   ATTACK_STEPS (the attacker's fine-tuning and overwriting, default 150), KEY_STEPS (key-weight
#   fine-tuning, default 50), CALIB_COUNT (calibration photos of the integer models, default quantize's),
#   VARIANTS (space-separated names of the table below; default: all of them).
set -euo pipefail
runs=${1:?usage: watermark-codec-sweep.sh RUNS_DIR}
lichen=${LICHEN:-.build/release/lichen}
photos=${PHOTOS:-../shared/data/photos-train}
kodak=${KODAK:-../shared/data/kodak}
steps=${STEPS:-300}
limit=${KODAK_LIMIT:-24}
threads=${THREADS:-2}
message="Lichen codec owner mark, 2026 !!"   # 32 bytes = 256 payload bits
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$runs/eval"
declare -A lambda=([q2]=0.0035 [q3]=0.0067 [q4]=0.0130 [q5]=0.0250)

# The settings: plain substitution at growing magnitudes (std units, one factor per position),
# WaterMAS at lighter sharpening weights and radii (a hinge on the relative sharpness keeps the RD
# loss from diverging, as in scripts/watermark-codec.sh).
declare -A variant_options=(
  [substitution-a1]="--watermark-method substitution --alpha 1 --magnitudes half-normal"
  [substitution-a3]="--watermark-method substitution --alpha 3 --magnitudes half-normal"
  [substitution-a10]="--watermark-method substitution --alpha 10 --magnitudes half-normal"
  [watermas-l0.1]="--watermark-method watermas --sharpness 0.1 --sharpness-target 0.5 --magnitudes half-normal"
  [watermas-l0.3]="--watermark-method watermas --sharpness 0.3 --sharpness-target 0.5 --magnitudes half-normal"
  [watermas-l1-rho0.01]="--watermark-method watermas --rho 0.01 --sharpness-target 0.5 --magnitudes half-normal"
  [watermas-l1]="--watermark-method watermas --sharpness-target 0.5 --magnitudes half-normal"
)
variants=(${VARIANTS:-substitution-a1 substitution-a3 substitution-a10 watermas-l0.1 watermas-l0.3 watermas-l1-rho0.01 watermas-l1})
for variant in "${variants[@]}"; do
  [ -n "${variant_options[$variant]+set}" ] || { echo "unknown variant '$variant' (${!variant_options[*]})" >&2; exit 2; }
done

for variant in unmarked "${variants[@]}"; do
  for q in q2 q3 q4 q5; do
    run="$runs/$variant-$q"
    if [ ! -f "$run/model.safetensors" ]; then
      mark=()
      if [ "$variant" != unmarked ]; then
        read -r -a options <<< "${variant_options[$variant]}"
        mark=(--watermark-message "$message" "${options[@]}")
      fi
      resume=()
      [ -f "$run/checkpoint.safetensors" ] && resume=(--resume)
      echo "== $variant $q"
      "$lichen" train --threads "$threads" --data "$photos" --init-from "hyperprior-$q" --N 128 --M 192 \
        --lambda "${lambda[$q]}" --steps "$steps" --batch-size 8 --crop 128 --learning-rate 3e-5 --validate-every 100 \
        --checkpoint-every 50 --seed 0 "${mark[@]}" "${resume[@]}" --out "$run" > "$run.log" 2>&1 \
        || { echo "failed: $run.log" >&2; exit 1; }
    fi
    evaluation="$runs/eval/codec-$variant-$q.json"
    if [ ! -f "$evaluation" ]; then
      "$lichen" eval --threads "$threads" --data "$kodak" --limit "$limit" --model "$run/model.safetensors" \
        --json "$evaluation.tmp" | tail -1
      python3 "$here/name-eval.py" "$evaluation.tmp" "codec-$variant-$q" "$evaluation"
      rm -f "$evaluation.tmp"
    fi
  done
done
"$lichen" rd-plot "$runs"/eval/*.json --anchor codec-unmarked --table "$runs/bd.csv" --out "$runs/rd.svg" \
  --title "Kodak ($limit images): marked vs unmarked teachers, $steps fine-tune steps each" | tee "$runs/bd.txt"

# Each setting's q4 model: the mark through the deployed copies, then the attacks.
heldout="$runs/attacker-photos"   # the attacker fine-tunes on photos the owner held out (every 20th)
if [ ! -d "$heldout" ]; then
  mkdir -p "$heldout.tmp"
  ls "$photos" | grep '\.png$' | LC_ALL=C sort | awk 'NR % 20 == 0' | while read -r f; do cp "$photos/$f" "$heldout.tmp/"; done
  mv "$heldout.tmp" "$heldout"
fi
for variant in "${variants[@]}"; do
  marked="$runs/$variant-q4"
  if [ ! -f "$marked/deployed-verify.txt" ]; then
    LICHEN=$lichen PHOTOS=$photos THREADS=$threads "$here/verify-deployed-codec-mark.sh" "$marked" "$message" \
      > "$marked/deployed-verify.txt.tmp"
    mv "$marked/deployed-verify.txt.tmp" "$marked/deployed-verify.txt"
  fi
  [ -f "$runs/attacks-$variant/evaluation.json" ] || "$lichen" watermark evaluate-codec --threads "$threads" \
    --model-file "$marked/model.safetensors" --key "$marked/key.json" --message "$message" --data "$kodak" \
    --eval-limit "${ATTACK_LIMIT:-4}" --attack-data "$heldout" --fine-tune-steps "${ATTACK_STEPS:-150}" \
    --key-fine-tune-steps "${KEY_STEPS:-50}" \
    --label "$variant" --out "$runs/attacks-$variant" > "$runs/attacks-$variant.log" 2>&1 \
    || { echo "failed: $runs/attacks-$variant.log" >&2; exit 1; }
  echo "== $variant q4: $(grep -c '^BER 0.0000' "$marked/deployed-verify.txt" || true) of 4 copies (hybrid, int8, HLS, float) read with BER 0"
done

# One line per setting: its BD-rate, the deployed copies, and the cheapest removal (the attack that
# makes the mark undetectable at the smallest PSNR loss on the attack images, bits held equal).
python3 - "$runs" "${variants[@]}" <<'PY' | tee "$runs/summary.txt"
import csv, json, os, sys
runs, variants = sys.argv[1], sys.argv[2:]
bd = {row["series"]: row for row in csv.DictReader(open(os.path.join(runs, "bd.csv")))}
print("setting | BD-rate pchip | BD-PSNR pchip | copies read with BER 0 (hybrid, int8, HLS, float) | cheapest removal (attack: PSNR loss dB, bpp change)")
for variant in variants:
    row = bd.get(f"codec-{variant}", {})
    rate = f'{float(row["bd_rate_pchip_percent"]):+.2f}%' if row else "?"
    gain = f'{float(row["bd_quality_pchip_db"]):+.3f} dB' if row else "?"
    verify = open(os.path.join(runs, f"{variant}-q4", "deployed-verify.txt")).read()
    copies = sum(line.startswith("BER 0.0000") for line in verify.splitlines())
    rows = json.load(open(os.path.join(runs, f"attacks-{variant}", "evaluation.json")))["rows"]
    clean = next(r for r in rows if r["family"] == "none")["metrics"]
    removals = [r for r in rows if not r["detected"]]
    if removals:
        best = min(removals, key=lambda r: clean["psnr"] - r["metrics"]["psnr"])
        removal = (f'{best["attack"]} {best["strength"]:g}: {clean["psnr"] - best["metrics"]["psnr"]:.2f} dB, '
                   f'{100 * (best["metrics"]["bpp"] / clean["bpp"] - 1):+.1f}% bpp')
    else:
        removal = "none removed it"
    print(f"{variant} | {rate} | {gain} | {copies} of 4 | {removal}")
PY
