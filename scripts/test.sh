#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, build, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
python3 scripts/target-graph.py --check
swift build --build-tests
swift test --skip-build
bash scripts/check-integer-engine.sh .build/debug/lichen
bash scripts/check-distributed.sh .build/debug/lichen
bash scripts/check-segmentation.sh .build/debug/lichen
bash scripts/check-codec-watermark.sh .build/debug/lichen
