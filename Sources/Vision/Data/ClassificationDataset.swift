/// Labelled images held in memory as 8-bit NCHW planes.
///
/// A plain value (Sendable), so a background thread can read it while the
/// training thread owns the tensors. Pixels stay UInt8 until a batch is
/// made: CIFAR-10's 50k images take 150 MB this way instead of 600 MB.
public struct ClassificationDataset: Sendable, Equatable {
  /// Image bytes, image after image, each `channels` planes of `height` x `width`.
  public private(set) var pixels: [UInt8]
  /// One class index per image, each below `classNames.count`.
  public private(set) var labels: [Int]
  public let classNames: [String]
  public let channels: Int
  public let height: Int
  public let width: Int

  public var count: Int { labels.count }
  public var classCount: Int { classNames.count }
  /// Bytes per image.
  public var imageSize: Int { channels * height * width }

  /// Checks that sizes agree and every label names a class.
  public init(
    pixels: [UInt8], labels: [Int], classNames: [String], channels: Int, height: Int, width: Int
  ) throws {
    guard channels > 0, height > 0, width > 0 else {
      throw VisionError(.invalidArgument, "image shape \(channels)x\(height)x\(width) must be positive")
    }
    guard pixels.count == labels.count * channels * height * width else {
      throw VisionError(
        .invalidArgument,
        "\(pixels.count) pixel bytes do not make \(labels.count) images of \(channels)x\(height)x\(width)")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= classNames.count }) {
      throw VisionError(.invalidArgument, "label \(bad) is outside 0..<\(classNames.count)")
    }
    self.pixels = pixels
    self.labels = labels
    self.classNames = classNames
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// The bytes of image `index` (CHW).
  public func image(at index: Int) -> ArraySlice<UInt8> {
    pixels[index * imageSize..<(index + 1) * imageSize]
  }

  /// The images at `indices`, in that order.
  public func subset(_ indices: [Int]) throws -> ClassificationDataset {
    var picked: [UInt8] = []
    picked.reserveCapacity(indices.count * imageSize)
    for index in indices {
      guard index >= 0, index < count else { throw VisionError(.invalidArgument, "image index \(index) out of 0..<\(count)") }
      picked += image(at: index)
    }
    return try ClassificationDataset(
      pixels: picked, labels: indices.map { labels[$0] }, classNames: classNames, channels: channels, height: height,
      width: width)
  }

  /// The first `n` images (all when there are fewer).
  public func prefix(_ n: Int) throws -> ClassificationDataset { try subset(Array(0..<Swift.min(Swift.max(0, n), count))) }

  /// This dataset followed by `other` (same shape and classes).
  public func appending(_ other: ClassificationDataset) throws -> ClassificationDataset {
    guard other.channels == channels, other.height == height, other.width == width, other.classNames == classNames else {
      throw VisionError(.invalidArgument, "cannot join datasets of different image shapes or classes")
    }
    var joined = self
    joined.pixels += other.pixels
    joined.labels += other.labels
    return joined
  }

  /// Zero-pads every image to `size` x `size`, centred (e.g. Fashion-MNIST's
  /// 28x28 to 32x32, so the CIFAR-sized models divide it evenly).
  public func zeroPadded(to size: Int) throws -> ClassificationDataset {
    guard size >= height, size >= width else {
      throw VisionError(.invalidArgument, "cannot pad \(height)x\(width) images to \(size)x\(size)")
    }
    if size == height, size == width { return self }
    let top = (size - height) / 2, left = (size - width) / 2
    var padded = [UInt8](repeating: 0, count: count * channels * size * size)
    for plane in 0..<(count * channels) {
      for y in 0..<height {
        let from = plane * height * width + y * width
        let to = plane * size * size + (y + top) * size + left
        padded[to..<(to + width)] = pixels[from..<(from + width)]
      }
    }
    return try ClassificationDataset(
      pixels: padded, labels: labels, classNames: classNames, channels: channels, height: size, width: size)
  }

  /// Images per class, indexed by class.
  public var classHistogram: [Int] {
    var histogram = [Int](repeating: 0, count: classCount)
    for label in labels { histogram[label] += 1 }
    return histogram
  }
}
