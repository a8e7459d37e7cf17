import Foundation

/// CamVid (Brostow et al. 2008/2009) as the SegNet tutorial prepares it (11
/// classes, void = 255), in the compact raw copy of ../shared/data/camvid:
/// `{split}_images.bin` = N x 96 x 128 x 3 bytes (HWC, RGB) and
/// `{split}_labels.bin` = N x 96 x 128 bytes, no header; `{split}_files.txt`
/// names the source frames, one line per record.
public enum CamVid {
  public static let classNames = [
    "Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist",
  ]
  public static let height = 96
  public static let width = 128
  /// The project's data folder beside the repository, relative to the working directory (run from the
  /// repository root, as the docs do).
  public static let defaultDirectory = URL(fileURLWithPath: "../shared/data/camvid")
  /// Training-split channel statistics from the data's README (0..255 scale: mean 104.96, 108.32,
  /// 110.26; std 76.16, 77.23, 76.26), as fractions of 255.
  public static let normalization: Normalization = {
    let mean: [Float] = [104.96, 108.32, 110.26].map { $0 / 255 }
    let std: [Float] = [76.16, 77.23, 76.26].map { $0 / 255 }
    // Constant, positive values: the checked initializer cannot fail.
    return (try? Normalization(mean: mean, std: std)) ?? .unit(channels: 3)
  }()

  public enum Split: String, Codable, Sendable, CaseIterable {
    case train, val, test
  }

  /// Loads a split: both binaries must be present, whole records, the same
  /// record count, labels 0...10 or 255; the file list, when present, must
  /// have one line per record.
  public static func load(directory: URL = defaultDirectory, split: Split) throws -> SegmentationDataset {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw VisionError(.missingFile, source: directory.path, "CamVid directory not found")
    }
    let imagesURL = directory.appendingPathComponent("\(split.rawValue)_images.bin")
    let labelsURL = directory.appendingPathComponent("\(split.rawValue)_labels.bin")
    let images = try readBytes(imagesURL)
    let labels = try readBytes(labelsURL)
    let dataset = try decode(images: images, labels: labels, imagesSource: imagesURL.path, labelsSource: labelsURL.path)
    let listURL = directory.appendingPathComponent("\(split.rawValue)_files.txt")
    if FileManager.default.fileExists(atPath: listURL.path) {
      let lines = String(decoding: try readBytes(listURL), as: UTF8.self).split(whereSeparator: \.isNewline)
        .filter { !$0.allSatisfy(\.isWhitespace) }
      guard lines.count == dataset.count else {
        throw VisionError(
          .malformedData, source: listURL.path, "lists \(lines.count) files, the binaries hold \(dataset.count) records")
      }
    }
    return dataset
  }

  /// Decodes the raw binaries of one split (HWC images to CHW planes).
  public static func decode(images: [UInt8], labels: [UInt8], imagesSource: String = "<images>",
                            labelsSource: String = "<labels>") throws -> SegmentationDataset {
    let plane = height * width
    guard !images.isEmpty, images.count % (3 * plane) == 0 else {
      throw VisionError(
        .malformedData, source: imagesSource,
        "size \(images.count) bytes is not a positive multiple of one \(width)x\(height) RGB image (\(3 * plane) bytes): truncated or not CamVid")
    }
    guard !labels.isEmpty, labels.count % plane == 0 else {
      throw VisionError(
        .malformedData, source: labelsSource,
        "size \(labels.count) bytes is not a positive multiple of one \(width)x\(height) label map (\(plane) bytes): truncated or not CamVid")
    }
    let count = images.count / (3 * plane)
    guard labels.count / plane == count else {
      throw VisionError(
        .malformedData, source: labelsSource, "holds \(labels.count / plane) label maps for \(count) images in \(imagesSource)")
    }
    if let bad = labels.firstIndex(where: { Int($0) >= classNames.count && $0 != SegmentationDataset.ignoreLabel }) {
      throw VisionError(
        .malformedData, source: labelsSource,
        "label \(labels[bad]) in record \(bad / plane) (y \(bad % plane / width), x \(bad % width)); CamVid labels are 0...10 or 255 (void)")
    }
    var planes = [UInt8](repeating: 0, count: images.count)
    planes.withUnsafeMutableBufferPointer { out in
      images.withUnsafeBufferPointer { hwc in
        for record in 0..<count {
          let base = record * 3 * plane
          for p in 0..<plane {
            out[base + p] = hwc[base + 3 * p]
            out[base + plane + p] = hwc[base + 3 * p + 1]
            out[base + 2 * plane + p] = hwc[base + 3 * p + 2]
          }
        }
      }
    }
    return try SegmentationDataset(
      pixels: planes, labels: labels, classNames: classNames, channels: 3, height: height, width: width,
      source: imagesSource)
  }
}
