#!/usr/bin/env bash
# Evaluates every bundled model on Kodak (real bitstreams) and draws the RD
# plot against the classic codecs, with the BD table. Writes docs/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
kodak=${LICHEN_KODAK:-../shared/data/kodak}
swift build -c release --product lichen
for q in q2 q3 q4 q5; do
  .build/release/lichen eval --threads 2 --engine float --data "$kodak" --model "hyperprior-$q" --json "docs/results/hyperprior-$q.json" | tail -1
done
# What `lichen models` prints (rebuild to bundle it).
python3 scripts/registry-kodak-rd.py $(for q in q2 q3 q4 q5; do echo "hyperprior-$q=docs/results/hyperprior-$q.json"; done)
.build/release/lichen rd-plot docs/results/hyperprior-q?.json docs/results/classic --out docs/rd-kodak.svg \
  --table docs/results/rd-kodak-bd-psnr.csv --title "Kodak (24 images): Lichen bundled models vs classic codecs"
.build/release/lichen rd-plot docs/results/hyperprior-q?.json docs/results/classic --metric ms-ssim \
  --out docs/rd-kodak-ms-ssim.svg --table docs/results/rd-kodak-bd-ms-ssim.csv \
  --title "Kodak (24 images): Lichen bundled models vs classic codecs (MS-SSIM)"
# The same deltas with WebP as the anchor (docs/codec.md's WebP columns).
for metric in psnr ms-ssim; do
  .build/release/lichen rd-plot docs/results/hyperprior-q?.json docs/results/classic --anchor webp --metric "$metric" \
    --out "$(mktemp -d)/rd-vs-webp.svg" --table "docs/results/rd-kodak-bd-$metric-vs-webp.csv"
done
# BD-rate against every classic codec, plain and (when scripts/eval-refined.sh has run on these
# models) refined encoder (docs/codec.md).
mkdir -p docs/results/bd-vs-classic
refined=(docs/results/refined/hyperprior-q?-refined.json)
[ -f "${refined[0]}" ] || refined=()
for anchor in jpeg webp jxl jpeg2000 hevc avif; do
  .build/release/lichen rd-plot docs/results/hyperprior-q?.json "${refined[@]}" \
    docs/results/classic --anchor "$anchor" --out "$(mktemp -d)/rd.svg" \
    --table "docs/results/bd-vs-classic/bd-psnr-vs-$anchor.csv" > /dev/null
done
