/// Training-time augmentation: a random crop from the image zero-padded by
/// `cropPadding` pixels on each side, a horizontal flip with probability
/// 1/2 (the standard CIFAR recipe: RandomCrop(32, padding=4) +
/// RandomHorizontalFlip) and, when `cutout` > 0, Cutout (DeVries & Taylor
/// 2017): a `cutout` x `cutout` square at a uniformly drawn centre, clipped
/// to the image, set to the dataset mean (0 after normalization). Drawn from
/// a seeded generator, so deterministic.
public struct Augmentation: Codable, Sendable, Equatable {
  public var cropPadding: Int
  public var horizontalFlip: Bool
  /// Side of the Cutout square in pixels (16 for CIFAR-10 in the paper); 0: off.
  public var cutout: Int

  public init(cropPadding: Int = 4, horizontalFlip: Bool = true, cutout: Int = 0) {
    self.cropPadding = Swift.max(0, cropPadding)
    self.horizontalFlip = horizontalFlip
    self.cutout = Swift.max(0, cutout)
  }

  /// Configurations written before Cutout existed decode with it off.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      cropPadding: try container.decode(Int.self, forKey: .cropPadding),
      horizontalFlip: try container.decode(Bool.self, forKey: .horizontalFlip),
      cutout: try container.decodeIfPresent(Int.self, forKey: .cutout) ?? 0)
  }

  public static let none = Augmentation(cropPadding: 0, horizontalFlip: false)
  public static let standard = Augmentation(cropPadding: 4, horizontalFlip: true)

  public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip && cutout == 0 }

  /// The rows and columns of one image that Cutout sets to the mean.
  public struct Hole: Equatable, Sendable {
    public var rows: Range<Int>
    public var columns: Range<Int>
  }

  /// Consumes the random draws `apply` makes for one image, without the image.
  func skip<G: RandomNumberGenerator>(using rng: inout G) {
    let draws = (cropPadding > 0 ? 2 : 0) + (horizontalFlip ? 1 : 0) + (cutout > 0 ? 2 : 0)
    for _ in 0..<draws { _ = rng.next() }
  }

  /// One augmented CHW image (pixels that come from the padding are 0) and
  /// the square Cutout removes from it, which the caller sets to the mean
  /// after normalization.
  func apply<G: RandomNumberGenerator>(
    _ image: ArraySlice<UInt8>, channels: Int, height: Int, width: Int, using rng: inout G
  ) -> (pixels: [UInt8], hole: Hole?) {
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
    guard cutout > 0 else { return (output, nil) }
    let cy = Int(rng.next() % UInt64(height)), cx = Int(rng.next() % UInt64(width))
    let top = cy - cutout / 2, left = cx - cutout / 2
    let hole = Hole(
      rows: Swift.max(0, top)..<Swift.min(height, top + cutout),
      columns: Swift.max(0, left)..<Swift.min(width, left + cutout))
    return (output, hole)
  }
}
