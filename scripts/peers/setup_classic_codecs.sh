#!/usr/bin/env bash
# Installs the classic codecs' command-line tools (Debian 12 packages) and the
# Python modules scripts/peers/classic_codecs.py uses. Idempotent and quick
# when done. Only needed to regenerate docs/results/classic; Lichen's build and
# tests do not use these tools.
set -euo pipefail
packages=(libjpeg-turbo-progs libopenjp2-tools webp libavif-bin libjxl-tools libheif-examples
          python3-pil python3-numpy python3-scipy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup_classic_codecs: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
