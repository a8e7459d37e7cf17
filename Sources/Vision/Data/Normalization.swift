/// Per-channel normalisation applied after scaling bytes to [0, 1]:
/// x = (byte / 255 - mean[c]) / std[c], as torchvision's ToTensor + Normalize.
public struct Normalization: Codable, Sendable, Equatable {
  public var mean: [Float]
  public var std: [Float]

  public init(mean: [Float], std: [Float]) throws {
    guard !mean.isEmpty, mean.count == std.count, std.allSatisfy({ $0 > 0 }) else {
      throw VisionError(.invalidArgument, "normalisation needs one mean and one positive std per channel")
    }
    self.mean = mean
    self.std = std
  }

  private init(uncheckedMean mean: [Float], std: [Float]) {
    self.mean = mean
    self.std = std
  }

  /// CIFAR-10 training-set statistics (per-pixel std over the 50k images).
  public static let cifar10 = Normalization(uncheckedMean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
  /// Fashion-MNIST training-set statistics.
  public static let fashionMNIST = Normalization(uncheckedMean: [0.2860], std: [0.3530])
  /// Bytes scaled to [0, 1] and nothing else, for any channel count.
  public static func unit(channels: Int) -> Normalization {
    Normalization(uncheckedMean: [Float](repeating: 0, count: channels), std: [Float](repeating: 1, count: channels))
  }

  /// Per-channel statistics measured on a dataset (population std).
  public static func measured(on dataset: ClassificationDataset) throws -> Normalization {
    guard dataset.count > 0 else { throw VisionError(.invalidArgument, "cannot measure statistics of an empty dataset") }
    let plane = dataset.height * dataset.width
    var sums = [Double](repeating: 0, count: dataset.channels), squares = sums
    for image in 0..<dataset.count {
      for c in 0..<dataset.channels {
        let start = image * dataset.imageSize + c * plane
        for value in dataset.pixels[start..<(start + plane)] {
          let x = Double(value) / 255
          sums[c] += x
          squares[c] += x * x
        }
      }
    }
    let n = Double(dataset.count * plane)
    let mean = sums.map { $0 / n }
    let std = zip(squares, mean).map { Swift.max(1e-6, ($0 / n - $1 * $1).squareRoot()) }
    return try Normalization(mean: mean.map(Float.init), std: std.map(Float.init))
  }

  /// Throws unless there is one mean and std per channel.
  public func check(channels: Int) throws {
    guard mean.count == channels, std.count == channels else {
      throw VisionError(.invalidArgument, "normalisation has \(mean.count) channels, images have \(channels)")
    }
  }
}
