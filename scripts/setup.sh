#!/usr/bin/env bash
# Installs what Lichen needs on a Debian 12 machine; idempotent and quick when done.
set -euo pipefail
packages=(libtorch-dev libgloo-dev libopenblas0 libpng-dev zlib1g-dev pkg-config dataset-fashion-mnist iverilog yosys python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Optional: Debian's PyTorch, used only by fixture scripts and peer benchmarks.
if [ "${LICHEN_WITH_PEERS:-0}" = 1 ] && ! dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q "install ok installed"; then
  apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected the Swift 6 toolchain)" >&2; exit 1; }
