#!/usr/bin/env bash
# The bundled q2..q5 models' learning curve over their history: every generation's Kodak evaluation
# (24 images, real bitstreams, as committed with its weights) against the classic codecs of
# docs/results/classic, BD-rate PCHIP on PSNR against JPEG 2000, HEVC intra and WebP, as a function
# of the training steps each generation had seen (docs/codec.md, "The bundled models' learning curve").
# Reads the evaluations from git history, so it needs the repository's full history (not a shallow clone).
# Usage: scripts/bundled-history.sh   (writes docs/results/bundled-history/)
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
out=docs/results/bundled-history
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
# commit that bundled the generation, steps per model (the q4 model's count; q2, q3, q5 within a few dozen steps of it)
generations=(
  "09644ca 3896"
  "9b7aad7 7412"
  "1ea9a5d 19116"
  "448213f 20116"
  "fd9ffb3 30921"
  "3574e35 44421"
)
for generation in "${generations[@]}"; do
  read -r commit steps <<< "$generation"
  for q in 2 3 4 5; do
    git show "$commit:docs/results/hyperprior-q$q.json" > "$tmp/in.json"
    scripts/name-eval.py "$tmp/in.json" "lichen-$steps-q$q" "$tmp/lichen-$steps-q$q.json"
  done
done
rm "$tmp/in.json"
for anchor in jpeg2000 hevc webp; do
  "$lichen" rd-plot "$tmp"/lichen-*.json docs/results/classic --anchor "$anchor" --table "$tmp/bd-$anchor.csv" \
    --out "$tmp/rd-$anchor.svg" --title "Kodak (24 images): the bundled models by training steps vs classic codecs" > /dev/null
done
mv "$tmp/rd-jpeg2000.svg" "$out/rd-kodak.svg"
# One row per generation: steps, then BD-rate (PCHIP, %) and PSNR overlap against each anchor.
python3 - "$tmp" "$out/bd-by-steps.csv" "${generations[@]}" <<'PY'
import csv, sys
tmp, path, generations = sys.argv[1], sys.argv[2], sys.argv[3:]
anchors = ["jpeg2000", "hevc", "webp"]
tables = {a: {r["series"]: r for r in csv.DictReader(open(f"{tmp}/bd-{a}.csv"))} for a in anchors}
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["steps"] + [f"bd_rate_pchip_percent_vs_{a}" for a in anchors] + ["psnr_overlap"])
    for g in generations:
        steps = g.split()[1]
        rows = [tables[a][f"lichen-{steps}"] for a in anchors]
        w.writerow([steps] + [f'{float(r["bd_rate_pchip_percent"]):.2f}' for r in rows] + [rows[0]["quality_overlap"]])
PY
cat "$out/bd-by-steps.csv"
