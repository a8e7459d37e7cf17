#!/usr/bin/env bash
# Sets up CompressAI 1.2.8 on Debian's torch 1.13 in a venv (peer benchmarks and fixtures only).
set -euo pipefail
VENV=${LICHEN_PEER_VENV:-/opt/lichen-peer-venv}
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends python3-torch python3-torchvision python3-pil python3-scipy \
  python3-pandas python3-venv >/dev/null
[ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$VENV"
"$VENV/bin/pip" install -q --no-deps compressai==1.2.8
"$VENV/bin/pip" install -q --no-deps tqdm einops pytorch-msssim torch-geometric==2.3.1
"$VENV/bin/python" -c 'import compressai; print("compressai", compressai.__version__, compressai.available_entropy_coders())'
