#!/usr/bin/env bash
# End-to-end check of `lichen watermark evaluate-codec` on a tiny marked codec
# (real photos; skipped when they are absent): train with a WaterMAS mark,
# verify it, run the attack sweep with real bitstreams, and check the result
# file: the unattacked model carries the mark, flipping the key weights
# inverts every bit, every row has a real bpp and PSNR, and the plots exist.
# Usage: scripts/check-codec-watermark.sh [LICHEN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${1:-.build/debug/lichen}
data=${PHOTOS:-../shared/data/photos-train}
if ! ls "$data"/*.png > /dev/null 2>&1; then echo "codec watermark check skipped: no photos at $data"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE
mkdir "$work/photos"
ls "$data" | grep '\.png$' | LC_ALL=C sort | awk 'NR <= 24' | while read -r f; do cp "$data/$f" "$work/photos/"; done
"$lichen" train --threads 1 --data "$work/photos" --N 16 --M 24 --crop 64 --batch-size 2 --steps 20 --validate-every 10 \
  --lambda 0.013 --watermark-message Lichen --out "$work/marked" > "$work/train.log"
"$lichen" watermark verify --model "$work/marked/model.safetensors" --key "$work/marked/key.json" --message Lichen \
  > "$work/verify.log"
"$lichen" watermark evaluate-codec --threads 1 --model-file "$work/marked/model.safetensors" --key "$work/marked/key.json" \
  --message Lichen --data "$work/photos" --eval-limit 2 --attack-data "$work/photos" \
  --crop 64 --batch-size 2 --attacks key-interception-flip,fine-tuning:2,fine-tuning:4,quantization:4 \
  --out "$work/attacks" > "$work/attacks.log"
python3 - "$work/attacks" <<'PY'
import json, math, os, sys
out = sys.argv[1]
rows = json.load(open(os.path.join(out, "evaluation.json")))["rows"]
by = {r["family"]: r for r in rows}
assert by["none"]["bitErrorRate"] == 0 and by["none"]["detected"], by["none"]
flips = [r for r in rows if r["attack"].startswith("key interception: flip")]
assert flips and all(r["bitErrorRate"] == 1 for r in flips), flips
for r in rows:
    m = r["metrics"]
    assert m["bpp"] > 0 and math.isfinite(m["psnr"]) and m["psnr"] > 0, r
assert {"fine-tuning", "quantization"} <= set(by), sorted(by)
assert os.path.exists(os.path.join(out, "fine-tuning-psnr.svg")) and os.path.exists(os.path.join(out, "evaluation.csv"))
PY
echo "codec watermark: trained marked, verified, evaluate-codec rows (none, key flip, fine-tuning, quantization) checked"
