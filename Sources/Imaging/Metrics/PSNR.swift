#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension ImageMetrics {
  /// Mean squared error over all three channels.
  ///
  /// In `.quantized8Bit` the error is in 8-bit units (`0...255^2`); in
  /// `.float` it is on the `[0, 1]` scale.
  ///
  /// - Throws: ``ImagingError`` (`.sizeMismatch`) if the sizes differ.
  public static func meanSquaredError(
    _ reference: RGBImage, _ distorted: RGBImage, in domain: Domain = .quantized8Bit
  ) throws(ImagingError) -> Double {
    try checkSameSize(reference, distorted, metric: "MSE")
    return reference.pixels.withUnsafeBufferPointer { a in
      distorted.pixels.withUnsafeBufferPointer { b in
        var sum = 0.0
        switch domain {
        case .quantized8Bit:
          var integerSum = 0
          for i in 0..<a.count {
            let d = RGBImage.quantize8(a[i]) - RGBImage.quantize8(b[i])
            integerSum += d * d
          }
          sum = Double(integerSum)
        case .float:
          for i in 0..<a.count {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
          }
        }
        return sum / Double(a.count)
      }
    }
  }

  /// Peak signal-to-noise ratio in dB over R, G and B together.
  ///
  /// `.quantized8Bit` (default): both images are rounded to 8-bit levels
  /// and `PSNR = 10 log10(255^2 / MSE)`. `.float`: raw samples with peak 1,
  /// `PSNR = 10 log10(1 / MSE)`. Identical images give `+infinity`.
  ///
  /// - Throws: ``ImagingError`` (`.sizeMismatch`) if the sizes differ.
  public static func psnr(
    _ reference: RGBImage, _ distorted: RGBImage, in domain: Domain = .quantized8Bit
  ) throws(ImagingError) -> Double {
    let mse = try meanSquaredError(reference, distorted, in: domain)
    guard mse > 0 else { return .infinity }
    let peak = domain == .quantized8Bit ? 255.0 : 1.0
    return 10 * log10(peak * peak / mse)
  }
}
