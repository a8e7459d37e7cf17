#!/usr/bin/env python3
"""Records measured Kodak RD of bundled models for `lichen models`.

Usage: scripts/registry-kodak-rd.py NAME=EVAL.json [NAME=EVAL.json ...]
Each EVAL.json is a `lichen eval --json` file; its mean real-bitstream bpp,
PSNR and MS-SSIM are merged into Sources/Compression/Zoo/Weights/kodak-rd.json
(other models' rows are kept), which the model registry reads, so the numbers
it prints are the measured ones instead of hand copies.
"""
import json
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
table_path = os.path.join(root, "Sources/Compression/Zoo/Weights/kodak-rd.json")
table = json.load(open(table_path)) if os.path.exists(table_path) else {}
for argument in sys.argv[1:]:
    name, sep, path = argument.partition("=")
    if not sep:
        sys.exit(f"registry-kodak-rd: expected NAME=EVAL.json, got {argument!r}")
    evaluation = json.load(open(path))
    mean = evaluation["mean"]
    table[name] = {
        "bpp": round(mean["bpp"], 4),
        "psnr": round(mean["psnr"], 3),
        "ms_ssim": round(mean["ms_ssim"], 4),
        "images": len(evaluation["images"]),
        "evaluation": os.path.relpath(os.path.abspath(path), root),
    }
temporary = table_path + ".tmp"
with open(temporary, "w") as f:
    json.dump(table, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(temporary, table_path)
print(f"registry-kodak-rd: {len(sys.argv) - 1} rows written to {os.path.relpath(table_path, root)}")
