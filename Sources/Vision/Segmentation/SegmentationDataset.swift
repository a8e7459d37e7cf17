/// Images with a class id per pixel, held in memory as bytes: pixels as
/// 8-bit NCHW planes (like `ClassificationDataset`), labels as one byte per
/// pixel, `ignoreLabel` (255) marking void pixels that neither the loss nor
/// the metrics count. A plain value (Sendable), so the batch thread can read it.
public struct SegmentationDataset: Sendable, Equatable {
  /// The label of pixels without a class (CamVid's void).
  public static let ignoreLabel: UInt8 = 255

  public private(set) var pixels: [UInt8]
  public private(set) var labels: [UInt8]
  public let classNames: [String]
  public let channels: Int
  public let height: Int
  public let width: Int

  public var classCount: Int { classNames.count }
  public var imageSize: Int { channels * height * width }
  public var labelSize: Int { height * width }
  public var count: Int { labels.count / Swift.max(1, labelSize) }

  /// Checks the sizes agree and every label is a class id or `ignoreLabel`.
  public init(pixels: [UInt8], labels: [UInt8], classNames: [String], channels: Int, height: Int, width: Int,
              source: String = "<memory>") throws {
    guard channels > 0, height > 0, width > 0 else {
      throw VisionError(.invalidArgument, source: source, "image shape \(channels)x\(height)x\(width) is not positive")
    }
    guard classNames.count >= 2, classNames.count < Int(Self.ignoreLabel) else {
      throw VisionError(.invalidArgument, source: source, "need 2...254 classes, got \(classNames.count)")
    }
    guard labels.count % (height * width) == 0, pixels.count == labels.count / (height * width) * channels * height * width
    else {
      throw VisionError(
        .malformedData, source: source,
        "\(pixels.count) pixel bytes and \(labels.count) label bytes do not make whole \(channels)x\(height)x\(width) images")
    }
    if let bad = labels.firstIndex(where: { Int($0) >= classNames.count && $0 != Self.ignoreLabel }) {
      throw VisionError(
        .malformedData, source: source,
        "label \(labels[bad]) at image \(bad / (height * width)), pixel \(bad % (height * width)) is neither a class "
          + "(0...\(classNames.count - 1)) nor void (\(Self.ignoreLabel))")
    }
    self.pixels = pixels
    self.labels = labels
    self.classNames = classNames
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// The CHW bytes of image `index`.
  public func image(at index: Int) -> ArraySlice<UInt8> { pixels[(index * imageSize)..<((index + 1) * imageSize)] }
  /// The HW label bytes of image `index`.
  public func labelMap(at index: Int) -> ArraySlice<UInt8> { labels[(index * labelSize)..<((index + 1) * labelSize)] }

  /// The images at `indices`, in that order.
  public func subset(_ indices: [Int]) throws -> SegmentationDataset {
    guard let bad = indices.first(where: { $0 < 0 || $0 >= count }) else {
      return try SegmentationDataset(
        pixels: indices.flatMap { image(at: $0) }, labels: indices.flatMap { labelMap(at: $0) }, classNames: classNames,
        channels: channels, height: height, width: width)
    }
    throw VisionError(.invalidArgument, "index \(bad) is outside 0..<\(count)")
  }

  /// The first `n` images (all when there are fewer).
  public func prefix(_ n: Int) throws -> SegmentationDataset { try subset(Array(0..<Swift.min(Swift.max(0, n), count))) }

  /// Pixels per class over the whole set (void not counted).
  public var classPixelHistogram: [Int] {
    var histogram = [Int](repeating: 0, count: classCount)
    for label in labels where label != Self.ignoreLabel { histogram[Int(label)] += 1 }
    return histogram
  }
}
