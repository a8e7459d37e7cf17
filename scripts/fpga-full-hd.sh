#!/usr/bin/env bash
# Full HD on the ZCU102: the N=64 student quantized to int8 (every weight,
# activation and GDN parameter in 8 bits), planned on the board at
# 1920x1080, simulated on a real 1920x1080 frame (bit-exact with the integer
# engine, cycles against the planner), dimensioned over N, the 4K plans on
# the Alveo U250, and the RD price of the int8 bits on Kodak.
# Usage: scripts/fpga-full-hd.sh   (writes docs/results/fpga/full-hd)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${LICHEN_DATA:-../shared/data}
threads=${LICHEN_THREADS:-2}
out=docs/results/fpga/full-hd
models=${LICHEN_FPGA_MODELS:-runs/fpga}
mkdir -p "$out" "$models"
lichen=${LICHEN:-.build/release/lichen}
[ -n "${LICHEN:-}" ] || swift build -c release --product lichen
model="$models/hyperprior-q4-n64-int8.safetensors"
$lichen quantize --model hyperprior-q4-n64 --scheme int8 --calib "$data/photos-train" --calib-count 16 --threads "$threads" \
  --out "$model" --report "$out/quantize-report.json" | tail -1
for part in encoder decoder; do
  $lichen fpga plan --model "$model" --board zcu102 --resolution 1920x1080 --part "$part" --threads "$threads" \
    --json "$out/zcu102-1080p-$part-plan.json" --svg "$out/zcu102-1080p-$part-plan.svg" > "$out/zcu102-1080p-$part-plan.txt"
  $lichen fpga simulate --plan "$out/zcu102-1080p-$part-plan.json" --model "$model" --image "$data/hd/water-1080p.png" \
    --threads "$threads" --json "$out/zcu102-1080p-$part-simulation.json" > "$out/zcu102-1080p-$part-simulation.txt"
  $lichen fpga dimension --teacher hyperprior-q4 --scheme int8 --board zcu102 --resolution 1920x1080 --fps 30 --part "$part" \
    --bits-price docs/results/integer/bd-vs-float.csv \
    --threads "$threads" --json "$out/zcu102-1080p-$part-dimension.json" > "$out/zcu102-1080p-$part-dimension.txt" 2>&1
  $lichen fpga plan --model "$model" --board alveo-u250 --resolution 3840x2160 --part "$part" --threads "$threads" \
    --json "$out/u250-2160p-$part-plan.json" > "$out/u250-2160p-$part-plan.txt"
done
# int8-s16 with channel equalization across the GDNs (docs/quantization.md): every product still 8x8,
# the scales into the comparators 16-bit; planned, simulated on the frame and coded on Kodak.
equalized="$models/hyperprior-q4-n64-int8-s16-eq1.safetensors"
$lichen quantize --model hyperprior-q4-n64 --scheme int8-s16 --equalize 1 --calib "$data/photos-train" --calib-count 16 \
  --threads "$threads" --out "$equalized" --report "$out/quantize-report-int8-s16-eq1.json" | tail -1
for part in encoder decoder; do
  $lichen fpga plan --model "$equalized" --board zcu102 --resolution 1920x1080 --part "$part" --threads "$threads" \
    --json "$out/zcu102-1080p-$part-int8-s16-eq1-plan.json" > "$out/zcu102-1080p-$part-int8-s16-eq1-plan.txt"
  $lichen fpga simulate --plan "$out/zcu102-1080p-$part-int8-s16-eq1-plan.json" --model "$equalized" \
    --image "$data/hd/water-1080p.png" --threads "$threads" --json "$out/zcu102-1080p-$part-int8-s16-eq1-simulation.json" \
    > "$out/zcu102-1080p-$part-int8-s16-eq1-simulation.txt"
done
$lichen eval --model "$equalized" --data "$data/kodak" --threads "$threads" --json "$out/kodak-int8-s16-eq1.json" | tail -1
# The same student with other bit widths on the same board (bits from the scheme, no model file needed).
for scheme in int8-s16 hybrid-a8 hybrid; do
  for part in encoder decoder; do
    $lichen fpga plan --model hyperprior-q4-n64 --scheme "$scheme" --board zcu102 --resolution 1920x1080 --part "$part" \
      --threads "$threads" > "$out/zcu102-1080p-$part-$scheme-plan.txt"
  done
done
# The RD price of int8: the integer model against its float student on all 24 Kodak images.
$lichen eval --engine float --model hyperprior-q4-n64 --data "$data/kodak" --threads "$threads" --json "$out/kodak-float.json" | tail -1
$lichen eval --model "$model" --data "$data/kodak" --threads "$threads" --json "$out/kodak-int8.json" | tail -1
grep -H -E "^bottleneck" "$out"/*-plan.txt
grep -h -E "^bit-identical|^cycles per frame" "$out"/*-simulation.txt
