import Foundation
import Torch
import Training

/// What the evaluation and export commands do with a model file: find the data the model was trained on,
/// check that it fits, evaluate it and say how long that took, or re-save it in another precision.
extension ClassifierFile {
  /// The dataset the model was trained on, as its metadata records it; nil when it does not say.
  public var dataset: StandardDataset? { metadata[MetadataKey.dataset].flatMap(StandardDataset.init(rawValue:)) }

  /// Whether `images` fit the model: its input channels and its class count.
  public func accepts(_ images: ClassificationDataset) -> Bool {
    images.channels == configuration.inputChannels && images.classCount == configuration.classCount
  }

  /// Evaluates the model on `images` with its own normalization, timed.
  /// - Parameters:
  ///   - dataset: the dataset and `split` the images come from (named in the summary).
  ///   - batchSize: images per forward pass.
  /// - Returns: the evaluation and one line: architecture, width, image count, dataset, split and duration.
  /// - Throws: `VisionError` and what the forward pass throws.
  public func evaluate(on images: ClassificationDataset, dataset: StandardDataset, split: StandardDataset.Split,
                       batchSize: Int) throws -> (evaluation: ClassifierEvaluation, summary: String) {
    let start = Date()
    let evaluation = try ClassifierEvaluation.evaluate(model, on: images, normalization: normalization, batchSize: batchSize)
    return (evaluation, "\(configuration.architecture.rawValue) width \(configuration.width) on \(images.count) "
      + "\(dataset.rawValue) \(split.rawValue) images in \(formatDuration(Date().timeIntervalSince(start)))")
  }

  /// Re-saves the classifier file at `source` with its floating-point weights stored as `storage`, its
  /// configuration, normalization, class names and metadata unchanged.
  /// - Returns: the size of the written file in bytes (0 when it cannot be read back).
  /// - Throws: `VisionError` for a file that is not a classifier file, and the file system's errors.
  public static func export(from source: URL, storage: DType, to url: URL) throws -> Int {
    let file = try load(from: source)
    try save(file.model, configuration: file.configuration, normalization: file.normalization,
             classNames: file.classNames, extraMetadata: file.metadata, storage: storage, to: url)
    return (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
  }
}

extension SegmentationFile {
  /// Whether `images` fit the model: its input channels and its class count.
  public func accepts(_ images: SegmentationDataset) -> Bool {
    images.channels == configuration.inputChannels && images.classCount == configuration.classCount
  }

  /// Evaluates the model on `images` (CamVid's `split`) with its own normalization, timed.
  /// - Parameter batchSize: images per forward pass.
  /// - Returns: the evaluation and one line: width, image count, split and duration.
  /// - Throws: `VisionError` and what the forward pass throws.
  public func evaluate(on images: SegmentationDataset, split: CamVid.Split,
                       batchSize: Int) throws -> (evaluation: SegmentationEvaluation, summary: String) {
    let start = Date()
    let evaluation = try SegmentationEvaluation.evaluate(model, on: images, normalization: normalization, batchSize: batchSize)
    return (evaluation, "deeplabv3 width \(configuration.width) on \(images.count) CamVid \(split.rawValue) images in "
      + formatDuration(Date().timeIntervalSince(start)))
  }
}

extension StandardDataset {
  /// `load(directory:split:)`, keeping only the first `limit` images when given.
  /// - Parameter directory: the dataset's folder; nil: its usual place.
  /// - Throws: `VisionError` for missing or malformed data.
  public func load(directory: URL?, split: Split, limit: Int?) throws -> ClassificationDataset {
    let images = try load(directory: directory ?? defaultDirectory, split: split)
    return try limit.map { try images.prefix($0) } ?? images
  }
}

extension CamVid {
  /// `load(directory:split:)`, keeping only the first `limit` images when given.
  /// - Throws: `VisionError` for missing or malformed data.
  public static func load(directory: URL, split: Split, limit: Int?) throws -> SegmentationDataset {
    let images = try load(directory: directory, split: split)
    return try limit.map { try images.prefix($0) } ?? images
  }
}
