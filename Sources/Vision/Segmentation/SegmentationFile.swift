import Foundation
import Torch

/// A trained segmentation model on disk: safetensors with torchvision's
/// names, and metadata saying how to rebuild the model
/// (`lichen.segmentation.configuration`) and prepare its input
/// (`lichen.segmentation.normalization`), like `ClassifierFile`.
public struct SegmentationFile {
  public static let configurationKey = MetadataKey.segmentationConfiguration
  public static let normalizationKey = MetadataKey.segmentationNormalization

  public var configuration: SegmentationConfiguration
  public var model: DeepLabV3
  public var normalization: Normalization
  public var classNames: [String]
  public var metadata: [String: String]

  /// Whether a model file's metadata marks it as a segmentation model.
  public static func isSegmentationModel(_ metadata: [String: String]) -> Bool { metadata[configurationKey] != nil }

  /// Writes `model` atomically with its configuration in the metadata.
  public static func save(
    _ model: DeepLabV3, configuration: SegmentationConfiguration, normalization: Normalization, classNames: [String],
    extraMetadata: [String: String] = [:], to url: URL
  ) throws {
    var metadata = try VisionModelFile.metadata(
      configuration: configuration, configurationKey: configurationKey, normalization: normalization,
      normalizationKey: normalizationKey, classNames: classNames, classCount: configuration.classCount,
      extra: extraMetadata)
    metadata[MetadataKey.visionArchitecture] = "deeplabv3"
    metadata[MetadataKey.backboneDepths] = configuration.backboneDepths.map(String.init).joined(separator: ",")
    metadata[MetadataKey.width] = String(configuration.width)
    try SafeTensors.write(try model.stateDictRecords(), metadata: metadata, to: url)
  }

  /// Reads a file written by `save`, rebuilds the model and loads its weights strictly; evaluation mode.
  public static func load(from url: URL) throws -> SegmentationFile {
    let (file, configuration) = try VisionModelFile.read(
      SegmentationConfiguration.self, from: url, configurationKey: configurationKey, kind: "segmentation")
    guard let normalization = try VisionModelFile.normalization(in: file.metadata, key: normalizationKey, source: url)
    else { throw VisionError(.incompatibleModel, source: url.path, "no \(normalizationKey) metadata") }
    let classNames = VisionModelFile.classNames(in: file.metadata, count: configuration.classCount)
    let model = try configuration.makeModel(seed: 0)
    try VisionModelFile.load(file.tensors, into: model, source: url)
    return SegmentationFile(
      configuration: configuration, model: model, normalization: normalization, classNames: classNames,
      metadata: file.metadata)
  }
}
