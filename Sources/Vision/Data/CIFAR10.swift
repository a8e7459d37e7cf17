import Foundation

/// CIFAR-10 in its binary form: files of 3,073-byte records, each a label
/// byte followed by 1,024 red, 1,024 green and 1,024 blue bytes (32x32, row-major).
public enum CIFAR10 {
  public static let classNames = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
  ]
  public static let recordSize = 1 + 3 * 32 * 32
  public static let trainingFiles = (1...5).map { "data_batch_\($0).bin" }
  public static let testFile = "test_batch.bin"

  /// Which part of the dataset to load.
  public enum Split: String, Sendable, CaseIterable {
    /// Every `data_batch_*.bin` present.
    case train
    /// `test_batch.bin`.
    case test
  }

  /// Loads a split from a directory of CIFAR-10 binary batches.
  public static func load(directory: URL, split: Split) throws -> ClassificationDataset {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw VisionError(.missingFile, source: directory.path, "CIFAR-10 directory not found")
    }
    let names = split == .train ? trainingFiles : [testFile]
    let present = names.filter { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    guard !present.isEmpty else {
      throw VisionError(
        .missingFile, source: directory.path, "no CIFAR-10 \(split.rawValue) files (\(names.joined(separator: ", ")))")
    }
    var result: ClassificationDataset?
    for name in present {
      let url = directory.appendingPathComponent(name)
      let part = try decode(try readBytes(url), source: url.path)
      result = try result.map { try $0.appending(part) } ?? part
    }
    guard let result else { throw VisionError(.missingFile, source: directory.path, "no CIFAR-10 files") }
    return result
  }

  /// Loads one binary batch file.
  public static func load(file url: URL) throws -> ClassificationDataset {
    try decode(try readBytes(url), source: url.path)
  }

  /// Decodes the records of one batch file.
  public static func decode(_ bytes: [UInt8], source: String = "<memory>") throws -> ClassificationDataset {
    guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
      throw VisionError(
        .malformedData, source: source,
        "size \(bytes.count) bytes is not a positive multiple of the \(recordSize)-byte CIFAR-10 record")
    }
    let count = bytes.count / recordSize
    var pixels = [UInt8](repeating: 0, count: count * (recordSize - 1))
    var labels = [Int](repeating: 0, count: count)
    for record in 0..<count {
      let start = record * recordSize
      let label = Int(bytes[start])
      guard label < classNames.count else {
        throw VisionError(.malformedData, source: source, "record \(record) has label \(label); CIFAR-10 labels are 0...9")
      }
      labels[record] = label
      pixels[(record * (recordSize - 1))..<((record + 1) * (recordSize - 1))] = bytes[(start + 1)..<(start + recordSize)]
    }
    return try ClassificationDataset(
      pixels: pixels, labels: labels, classNames: classNames, channels: 3, height: 32, width: 32)
  }

  /// Encodes a 3x32x32 dataset as one binary batch (for tests and subsets).
  public static func encode(_ dataset: ClassificationDataset) throws -> [UInt8] {
    guard dataset.channels == 3, dataset.height == 32, dataset.width == 32, dataset.classCount <= 256 else {
      throw VisionError(.invalidArgument, "CIFAR-10 records hold 3x32x32 images with byte labels")
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(dataset.count * recordSize)
    for index in 0..<dataset.count {
      bytes.append(UInt8(dataset.labels[index]))
      bytes += dataset.image(at: index)
    }
    return bytes
  }
}

/// Reads a whole file, turning a missing one into a `.missingFile` error.
func readBytes(_ url: URL) throws -> [UInt8] {
  guard FileManager.default.fileExists(atPath: url.path) else {
    throw VisionError(.missingFile, source: url.path, "file not found")
  }
  do {
    return [UInt8](try Data(contentsOf: url))
  } catch {
    throw VisionError(.missingFile, source: url.path, "cannot read: \(error.localizedDescription)")
  }
}
