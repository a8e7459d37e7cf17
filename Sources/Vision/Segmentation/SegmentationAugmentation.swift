import Torch

/// Training-time augmentation for segmentation, as torchvision's
/// segmentation reference does it: scale the image by a random factor in
/// [minimumScale, maximumScale] (bilinear for pixels, nearest for labels, so
/// no label is ever blended), pad at the bottom/right when smaller than the
/// crop (pixels 0, labels void), take a random crop, and flip horizontally
/// with probability 1/2. Each image consumes exactly four draws from the
/// step's generator, whatever the options, so changing one option does not
/// shift the draws of the images after it.
public struct SegmentationAugmentation: Codable, Sendable, Equatable {
  public var minimumScale: Double
  public var maximumScale: Double
  /// Output height and width; nil keeps the dataset's image size.
  public var cropHeight: Int?
  public var cropWidth: Int?
  public var horizontalFlip: Bool

  public init(minimumScale: Double = 0.5, maximumScale: Double = 2.0, cropHeight: Int? = nil, cropWidth: Int? = nil,
              horizontalFlip: Bool = true) throws {
    guard minimumScale > 0, maximumScale >= minimumScale, maximumScale <= 8 else {
      throw VisionError(.invalidArgument, "scale range [\(minimumScale), \(maximumScale)] must satisfy 0 < min <= max <= 8")
    }
    if let cropHeight, cropHeight <= 0 { throw VisionError(.invalidArgument, "crop height must be positive") }
    if let cropWidth, cropWidth <= 0 { throw VisionError(.invalidArgument, "crop width must be positive") }
    self.minimumScale = minimumScale
    self.maximumScale = maximumScale
    self.cropHeight = cropHeight
    self.cropWidth = cropWidth
    self.horizontalFlip = horizontalFlip
  }

  private init(identity: Void) {
    (minimumScale, maximumScale, cropHeight, cropWidth, horizontalFlip) = (1, 1, nil, nil, false)
  }

  /// No change: the images as they are.
  public static let none = SegmentationAugmentation(identity: ())

  public var isIdentity: Bool { minimumScale == 1 && maximumScale == 1 && cropHeight == nil && cropWidth == nil && !horizontalFlip }

  /// The output size for images of `height` x `width`.
  public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
    (cropHeight ?? height, cropWidth ?? width)
  }

  /// Consumes the random draws `apply` makes for one image (scale, two offsets, flip), without the image.
  func skip(using rng: inout SplitMix64) {
    for _ in 0..<4 { _ = rng.next() }
  }

  /// One augmented image (CHW, values on the 0...255 byte scale) and its label map.
  func apply(
    image: ArraySlice<UInt8>, labels: ArraySlice<UInt8>, channels: Int, height: Int, width: Int,
    using rng: inout SplitMix64
  ) -> (pixels: [Float], labels: [UInt8]) {
    let (ch, cw) = outputSize(height: height, width: width)
    let unit = Double(rng.next() >> 11) * 0x1p-53
    let scale = minimumScale + (maximumScale - minimumScale) * unit
    let sh = Swift.max(1, Int((Double(height) * scale).rounded()))
    let sw = Swift.max(1, Int((Double(width) * scale).rounded()))
    let offsetY = rng.below(Swift.max(sh, ch) - ch + 1)
    let offsetX = rng.below(Swift.max(sw, cw) - cw + 1)
    let flip = horizontalFlip && rng.next() & 1 == 1
    if !horizontalFlip { _ = rng.next() }

    // Source coordinates of each output row/column (align_corners = false, as F.interpolate).
    let ry = Double(height) / Double(sh), rx = Double(width) / Double(sw)
    struct Tap { var inside: Bool; var low: Int; var high: Int; var weight: Float; var nearest: Int }
    func taps(_ count: Int, offset: Int, scaled: Int, source: Int, ratio: Double, mirrored: Bool) -> [Tap] {
      (0..<count).map { i in
        let s = (mirrored ? count - 1 - i : i) + offset
        guard s < scaled else { return Tap(inside: false, low: 0, high: 0, weight: 0, nearest: 0) }
        let position = Swift.max(0, (Double(s) + 0.5) * ratio - 0.5)
        let low = Swift.min(Int(position), source - 1)
        let high = Swift.min(low + 1, source - 1)
        let nearest = Swift.min(Int(Double(s) * ratio), source - 1)  // PyTorch's "nearest": floor(dst x ratio)
        return Tap(inside: true, low: low, high: high, weight: Float(position - Double(low)), nearest: nearest)
      }
    }
    let rows = taps(ch, offset: offsetY, scaled: sh, source: height, ratio: ry, mirrored: false)
    let columns = taps(cw, offset: offsetX, scaled: sw, source: width, ratio: rx, mirrored: flip)
    var pixels = [Float](repeating: 0, count: channels * ch * cw)
    var out = [UInt8](repeating: SegmentationDataset.ignoreLabel, count: ch * cw)
    let base = image.startIndex, labelBase = labels.startIndex
    for (y, row) in rows.enumerated() where row.inside {
      for (x, column) in columns.enumerated() where column.inside {
        out[y * cw + x] = labels[labelBase + row.nearest * width + column.nearest]
        let upper = row.low * width, lower = row.high * width
        let wx: Float = column.weight, wy: Float = row.weight
        for c in 0..<channels {
          let plane: Int = base + c * height * width
          let a = Float(image[plane + upper + column.low]), b = Float(image[plane + upper + column.high])
          let d = Float(image[plane + lower + column.low]), e = Float(image[plane + lower + column.high])
          let top: Float = a + (b - a) * wx
          let bottom: Float = d + (e - d) * wx
          pixels[(c * ch + y) * cw + x] = top + (bottom - top) * wy
        }
      }
    }
    return (pixels, out)
  }
}
