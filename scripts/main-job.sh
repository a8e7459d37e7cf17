#!/usr/bin/env bash
# The main job on a fresh machine: install, build, run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product lichen
.build/release/lichen --version
.build/release/lichen smoke --threads 2
