/// Training-time augmentation: a random crop from the image zero-padded by
/// `cropPadding` pixels on each side, and a horizontal flip with
/// probability 1/2 (the standard CIFAR recipe: RandomCrop(32, padding=4) +
/// RandomHorizontalFlip). Drawn from a seeded generator, so deterministic.
public struct Augmentation: Codable, Sendable, Equatable {
  public var cropPadding: Int
  public var horizontalFlip: Bool

  public init(cropPadding: Int = 4, horizontalFlip: Bool = true) {
    self.cropPadding = Swift.max(0, cropPadding)
    self.horizontalFlip = horizontalFlip
  }

  public static let none = Augmentation(cropPadding: 0, horizontalFlip: false)
  public static let standard = Augmentation(cropPadding: 4, horizontalFlip: true)

  public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip }

  /// Consumes the random draws `apply` makes for one image, without the image.
  func skip<G: RandomNumberGenerator>(using rng: inout G) {
    if cropPadding > 0 {
      _ = rng.next()
      _ = rng.next()
    }
    if horizontalFlip { _ = rng.next() }
  }

  /// One augmented CHW image; pixels that come from the padding are 0.
  func apply<G: RandomNumberGenerator>(
    _ image: ArraySlice<UInt8>, channels: Int, height: Int, width: Int, using rng: inout G
  ) -> [UInt8] {
    let p = cropPadding
    // Offsets of the crop window within the padded image, minus the padding.
    let dy = p > 0 ? Int(rng.next() % UInt64(2 * p + 1)) - p : 0
    let dx = p > 0 ? Int(rng.next() % UInt64(2 * p + 1)) - p : 0
    let flip = horizontalFlip && rng.next() & 1 == 1
    var output = [UInt8](repeating: 0, count: channels * height * width)
    let base = image.startIndex
    for c in 0..<channels {
      for y in 0..<height {
        let sy = y + dy
        guard sy >= 0, sy < height else { continue }
        for x in 0..<width {
          let sx = (flip ? width - 1 - x : x) + dx
          guard sx >= 0, sx < width else { continue }
          output[(c * height + y) * width + x] = image[base + (c * height + sy) * width + sx]
        }
      }
    }
    return output
  }
}
