#!/usr/bin/env python3
"""Makes the CompressAI reference fixtures that pin Lichen's codecs to CompressAI.

  make_compressai_fixture.py             ScaleHyperprior(8, 12): hyperprior_n8_m12*
  make_compressai_fixture.py mean-scale  MeanScaleHyperprior(8, 12): meanscale_n8_m12*

Needs CompressAI 1.2.8 on Debian's python3-torch (see docs/PEERS-setup in
scripts/peers/setup_compressai.sh). Writes, next to this script:
  hyperprior_n8_m12.pth         torch.save(model.state_dict()) after update()
  hyperprior_n8_m12_expected.safetensors
      x, y, z, y_hat, z_hat, y_likelihoods, z_likelihoods, x_hat (eval mode),
      y_string, z_string (CompressAI's compress() bytes as uint8),
      bpp (likelihood estimate) as a 0-d float64 tensor
The Swift tests never run this script; they read its outputs.
"""
import json
import math
import os
import struct

import sys

import torch
from compressai.models import MeanScaleHyperprior, ScaleHyperprior

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1234)
torch.set_num_threads(1)

mean_scale = sys.argv[1:] == ["mean-scale"]
stem = "meanscale_n8_m12" if mean_scale else "hyperprior_n8_m12"
model = (MeanScaleHyperprior if mean_scale else ScaleHyperprior)(8, 12)
# Spread the quantiles a little so the bottleneck tables are not all alike.
with torch.no_grad():
    model.entropy_bottleneck.quantiles.add_(torch.randn_like(model.entropy_bottleneck.quantiles) * 0.5)
model.update(force=True)
model.eval()

g = torch.Generator().manual_seed(99)
x = torch.rand(1, 3, 128, 128, generator=g)
with torch.no_grad():
    y = model.g_a(x)
    z = model.h_a(y if mean_scale else torch.abs(y))
    z_hat, z_lik = model.entropy_bottleneck(z)
    if mean_scale:
        scales, means = model.h_s(z_hat).chunk(2, 1)
        y_hat, y_lik = model.gaussian_conditional(y, scales, means=means)
    else:
        scales, means = model.h_s(z_hat), None
        y_hat, y_lik = model.gaussian_conditional(y, scales)
    x_hat = model.g_s(y_hat)
    out = model.compress(x)
bpp = (torch.log(y_lik).sum() + torch.log(z_lik).sum()) / (-math.log(2) * 128 * 128)

torch.save(model.state_dict(), os.path.join(here, stem + ".pth"))

tensors = {
    "x": x, "y": y, "z": z, "y_hat": y_hat, "z_hat": z_hat, "y_likelihoods": y_lik,
    "z_likelihoods": z_lik, "x_hat": x_hat, "scales": scales,
    "y_string": torch.tensor(list(out["strings"][0][0]), dtype=torch.uint8),
    "z_string": torch.tensor(list(out["strings"][1][0]), dtype=torch.uint8),
    "bpp": torch.tensor(float(bpp), dtype=torch.float64),
}
if means is not None:
    tensors["means"] = means

# safetensors writer (the format: u64 header length, JSON header, raw data).
names = {torch.float32: "F32", torch.float64: "F64", torch.uint8: "U8", torch.int32: "I32"}
header, blobs, offset = {}, [], 0
for name in sorted(tensors):
    t = tensors[name].contiguous()
    data = t.numpy().tobytes()
    header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
header["__metadata__"] = {"source": "compressai 1.2.8 %s(8, 12), seed 1234" % type(model).__name__}
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open(os.path.join(here, stem + "_expected.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for b in blobs:
        f.write(b)
print("y", tuple(y.shape), "z", tuple(z.shape), "bytes", len(out["strings"][0][0]), len(out["strings"][1][0]))
