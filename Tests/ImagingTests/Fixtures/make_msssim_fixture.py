#!/usr/bin/env python3
"""Reference values for Tests/ImagingTests/MSSSIMReferenceTests.swift.

Builds the deterministic test images from the same integer formulas as
`ReferenceImages` in the Swift tests, computes SSIM and MS-SSIM with an
independent torch implementation of pytorch-msssim's algorithm (float64),
and, when the `pytorch_msssim` package is importable, cross-checks against
`pytorch_msssim.ms_ssim` / `pytorch_msssim.ssim` in float64 and float32.

Run:   /usr/bin/python3 Tests/ImagingTests/Fixtures/make_msssim_fixture.py
(with pytorch-msssim for the cross-check:
   python3 -m venv --system-site-packages /tmp/msv
   /tmp/msv/bin/pip install --no-deps pytorch-msssim
   /tmp/msv/bin/python Tests/ImagingTests/Fixtures/make_msssim_fixture.py)

Paste the printed constants into MSSSIMReferenceTests.swift.
"""

import torch
import torch.nn.functional as F

WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


# --- Deterministic images (must match ReferenceImages.swift) ---------------

def base_level(c, y, x, width, height):
    """8-bit level of the 'clean' pattern: rings, a ramp and a checkerboard."""
    cx, cy = width // 2, height // 2
    rings = ((x - cx) ** 2 + (y - cy) ** 2) // 37
    ramp = 3 * x // 2
    checker = ((x // 16 + y // 16) % 2) * 40
    return (rings + ramp + c * 60 + checker) % 256


def noise(c, y, x):
    """Deterministic pseudo-noise in -20...20."""
    h = (x * 73856093) ^ (y * 19349663) ^ (c * 83492791)
    return h % 41 - 20


def levels(width, height, noisy):
    out = torch.zeros(1, 3, height, width, dtype=torch.int64)
    for c in range(3):
        for y in range(height):
            for x in range(width):
                v = base_level(c, y, x, width, height)
                if noisy:
                    v = min(max(v + noise(c, y, x), 0), 255)
                out[0, c, y, x] = v
    return out


def as_unit_float32(lv):
    """v / 255 in float32 (what RGBImage(interleavedRGB8:) stores)."""
    return lv.to(torch.float32) / 255.0


def off_grid_float32(lv):
    """(4 v + 1) / 1024 in float32: exact, not on any 8-bit level."""
    return (lv * 4 + 1).to(torch.float32) / 1024.0


def quantize8(x32):
    """round(clamp(v, 0, 1) * 255) / 255, rounding in float32, ties to even."""
    return torch.round(torch.clamp(x32, 0.0, 1.0) * 255.0) / 255.0


# --- Independent MS-SSIM (pytorch-msssim semantics), float64 ---------------

def gauss_window(size=11, sigma=1.5, float32_taps=False):
    """Normalised 1-D Gaussian. pytorch-msssim builds it in float32 and casts
    it to the input dtype; float32_taps=True mimics that (cross-check only)."""
    coords = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(coords ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    if float32_taps:
        c = torch.arange(size, dtype=torch.float32) - size // 2
        g32 = torch.exp(-(c ** 2) / (2 * sigma ** 2))
        g = (g32 / g32.sum()).double()
    return g


def blur(x, g):
    """Separable valid Gaussian filter per channel."""
    c = x.shape[1]
    k = g.numel()
    x = F.conv2d(x, g.view(1, 1, k, 1).repeat(c, 1, 1, 1), groups=c)  # along H
    x = F.conv2d(x, g.view(1, 1, 1, k).repeat(c, 1, 1, 1), groups=c)  # along W
    return x


def ssim_terms(x, y, g, data_range=1.0):
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    mu1, mu2 = blur(x, g), blur(y, g)
    s11 = blur(x * x, g) - mu1 * mu1
    s22 = blur(y * y, g) - mu2 * mu2
    s12 = blur(x * y, g) - mu1 * mu2
    cs_map = (2 * s12 + c2) / (s11 + s22 + c2)
    ssim_map = (2 * mu1 * mu2 + c1) / (mu1 * mu1 + mu2 * mu2 + c1) * cs_map
    return ssim_map.flatten(2).mean(-1), cs_map.flatten(2).mean(-1)  # (N, C)


def my_ssim(x, y, float32_taps=False):
    s, _ = ssim_terms(x, y, gauss_window(float32_taps=float32_taps))
    return s.mean().item()


def my_ms_ssim(x, y, float32_taps=False):
    g = gauss_window(float32_taps=float32_taps)
    assert min(x.shape[-2:]) > 160
    factors = []
    for level in range(len(WEIGHTS)):
        s, cs = ssim_terms(x, y, g)
        if level < len(WEIGHTS) - 1:
            factors.append(torch.relu(cs))
            pad = [d % 2 for d in x.shape[2:]]
            x = F.avg_pool2d(x, kernel_size=2, padding=pad)  # count_include_pad=True
            y = F.avg_pool2d(y, kernel_size=2, padding=pad)
    factors.append(torch.relu(s))
    w = torch.tensor(WEIGHTS, dtype=torch.float64).view(-1, 1, 1)
    return torch.prod(torch.stack(factors) ** w, dim=0).mean().item()


def main():
    try:
        import pytorch_msssim
    except ImportError:
        pytorch_msssim = None
        print("// pytorch_msssim not importable: no cross-check")

    # (name, x, y in float64 as the Swift code sees them, same in float32
    # for the pytorch_msssim float32 cross-check). In the default
    # .quantized8Bit domain Swift uses level / 255 computed in double.
    cases = []
    for (w, h) in [(192, 176), (171, 165)]:
        clean = levels(w, h, noisy=False)
        noisy = levels(w, h, noisy=True)
        a32 = as_unit_float32(clean)
        cases.append((f"noisy{w}x{h}", clean.double() / 255, noisy.double() / 255,
                      a32, as_unit_float32(noisy)))
        if (w, h) == (171, 165):
            off32 = off_grid_float32(noisy)
            # .float domain: the raw float32 samples, widened exactly.
            cases.append((f"offGrid{w}x{h}Float", a32.double(), off32.double(), a32, off32))
            # .quantized8Bit domain: levels rounded in float32, then / 255.
            q_off = torch.round(torch.clamp(off32, 0.0, 1.0) * 255.0).double()
            cases.append((f"offGrid{w}x{h}Quantized", clean.double() / 255, q_off / 255,
                          quantize8(a32), quantize8(off32)))

    for name, x, y, x32, y32 in cases:
        ms = my_ms_ssim(x, y)
        ss = my_ssim(x, y)
        print(f"// {name}")
        print(f"static let msssim_{name} = {ms!r}")
        print(f"static let ssim_{name} = {ss!r}")
        if pytorch_msssim is not None:
            ref64 = pytorch_msssim.ms_ssim(x, y, data_range=1.0).item()
            ref32 = pytorch_msssim.ms_ssim(x32, y32, data_range=1.0).item()
            ref255 = pytorch_msssim.ms_ssim(x * 255, y * 255, data_range=255).item()
            sref64 = pytorch_msssim.ssim(x, y, data_range=1.0).item()
            # Same algorithm with pytorch-msssim's float32 window taps: must
            # agree to rounding; the exact float64 window moves the result by
            # ~1e-7 (MS-SSIM) / ~1e-6 (SSIM).
            ms_taps = my_ms_ssim(x, y, float32_taps=True)
            ss_taps = my_ssim(x, y, float32_taps=True)
            print(f"//   pytorch_msssim: float64 {ref64!r} (diff {abs(ref64 - ms):.1e}), "
                  f"float32 {ref32!r} (diff {abs(ref32 - ms):.1e}), "
                  f"data_range 255 diff {abs(ref255 - ms):.1e}, "
                  f"ssim diff {abs(sref64 - ss):.1e}; "
                  f"with float32 taps: diff {abs(ref64 - ms_taps):.1e} / {abs(sref64 - ss_taps):.1e}")
            assert abs(ref64 - ms_taps) < 1e-12 and abs(sref64 - ss_taps) < 1e-12
            assert abs(ref255 - ref64) < 1e-12
            assert abs(ref64 - ms) < 1e-5 and abs(ref32 - ms) < 1e-5 and abs(sref64 - ss) < 1e-5


if __name__ == "__main__":
    main()
