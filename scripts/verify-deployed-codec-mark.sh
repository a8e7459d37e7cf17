#!/usr/bin/env bash
# Reads a marked codec's watermark from every copy that ships: the hybrid and int8 integer models
# (`lichen quantize`, made once beside the model), the HLS export of the int8 model (`fpga
# export-hls`) and the float model itself; prints one `watermark verify` report per copy.
# Usage: scripts/verify-deployed-codec-mark.sh MARKED_RUN MESSAGE   (MARKED_RUN holds model.safetensors and key.json)
# Env: LICHEN (binary), PHOTOS (calibration photos), CALIB_COUNT (default: quantize's), THREADS (default 1).
set -euo pipefail
marked=${1:?usage: verify-deployed-codec-mark.sh MARKED_RUN MESSAGE}
message=${2:?usage: verify-deployed-codec-mark.sh MARKED_RUN MESSAGE}
lichen=${LICHEN:-.build/release/lichen}
photos=${PHOTOS:-../shared/data/photos-train}
verify() { "$lichen" watermark verify --model "$1" --key "$marked/key.json" --message "$message" || true; }
for scheme in hybrid int8; do
  [ -f "$marked/$scheme.safetensors" ] || "$lichen" quantize --threads "${THREADS:-1}" --model "$marked/model.safetensors" \
    --scheme $scheme --calib "$photos" ${CALIB_COUNT:+--calib-count $CALIB_COUNT} --out "$marked/$scheme.safetensors" | tail -1
  echo "-- $scheme integer model"
  verify "$marked/$scheme.safetensors"
done
[ -d "$marked/hls" ] || "$lichen" fpga export-hls --model "$marked/int8.safetensors" --out "$marked/hls" | tail -1
echo "-- HLS export (int8)"
verify "$marked/hls"
echo "-- float model"
verify "$marked/model.safetensors"
