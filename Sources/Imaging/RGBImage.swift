/// A 3-channel (R, G, B) image stored planar, channel-major (CHW), as
/// `Float` samples nominally in `[0, 1]`.
///
/// `pixels[c * width * height + y * width + x]` is channel `c` of the pixel
/// in column `x`, row `y`. This is the layout of a `1x3xHxW` tensor, which is
/// what the codec consumes. Values are not clamped on construction: a
/// network's reconstruction may stray outside `[0, 1]`; the encoder and the
/// 8-bit accessors clamp.
public struct RGBImage: Sendable, Equatable {
  /// Number of channels, always 3.
  public static let channelCount = 3

  /// Width in pixels (> 0).
  public let width: Int
  /// Height in pixels (> 0).
  public let height: Int
  /// Bits per sample of the data this image was made from (8 for 8-bit
  /// sources and anything of lower depth, 16 for 16-bit PNGs). Informational:
  /// the samples are always `Float`.
  public var bitDepth: Int
  /// Planar CHW samples; `count == 3 * width * height`.
  public private(set) var pixels: [Float]

  /// Number of samples in one channel plane (`width * height`).
  public var planeCount: Int { width * height }

  /// Wraps planar CHW samples.
  ///
  /// - Throws: ``ImagingError`` (`.unsupportedSize`) for a zero, negative or
  ///   oversized dimension, (`.invalidArgument`) when `pixels.count` is not
  ///   `3 * width * height` or `bitDepth` is not in `1...16`.
  public init(width: Int, height: Int, pixels: [Float], bitDepth: Int = 8) throws(ImagingError) {
    try Self.validate(width: width, height: height)
    try Self.validate(bitDepth: bitDepth)
    let expected = Self.channelCount * width * height
    guard pixels.count == expected else {
      throw ImagingError(
        .invalidArgument,
        message: "expected \(expected) planar samples for \(width)x\(height)x3, got \(pixels.count)")
    }
    self.width = width
    self.height = height
    self.bitDepth = bitDepth
    self.pixels = pixels
  }

  /// Creates an image with every sample set to `value`.
  public init(width: Int, height: Int, repeating value: Float = 0, bitDepth: Int = 8) throws(ImagingError) {
    try Self.validate(width: width, height: height)
    try Self.validate(bitDepth: bitDepth)
    self.width = width
    self.height = height
    self.bitDepth = bitDepth
    self.pixels = [Float](repeating: value, count: Self.channelCount * width * height)
  }

  /// Creates an image from interleaved 8-bit RGB (`RGBRGB...`, row-major);
  /// each sample becomes `v / 255`.
  public init(width: Int, height: Int, interleavedRGB8 samples: [UInt8]) throws(ImagingError) {
    try Self.validate(width: width, height: height)
    let plane = width * height
    guard samples.count == Self.channelCount * plane else {
      throw ImagingError(
        .invalidArgument,
        message: "expected \(Self.channelCount * plane) interleaved samples for \(width)x\(height) RGB, got \(samples.count)")
    }
    self.width = width
    self.height = height
    self.bitDepth = 8
    self.pixels = Self.planarize(samples, plane: plane, scale: 255)
  }

  /// Creates an image from interleaved 16-bit RGB (`RGBRGB...`, row-major);
  /// each sample becomes `v / 65535`.
  public init(width: Int, height: Int, interleavedRGB16 samples: [UInt16]) throws(ImagingError) {
    try Self.validate(width: width, height: height)
    let plane = width * height
    guard samples.count == Self.channelCount * plane else {
      throw ImagingError(
        .invalidArgument,
        message: "expected \(Self.channelCount * plane) interleaved samples for \(width)x\(height) RGB, got \(samples.count)")
    }
    self.width = width
    self.height = height
    self.bitDepth = 16
    self.pixels = Self.planarize(samples, plane: plane, scale: 65_535)
  }

  /// The sample of channel `channel` (0 = R, 1 = G, 2 = B) at column `x`,
  /// row `y`. Indices must be in range.
  public subscript(channel channel: Int, x x: Int, y y: Int) -> Float {
    get { pixels[index(channel: channel, x: x, y: y)] }
    set { pixels[index(channel: channel, x: x, y: y)] = newValue }
  }

  /// Calls `body` with mutable access to the planar samples. The buffer's
  /// count cannot change.
  public mutating func withUnsafeMutablePixels<R>(
    _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try pixels.withUnsafeMutableBufferPointer(body)
  }

  /// Interleaved 8-bit RGB: each sample clamped to `[0, 1]` and quantised
  /// with ``quantize8(_:)``.
  public func interleavedRGB8() -> [UInt8] {
    interleaved { UInt8(Self.quantize8($0)) }
  }

  /// Interleaved 16-bit RGB: each sample clamped to `[0, 1]` and quantised
  /// with ``quantize16(_:)``.
  public func interleavedRGB16() -> [UInt16] {
    interleaved { UInt16(Self.quantize16($0)) }
  }

  /// `round(clamp(v, 0, 1) * 255)` with ties to even (as `torch.round`);
  /// NaN maps to 0.
  @inlinable
  public static func quantize8(_ value: Float) -> Int {
    quantize(value, levels: 255)
  }

  /// `round(clamp(v, 0, 1) * 65535)` with ties to even; NaN maps to 0.
  @inlinable
  public static func quantize16(_ value: Float) -> Int {
    quantize(value, levels: 65_535)
  }

  @inlinable
  static func quantize(_ value: Float, levels: Float) -> Int {
    guard value > 0 else { return 0 }  // also catches NaN
    guard value < 1 else { return Int(levels) }
    return Int((value * levels).rounded(.toNearestOrEven))
  }

  // MARK: - Private

  private func index(channel: Int, x: Int, y: Int) -> Int {
    precondition(
      (0..<Self.channelCount).contains(channel) && (0..<width).contains(x) && (0..<height).contains(y),
      "pixel index out of range")
    return channel * planeCount + y * width + x
  }

  private func interleaved<T>(_ convert: (Float) -> T) -> [T] {
    let plane = planeCount
    return pixels.withUnsafeBufferPointer { src in
      [T](unsafeUninitializedCapacity: Self.channelCount * plane) { dst, count in
        for i in 0..<plane {
          dst.initializeElement(at: 3 * i, to: convert(src[i]))
          dst.initializeElement(at: 3 * i + 1, to: convert(src[plane + i]))
          dst.initializeElement(at: 3 * i + 2, to: convert(src[2 * plane + i]))
        }
        count = Self.channelCount * plane
      }
    }
  }

  static func planarize<T: BinaryInteger>(_ samples: [T], plane: Int, scale: Float) -> [Float] {
    samples.withUnsafeBufferPointer { src in
      planarize(src, plane: plane, scale: scale)
    }
  }

  static func planarize<T: BinaryInteger>(
    _ src: UnsafeBufferPointer<T>, plane: Int, scale: Float
  ) -> [Float] {
    [Float](unsafeUninitializedCapacity: Self.channelCount * plane) { dst, count in
      for i in 0..<plane {
        dst.initializeElement(at: i, to: Float(src[3 * i]) / scale)
        dst.initializeElement(at: plane + i, to: Float(src[3 * i + 1]) / scale)
        dst.initializeElement(at: 2 * plane + i, to: Float(src[3 * i + 2]) / scale)
      }
      count = Self.channelCount * plane
    }
  }

  static func validate(width: Int, height: Int) throws(ImagingError) {
    guard width > 0, height > 0 else {
      throw ImagingError(.unsupportedSize, message: "image size \(width)x\(height) is empty")
    }
    guard width <= ImageLimits.maxDimension, height <= ImageLimits.maxDimension,
      width * height <= ImageLimits.maxPixelCount
    else {
      throw ImagingError(
        .unsupportedSize,
        message: "image size \(width)x\(height) exceeds the limits (each side <= \(ImageLimits.maxDimension), at most \(ImageLimits.maxPixelCount) pixels)")
    }
  }

  private static func validate(bitDepth: Int) throws(ImagingError) {
    guard (1...16).contains(bitDepth) else {
      throw ImagingError(.invalidArgument, message: "bit depth \(bitDepth) is not in 1...16")
    }
  }
}
