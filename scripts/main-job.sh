#!/usr/bin/env bash
# The main job on a fresh machine: install, build, then compress and
# decompress the bundled sample photo with the default bundled model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product lichen
out=$(mktemp -d)
.build/release/lichen --version
.build/release/lichen models
.build/release/lichen compress samples/kodim23.png -o "$out/kodim23.lic"
.build/release/lichen decompress "$out/kodim23.lic" -o "$out/kodim23.png" --reference samples/kodim23.png
echo "outputs in $out"
