#!/usr/bin/python3
"""Rate-distortion points of classic image codecs, in `lichen eval --json` format.

For each codec and quality setting this encodes every image of a folder with
the codec's reference command-line tools, decodes it back, and measures the
real file size (bpp = bytes * 8 / pixels), RGB PSNR on 8-bit values and
MS-SSIM. One JSON file per (codec, quality) is written, exactly the schema of
`lichen eval --json` (Sources/Compression/Evaluation/Evaluation.swift), so
`lichen rd-plot` can read classic and learned codecs alike.

Usage:
  /usr/bin/python3 scripts/peers/classic_codecs.py --kodak /work/shared/data/kodak \
      --out docs/results/classic [--codecs jpeg,jpeg2000,webp,avif,jxl,hevc] [--images N]

Tools come from Debian packages (scripts/peers/setup_classic_codecs.sh). A
codec whose tools are missing is skipped with a message. Every tool runs
single-threaded where it has a switch for it, so the JSON's `threads` is 1.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image
from scipy.ndimage import correlate1d


# ---------------------------------------------------------------------------
# Codecs: each has the tools it needs, its quality ladder (6-8 settings that
# span about 0.1-2 bpp on Kodak), and encode/decode command lines. `{src}` is
# the input (PNG or PPM, see `input`), `{bits}` the bitstream, `{dst}` the
# decoded image.
# ---------------------------------------------------------------------------

CODECS = {
    # libjpeg-turbo defaults: 4:2:0, baseline Huffman (no -optimize), as the
    # "fair settings" of the peer notes say. cjpeg 2.x reads PPM, not PNG.
    "jpeg": {
        "tools": ["cjpeg", "djpeg"],
        "input": "ppm",
        "ext": "jpg",
        "out": "ppm",
        "settings": [5, 10, 20, 35, 50, 70, 85, 92],
        "label": lambda q: f"q{q}",
        "encode": lambda q: ["cjpeg", "-quality", str(q), "-outfile", "{bits}", "{src}"],
        "decode": ["djpeg", "-outfile", "{dst}", "{bits}"],
    },
    # OpenJPEG, one quality layer at compression ratio R (bpp = 24 / R),
    # irreversible 9/7 wavelet with the colour transform.
    "jpeg2000": {
        "tools": ["opj_compress", "opj_decompress"],
        "input": "ppm",
        "ext": "jp2",
        "out": "ppm",
        "settings": [12, 20, 32, 48, 72, 112, 170, 240],
        "label": lambda r: f"r{r}",
        "encode": lambda r: ["opj_compress", "-i", "{src}", "-o", "{bits}", "-r", str(r), "-I"],
        "decode": ["opj_decompress", "-i", "{bits}", "-o", "{dst}"],
    },
    # libwebp lossy, default method 4 and 4:2:0 (WebP lossy has no 4:4:4).
    "webp": {
        "tools": ["cwebp", "dwebp"],
        "input": "png",
        "ext": "webp",
        "out": "ppm",
        "settings": [0, 10, 30, 50, 70, 85, 92],
        "label": lambda q: f"q{q}",
        "encode": lambda q: ["cwebp", "-quiet", "-q", str(q), "{src}", "-o", "{bits}"],
        "decode": ["dwebp", "-quiet", "{bits}", "-ppm", "-o", "{dst}"],
    },
    # libavif + libaom, speed 6, 4:4:4, a fixed quantizer Q (0-63) for colour.
    # avifenc 0.11 (Debian 12) has --min/--max; newer versions spell it -q.
    "avif": {
        "tools": ["avifenc", "avifdec"],
        "input": "png",
        "ext": "avif",
        "out": "png",
        "settings": [12, 20, 28, 36, 44, 52, 60],
        "label": lambda q: f"q{q}",
        "encode": lambda q: ["avifenc", "-j", "1", "-s", "6", "-y", "444", "--min", str(q), "--max", str(q),
                             "{src}", "{bits}"],
        "decode": ["avifdec", "-j", "1", "-d", "8", "{bits}", "{dst}"],
    },
    # libjxl, butteraugli distance D, default effort 7.
    "jxl": {
        "tools": ["cjxl", "djxl"],
        "input": "png",
        "ext": "jxl",
        "out": "ppm",
        "settings": [0.7, 1.0, 1.5, 2.5, 4.0, 6.0, 10.0, 16.0],
        "label": lambda d: f"d{d:g}",
        "encode": lambda d: ["cjxl", "{src}", "{bits}", "-d", f"{d:g}", "--num_threads=1", "--quiet"],
        "decode": ["djxl", "{bits}", "{dst}", "--num_threads=1", "--quiet"],
    },
    # HEVC intra (x265 via libheif) in 4:4:4 at libheif quality Q.
    "hevc": {
        "tools": ["heif-enc", "heif-convert"],
        "input": "png",
        "ext": "heic",
        "out": "png",
        "settings": [12, 20, 28, 36, 44, 52, 60],
        "label": lambda q: f"q{q}",
        "encode": lambda q: ["heif-enc", "-q", str(q), "-p", "chroma=444", "-p", "x265:pools=1", "-o", "{bits}",
                             "{src}"],
        "decode": ["heif-convert", "--quiet", "{bits}", "{dst}"],
    },
}


# ---------------------------------------------------------------------------
# Metrics, on 8-bit RGB arrays (H, W, 3).
# ---------------------------------------------------------------------------

def psnr(a, b):
    """RGB PSNR: MSE over all three channels of 8-bit values."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def _gaussian_window(size=11, sigma=1.5):
    x = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(x ** 2) / (2 * sigma ** 2))
    return g / g.sum()


_WINDOW = _gaussian_window()
_WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])


def _filter_valid(x):
    """Separable Gaussian filtering of (C, H, W) keeping only 'valid' outputs."""
    half = len(_WINDOW) // 2
    y = correlate1d(x, _WINDOW, axis=1, mode="constant")[:, half:-half, :]
    return correlate1d(y, _WINDOW, axis=2, mode="constant")[:, :, half:-half]


def _ssim_and_cs(x, y, data_range=255.0):
    """Per-channel mean SSIM and contrast-structure terms (pytorch-msssim `_ssim`)."""
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    # One filtering pass over all five moments of all channels.
    mu1, mu2, xx, yy, xy = np.split(_filter_valid(np.concatenate([x, y, x * x, y * y, x * y])), 5)
    s11 = xx - mu1 * mu1
    s22 = yy - mu2 * mu2
    s12 = xy - mu1 * mu2
    cs_map = (2 * s12 + c2) / (s11 + s22 + c2)
    ssim_map = (2 * mu1 * mu2 + c1) / (mu1 * mu1 + mu2 * mu2 + c1) * cs_map
    return ssim_map.mean(axis=(1, 2)), cs_map.mean(axis=(1, 2))


def _avg_pool2(x):
    """2x2 average pooling, zero padding of (size % 2) and counting the pad,
    as torch's avg_pool2d(kernel 2, padding=s % 2) in pytorch-msssim."""
    _, h, w = x.shape
    ph, pw = h % 2, w % 2
    if ph or pw:
        x = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    h2, w2 = x.shape[1] // 2, x.shape[2] // 2
    x = x[:, : 2 * h2, : 2 * w2]
    return x.reshape(x.shape[0], h2, 2, w2, 2).mean(axis=(2, 4))


def ms_ssim(a, b):
    """MS-SSIM of two 8-bit RGB images (data range 255), 5 scales, as pytorch-msssim."""
    x = a.astype(np.float64).transpose(2, 0, 1)
    y = b.astype(np.float64).transpose(2, 0, 1)
    mcs = []
    for level in range(len(_WEIGHTS)):
        ssim, cs = _ssim_and_cs(x, y)
        if level < len(_WEIGHTS) - 1:
            mcs.append(np.maximum(cs, 0))
            x, y = _avg_pool2(x), _avg_pool2(y)
    values = np.stack(mcs + [np.maximum(ssim, 0)])  # (levels, C)
    per_channel = np.prod(values ** _WEIGHTS[:, None], axis=0)
    return float(per_channel.mean())


# ---------------------------------------------------------------------------
# Running the tools.
# ---------------------------------------------------------------------------

def _fill(args, **paths):
    return [a.format(**paths) for a in args]


def _run(args):
    """Runs one tool; returns its wall time (process start and file I/O included)."""
    t0 = time.perf_counter()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    return elapsed


def code_image(codec, setting, src, reference, work, with_ms_ssim=True):
    """Encodes, decodes and measures one image; returns an ImageResult row."""
    bits = os.path.join(work, "bits." + codec["ext"])
    dst = os.path.join(work, "decoded." + codec["out"])
    for path in (bits, dst):
        if os.path.exists(path):
            os.remove(path)
    encode_seconds = _run(_fill(codec["encode"](setting), src=src, bits=bits))
    decode_seconds = _run(_fill(codec["decode"], src=src, bits=bits, dst=dst))
    with Image.open(dst) as im:
        decoded = np.asarray(im.convert("RGB"))
    if decoded.shape != reference.shape:
        raise RuntimeError(f"decoded size {decoded.shape} differs from the original {reference.shape}")
    height, width = reference.shape[:2]
    size = os.path.getsize(bits)
    bpp = size * 8 / (width * height)
    return {
        "width": width,
        "height": height,
        "bytes": size,
        "bpp": bpp,
        # Classic codecs have no likelihood model: the estimate is the real rate.
        "estimated_bpp": bpp,
        "psnr": psnr(reference, decoded),
        # Same rule as lichen eval: pytorch-msssim needs over 160 pixels a side.
        "ms_ssim": ms_ssim(reference, decoded) if with_ms_ssim and min(width, height) > 160 else None,
        "encode_seconds": encode_seconds,
        "decode_seconds": decode_seconds,
    }


def summarize(model, dataset, rows):
    """Same means as EvaluationReport.summarize in Swift."""
    def avg(key):
        return sum(r[key] for r in rows) / max(1, len(rows))
    ssims = [r["ms_ssim"] for r in rows if r.get("ms_ssim") is not None]
    mean = {
        "name": "mean", "width": 0, "height": 0, "bytes": int(math.floor(avg("bytes") + 0.5)), "bpp": avg("bpp"),
        "estimated_bpp": avg("estimated_bpp"), "psnr": avg("psnr"),
        "ms_ssim": sum(ssims) / len(ssims) if ssims else None,
        "encode_seconds": avg("encode_seconds"), "decode_seconds": avg("decode_seconds"),
    }
    return {"model": model, "dataset": dataset, "threads": 1, "images": rows, "mean": mean}


def _clean(row):
    """Drops a missing MS-SSIM, as Swift's JSONEncoder omits a nil optional."""
    return {k: v for k, v in row.items() if v is not None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kodak", required=True, help="folder of PNG images (e.g. Kodak)")
    parser.add_argument("--out", required=True, help="folder for the JSON files")
    parser.add_argument("--codecs", default=",".join(CODECS), help="comma-separated, of: " + ", ".join(CODECS))
    parser.add_argument("--images", type=int, help="use only the first N images")
    parser.add_argument("--no-ms-ssim", action="store_true",
                        help="skip MS-SSIM (about half the run time; the files then have no ms_ssim)")
    args = parser.parse_args()

    names = sorted(n for n in os.listdir(args.kodak) if n.lower().endswith(".png"))
    if args.images is not None:
        names = names[: args.images]
    if not names:
        sys.exit(f"no PNG images in {args.kodak}")
    wanted = [c.strip() for c in args.codecs.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in CODECS]
    if unknown:
        sys.exit(f"unknown codecs {unknown}; known: {', '.join(CODECS)}")
    os.makedirs(args.out, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="classic-codecs-") as work:
        # Originals once, as PNG (untouched) and as PPM for the tools that need it.
        images = []
        for name in names:
            path = os.path.join(args.kodak, name)
            with Image.open(path) as im:
                rgb = np.asarray(im.convert("RGB"))
            ppm = os.path.join(work, os.path.splitext(name)[0] + ".ppm")
            Image.fromarray(rgb).save(ppm)
            images.append((name, path, ppm, rgb))

        for key in wanted:
            codec = CODECS[key]
            missing = [t for t in codec["tools"] if shutil.which(t) is None]
            if missing:
                print(f"{key}: skipped, missing {', '.join(missing)} (see scripts/peers/setup_classic_codecs.sh)",
                      flush=True)
                continue
            for setting in codec["settings"]:
                model = f"{key}-{codec['label'](setting)}"
                rows = []
                for name, png, ppm, rgb in images:
                    src = ppm if codec["input"] == "ppm" else png
                    row = code_image(codec, setting, src, rgb, work, with_ms_ssim=not args.no_ms_ssim)
                    rows.append(_clean({"name": name, **row}))
                report = summarize(model, args.kodak, rows)
                report["mean"] = _clean(report["mean"])
                with open(os.path.join(args.out, model + ".json"), "w") as f:
                    json.dump(report, f, indent=2, sort_keys=True)
                    f.write("\n")
                m = report["mean"]
                print(f"{model:>14}: {len(rows)} images  {m['bpp']:.4f} bpp  {m['psnr']:.2f} dB  "
                      f"MS-SSIM {m.get('ms_ssim', float('nan')):.4f}  enc {m['encode_seconds']:.3f} s  "
                      f"dec {m['decode_seconds']:.3f} s", flush=True)


if __name__ == "__main__":
    main()
