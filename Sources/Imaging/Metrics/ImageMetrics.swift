/// Image-quality metrics between a reference image and a reconstruction.
public enum ImageMetrics {
  /// Which sample values a metric is computed on.
  public enum Domain: Sendable, Equatable {
    /// Both images are first clamped and rounded to 8-bit levels
    /// (``RGBImage/quantize8(_:)``): the values a viewer of the saved PNG
    /// sees. This is how CompressAI's codec evaluation reports results, and
    /// the default.
    case quantized8Bit
    /// The raw `Float` samples (no clamping), data range 1: what a training
    /// loss sees.
    case float
  }

  static func checkSameSize(_ a: RGBImage, _ b: RGBImage, metric: String) throws(ImagingError) {
    guard a.width == b.width, a.height == b.height else {
      throw ImagingError(
        .sizeMismatch,
        message: "\(metric) needs images of equal size, got \(a.width)x\(a.height) and \(b.width)x\(b.height)")
    }
  }

  /// The samples of `image` as `Double` in the given domain, on a `[0, 1]`
  /// scale (8-bit levels become `q / 255`).
  static func samples(_ image: RGBImage, in domain: Domain) -> [Double] {
    switch domain {
    case .float:
      return image.pixels.map(Double.init)
    case .quantized8Bit:
      return image.pixels.map { Double(RGBImage.quantize8($0)) / 255 }
    }
  }
}
