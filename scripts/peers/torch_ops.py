#!/usr/bin/env python3
"""PyTorch side of `lichen-bench torch`: the same shapes, timed the same way.

Run with Debian's python3-torch (/usr/bin/python3). Prints one JSON object
per case: {"case": ..., "seconds": median, "unit": "s"}.
Usage: torch_ops.py THREADS REPEATS
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.set_num_threads(threads)
torch.manual_seed(0)


def timed(fn, repeats):
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def conv_case(n, cin, cout, k, stride, size):
    x = torch.randn(n, cin, size, size, requires_grad=True)
    w = torch.randn(cout, cin, k, k, requires_grad=True)
    b = torch.randn(cout, requires_grad=True)

    def run():
        x.grad = w.grad = b.grad = None
        y = F.conv2d(x, w, b, stride=stride, padding=k // 2)
        y.sum().backward()

    return run


def tconv_case(n, cin, cout, k, stride, out_size):
    x = torch.randn(n, cin, out_size // stride, out_size // stride, requires_grad=True)
    w = torch.randn(cin, cout, k, k, requires_grad=True)
    b = torch.randn(cout, requires_grad=True)

    def run():
        x.grad = w.grad = b.grad = None
        y = F.conv_transpose2d(x, w, b, stride=stride, padding=k // 2, output_padding=stride - 1)
        y.sum().backward()

    return run


cases = {
    "conv2d 3->128 k5 s2 256x256 fwd+bwd": conv_case(8, 3, 128, 5, 2, 256),
    "conv2d 128->128 k5 s2 128x128 fwd+bwd": conv_case(8, 128, 128, 5, 2, 128),
    "conv2d 128->128 k3 s1 64x64 fwd+bwd": conv_case(8, 128, 128, 3, 1, 64),
    "conv_transpose2d 128->128 k5 s2 out256x256 fwd+bwd": tconv_case(8, 128, 128, 5, 2, 256),
}
for name, fn in cases.items():
    print(json.dumps({"case": name, "seconds": timed(fn, repeats), "unit": "s"}), flush=True)

a = torch.ones(4)
b = torch.ones(4)


def tiny_adds():
    for _ in range(10000):
        torch.add(a, b)


print(json.dumps({"case": "tiny add overhead", "seconds": timed(tiny_adds, repeats) / 10000, "unit": "s"}), flush=True)
