#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension ImageMetrics {
  /// Multi-scale SSIM (Wang, Simoncelli & Bovik 2003), computed as the
  /// `pytorch-msssim` package (`ms_ssim`, used by CompressAI) does:
  ///
  /// - 11-tap Gaussian window, sigma 1.5, normalised to sum 1, applied
  ///   separably with no padding ("valid": each scale's maps are
  ///   `(H - 10) x (W - 10)`);
  /// - `C1 = (0.01 L)^2`, `C2 = (0.03 L)^2` with data range `L = 1`;
  /// - per channel, `cs` and `ssim` are the means of the contrast-structure
  ///   and SSIM maps; 5 scales with weights
  ///   `[0.0448, 0.2856, 0.3001, 0.2363, 0.1333]`;
  /// - between scales, 2x2 average pooling with stride 2 and, for an odd
  ///   side, one zero of padding on both ends of that side, counted in the
  ///   average (`F.avg_pool2d(x, 2, padding=[s % 2 for s in shape])`);
  /// - `relu` on the four `cs` values and the last-scale `ssim`, then
  ///   `prod(value_i ^ weight_i)` per channel, averaged over R, G, B.
  ///
  /// In `.quantized8Bit` (default) both images are first rounded to 8-bit
  /// levels (as CompressAI's codec evaluation does; equivalent to data
  /// range 255 on 0...255 values); `.float` uses the raw samples. Arithmetic
  /// and the window taps are in `Double`; pytorch-msssim builds its taps in
  /// float32 and computes in the input's precision, which moves its results
  /// by about 3e-7 on typical images.
  ///
  /// - Returns: a value in `[0, 1]`; exactly 1 for identical images.
  /// - Throws: ``ImagingError`` (`.sizeMismatch`) if the sizes differ,
  ///   (`.imageTooSmall`) unless both sides are greater than 160
  ///   (`(11 - 1) * 2^4`, needed for the four downsamplings).
  public static func msSSIM(
    _ reference: RGBImage, _ distorted: RGBImage, in domain: Domain = .quantized8Bit
  ) throws(ImagingError) -> Double {
    try checkSameSize(reference, distorted, metric: "MS-SSIM")
    let minimumSide = (SSIMKernel.windowSize - 1) * (1 << (SSIMKernel.msssimWeights.count - 1))
    guard min(reference.width, reference.height) > minimumSide else {
      throw ImagingError(
        .imageTooSmall,
        message: "MS-SSIM needs both sides larger than \(minimumSide) pixels (5 scales, 11x11 window), got \(reference.width)x\(reference.height)")
    }
    let a = samples(reference, in: domain)
    let b = samples(distorted, in: domain)
    let plane = reference.planeCount
    var total = 0.0
    for channel in 0..<RGBImage.channelCount {
      let range = channel * plane..<(channel + 1) * plane
      total += SSIMKernel.msSSIM(
        Array(a[range]), Array(b[range]), width: reference.width, height: reference.height)
    }
    return total / Double(RGBImage.channelCount)
  }

  /// Single-scale SSIM with the same window and constants as ``msSSIM(_:_:in:)``
  /// (`pytorch_msssim.ssim`, no `relu`): the mean SSIM map, averaged over
  /// channels.
  ///
  /// - Throws: ``ImagingError`` (`.sizeMismatch`) if the sizes differ,
  ///   (`.imageTooSmall`) if a side is shorter than 11.
  public static func ssim(
    _ reference: RGBImage, _ distorted: RGBImage, in domain: Domain = .quantized8Bit
  ) throws(ImagingError) -> Double {
    try checkSameSize(reference, distorted, metric: "SSIM")
    guard min(reference.width, reference.height) >= SSIMKernel.windowSize else {
      throw ImagingError(
        .imageTooSmall,
        message: "SSIM needs both sides at least \(SSIMKernel.windowSize) pixels, got \(reference.width)x\(reference.height)")
    }
    let a = samples(reference, in: domain)
    let b = samples(distorted, in: domain)
    let plane = reference.planeCount
    var total = 0.0
    for channel in 0..<RGBImage.channelCount {
      let range = channel * plane..<(channel + 1) * plane
      total += SSIMKernel.statistics(
        Array(a[range]), Array(b[range]), width: reference.width, height: reference.height
      ).ssim
    }
    return total / Double(RGBImage.channelCount)
  }
}

/// Single-channel SSIM machinery on `Double` planes with data range 1.
enum SSIMKernel {
  static let windowSize = 11
  static let sigma = 1.5
  static let c1 = 0.01 * 0.01
  static let c2 = 0.03 * 0.03
  static let msssimWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

  /// The normalised 1-D Gaussian window.
  static let window: [Double] = {
    let center = Double(windowSize / 2)
    let raw = (0..<windowSize).map { i -> Double in
      let d = Double(i) - center
      return exp(-(d * d) / (2 * sigma * sigma))
    }
    let sum = raw.reduce(0, +)
    return raw.map { $0 / sum }
  }()

  /// MS-SSIM of one channel. Both sides must exceed 160.
  static func msSSIM(_ x: [Double], _ y: [Double], width: Int, height: Int) -> Double {
    var (x, y, width, height) = (x, y, width, height)
    var result = 1.0
    for (level, weight) in msssimWeights.enumerated() {
      let stats = statistics(x, y, width: width, height: height)
      if level == msssimWeights.count - 1 {
        result *= pow(max(stats.ssim, 0), weight)
      } else {
        result *= pow(max(stats.cs, 0), weight)
        let (pooledWidth, pooledHeight) = pooledSize(width: width, height: height)
        x = averagePooled(x, width: width, height: height)
        y = averagePooled(y, width: width, height: height)
        (width, height) = (pooledWidth, pooledHeight)
      }
    }
    return result
  }

  /// Means of the SSIM map and of the contrast-structure map over the
  /// valid region. Both sides must be at least `windowSize`.
  static func statistics(_ x: [Double], _ y: [Double], width: Int, height: Int) -> (ssim: Double, cs: Double) {
    let outWidth = width - windowSize + 1
    let outHeight = height - windowSize + 1
    let rowCount = height * outWidth
    // Horizontal pass: five filtered planes (x, y, x^2, y^2, xy), each
    // height x outWidth, stored one after another.
    var horizontal = [Double](repeating: 0, count: 5 * rowCount)
    // Vertical accumulators for one output row.
    var rowSums = [Double](repeating: 0, count: 5 * outWidth)
    var ssimSum = 0.0
    var csSum = 0.0

    window.withUnsafeBufferPointer { g in
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeBufferPointer { yp in
          horizontal.withUnsafeMutableBufferPointer { h in
            guard let hBase = h.baseAddress, let xBase = xp.baseAddress, let yBase = yp.baseAddress else { return }
            for row in 0..<height {
              let hx = hBase + row * outWidth
              let hy = hx + rowCount
              let hxx = hy + rowCount
              let hyy = hxx + rowCount
              let hxy = hyy + rowCount
              let xr = xBase + row * width
              let yr = yBase + row * width
              for k in 0..<windowSize {
                let gk = g[k]
                for i in 0..<outWidth {
                  let xv = xr[i + k]
                  let yv = yr[i + k]
                  hx[i] += gk * xv
                  hy[i] += gk * yv
                  hxx[i] += gk * (xv * xv)
                  hyy[i] += gk * (yv * yv)
                  hxy[i] += gk * (xv * yv)
                }
              }
            }
          }
        }
      }
      horizontal.withUnsafeBufferPointer { h in
        rowSums.withUnsafeMutableBufferPointer { s in
          guard let hBase = h.baseAddress, let sBase = s.baseAddress else { return }
          let mx = sBase
          let my = mx + outWidth
          let sxx = my + outWidth
          let syy = sxx + outWidth
          let sxy = syy + outWidth
          for outRow in 0..<outHeight {
            s.update(repeating: 0)
            for k in 0..<windowSize {
              let gk = g[k]
              let hx = hBase + (outRow + k) * outWidth
              let hy = hx + rowCount
              let hxx = hy + rowCount
              let hyy = hxx + rowCount
              let hxy = hyy + rowCount
              for i in 0..<outWidth {
                mx[i] += gk * hx[i]
                my[i] += gk * hy[i]
                sxx[i] += gk * hxx[i]
                syy[i] += gk * hyy[i]
                sxy[i] += gk * hxy[i]
              }
            }
            for i in 0..<outWidth {
              let mu1 = mx[i]
              let mu2 = my[i]
              let mu1Sq = mu1 * mu1
              let mu2Sq = mu2 * mu2
              let mu12 = mu1 * mu2
              let sigma1Sq = sxx[i] - mu1Sq
              let sigma2Sq = syy[i] - mu2Sq
              let sigma12 = sxy[i] - mu12
              let cs = (2 * sigma12 + c2) / (sigma1Sq + sigma2Sq + c2)
              csSum += cs
              ssimSum += (2 * mu12 + c1) / (mu1Sq + mu2Sq + c1) * cs
            }
          }
        }
      }
    }
    let count = Double(outWidth * outHeight)
    return (ssimSum / count, csSum / count)
  }

  /// Output size of 2x2 / stride 2 pooling with `side % 2` padding per side.
  static func pooledSize(width: Int, height: Int) -> (width: Int, height: Int) {
    ((width + width % 2) / 2, (height + height % 2) / 2)
  }

  /// `F.avg_pool2d(kernel_size=2, padding=(h % 2, w % 2))` with the default
  /// `count_include_pad=True`: a padded side gets one zero column/row on
  /// each end, window `i` covers input indices `2i - pad` and `2i - pad + 1`,
  /// and every window divides by 4.
  static func averagePooled(_ plane: [Double], width: Int, height: Int) -> [Double] {
    let (outWidth, outHeight) = pooledSize(width: width, height: height)
    let padX = width % 2
    let padY = height % 2
    var out = [Double](repeating: 0, count: outWidth * outHeight)
    plane.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for oy in 0..<outHeight {
          for ox in 0..<outWidth {
            var sum = 0.0
            for sy in (2 * oy - padY)...(2 * oy - padY + 1) where sy >= 0 && sy < height {
              for sx in (2 * ox - padX)...(2 * ox - padX + 1) where sx >= 0 && sx < width {
                sum += src[sy * width + sx]
              }
            }
            dst[oy * outWidth + ox] = sum / 4
          }
        }
      }
    }
    return out
  }
}
