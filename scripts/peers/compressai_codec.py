#!/usr/bin/env python3
"""CompressAI side of `lichen-bench codec`: same model, image, threads and timing.

Needs CompressAI 1.2.8 on Debian's python3-torch (scripts/peers/setup_compressai.sh).
Usage: compressai_codec.py IMAGE THREADS REPEATS
Prints one JSON object per case: {"case": ..., "seconds": median, "unit": "s"}.
"""
import json
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image
from compressai.models import ScaleHyperprior

image_path, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)


def timed(fn):
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


model = ScaleHyperprior(128, 192)
model.update(force=True)
model.eval()
rgb = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.float32) / 255.0
x = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).contiguous()
h, w = x.shape[2], x.shape[3]
ph, pw = (64 - h % 64) % 64, (64 - w % 64) % 64
x = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="replicate")

with torch.no_grad():
    compressed = model.compress(x)
    encode = timed(lambda: model.compress(x))
    decode = timed(lambda: model.decompress(compressed["strings"], compressed["shape"]))
print(json.dumps({"case": "hyperprior N=128 M=192 encode kodim01", "seconds": encode, "unit": "s"}), flush=True)
print(json.dumps({"case": "hyperprior N=128 M=192 decode kodim01", "seconds": decode, "unit": "s"}), flush=True)

train_model = ScaleHyperprior(128, 192)
train_model.train()
params = [p for n, p in train_model.named_parameters() if not n.endswith(".quantiles")]
aux_params = [p for n, p in train_model.named_parameters() if n.endswith(".quantiles")]
opt = torch.optim.Adam(params, lr=1e-4)
aux_opt = torch.optim.Adam(aux_params, lr=1e-3)
batch = torch.rand(8, 3, 256, 256, generator=torch.Generator().manual_seed(1))


def train_step():
    opt.zero_grad()
    aux_opt.zero_grad()
    out = train_model(batch)
    n, _, hh, ww = batch.shape
    bpp = sum(torch.log(l).sum() for l in out["likelihoods"].values()) / (-np.log(2) * n * hh * ww)
    loss = 0.013 * 255 ** 2 * torch.nn.functional.mse_loss(out["x_hat"], batch) + bpp
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    aux = train_model.aux_loss()
    aux.backward()
    aux_opt.step()


print(json.dumps({"case": "hyperprior N=128 M=192 train step batch 8 256x256", "seconds": timed(train_step), "unit": "s"}), flush=True)
