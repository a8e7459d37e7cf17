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
    guard classNames.count == configuration.classCount else {
      throw VisionError(.invalidArgument, "\(classNames.count) class names for \(configuration.classCount) classes")
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    var metadata = extraMetadata
    metadata[configurationKey] = String(decoding: try encoder.encode(configuration), as: UTF8.self)
    metadata[normalizationKey] = String(decoding: try encoder.encode(normalization), as: UTF8.self)
    metadata[MetadataKey.visionArchitecture] = "deeplabv3"
    metadata[MetadataKey.backboneDepths] = configuration.backboneDepths.map(String.init).joined(separator: ",")
    metadata[MetadataKey.width] = String(configuration.width)
    metadata[MetadataKey.classes] = String(decoding: try encoder.encode(classNames), as: UTF8.self)
    try SafeTensors.write(try model.stateDictRecords(), metadata: metadata, to: url)
  }

  /// Reads a file written by `save`, rebuilds the model and loads its weights strictly; evaluation mode.
  public static func load(from url: URL) throws -> SegmentationFile {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VisionError(.missingFile, source: url.path, "model file not found")
    }
    let file = try SafeTensors.read(from: url)
    let decoder = JSONDecoder()
    guard let json = file.metadata[configurationKey],
      let configuration = try? decoder.decode(SegmentationConfiguration.self, from: Data(json.utf8))
    else {
      throw VisionError(.incompatibleModel, source: url.path, "no \(configurationKey) metadata: not a Lichen segmentation file")
    }
    guard let normalizationJSON = file.metadata[normalizationKey],
      let normalization = try? decoder.decode(Normalization.self, from: Data(normalizationJSON.utf8))
    else { throw VisionError(.incompatibleModel, source: url.path, "no valid \(normalizationKey) metadata") }
    let classNames = file.metadata[MetadataKey.classes].flatMap { try? decoder.decode([String].self, from: Data($0.utf8)) }
      ?? (0..<configuration.classCount).map { "class \($0)" }
    let model = try configuration.makeModel(seed: 0)
    do {
      try model.load(stateDict: file.tensors)
    } catch let error as TorchError {
      throw VisionError(.incompatibleModel, source: url.path, error.message)
    }
    model.setTraining(false)
    return SegmentationFile(
      configuration: configuration, model: model, normalization: normalization, classNames: classNames,
      metadata: file.metadata)
  }
}
