import Foundation

/// Fashion-MNIST (Xiao et al. 2017): 28x28 grey images of ten clothing
/// classes, as four gzip-compressed IDX files (Debian's `dataset-fashion-mnist`
/// installs them under /usr/share/datasets/fashion-mnist).
public enum FashionMNIST {
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]
  public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

  public enum Split: String, Sendable, CaseIterable {
    case train
    /// The 10,000 test images (files named `t10k-*`).
    case test

    var filePrefix: String { self == .train ? "train" : "t10k" }
  }

  /// Loads a split; each file may be gzip-compressed (`.gz`) or plain.
  public static func load(directory: URL = defaultDirectory, split: Split) throws -> ClassificationDataset {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw VisionError(
        .missingFile, source: directory.path,
        "Fashion-MNIST directory not found (apt-get install dataset-fashion-mnist)")
    }
    let images = try readIDX(directory, "\(split.filePrefix)-images-idx3-ubyte", rank: 3)
    let labels = try readIDX(directory, "\(split.filePrefix)-labels-idx1-ubyte", rank: 1)
    return try make(images: images, labels: labels, source: directory.path)
  }

  /// Builds a dataset from decoded IDX arrays, checking that they agree.
  public static func make(images: IDX.Array, labels: IDX.Array, source: String = "<memory>") throws
    -> ClassificationDataset
  {
    guard images.dimensions.count == 3, labels.dimensions.count == 1 else {
      throw VisionError(.malformedData, source: source, "expected 3-D images and 1-D labels")
    }
    guard images.dimensions[0] == labels.dimensions[0] else {
      throw VisionError(
        .malformedData, source: source,
        "\(images.dimensions[0]) images but \(labels.dimensions[0]) labels")
    }
    if let index = labels.values.firstIndex(where: { $0 >= classNames.count }) {
      throw VisionError(.malformedData, source: source, "label \(labels.values[index]) at \(index) is not in 0...9")
    }
    return try ClassificationDataset(
      pixels: images.values, labels: labels.values.map(Int.init), classNames: classNames, channels: 1,
      height: images.dimensions[1], width: images.dimensions[2])
  }

  private static func readIDX(_ directory: URL, _ name: String, rank: Int) throws -> IDX.Array {
    let compressed = directory.appendingPathComponent(name + ".gz")
    let plain = directory.appendingPathComponent(name)
    if FileManager.default.fileExists(atPath: compressed.path) {
      let bytes = try Gzip.decompress(try readBytes(compressed), source: compressed.path)
      return try IDX.decode(bytes, expectedRank: rank, source: compressed.path)
    }
    if FileManager.default.fileExists(atPath: plain.path) {
      return try IDX.decode(try readBytes(plain), expectedRank: rank, source: plain.path)
    }
    throw VisionError(.missingFile, source: compressed.path, "Fashion-MNIST file not found (nor \(name) uncompressed)")
  }
}
