import Foundation
import Torch

/// A trained classifier on disk: a safetensors file of the state dict (names
/// as torchvision's) whose metadata says how to rebuild the model and how
/// its inputs were prepared.
public struct ClassifierFile {
  /// Metadata key holding the JSON `ClassifierConfiguration`.
  public static let configurationKey = MetadataKey.classifierConfiguration
  /// Metadata key holding the JSON `Normalization`.
  public static let normalizationKey = MetadataKey.classifierNormalization

  public var configuration: ClassifierConfiguration
  public var model: any Layer
  public var normalization: Normalization
  public var classNames: [String]
  /// Every metadata entry, including the plain-text ones written for people
  /// (`architecture`, `width`, `classes`) and any extra given at save time.
  public var metadata: [String: String]

  /// Writes `model` atomically with its configuration in the metadata.
  /// - Parameter storage: the type floating-point tensors are stored in (`.float16` halves the file;
  ///   loading converts back to float32).
  public static func save(
    _ model: any Layer, configuration: ClassifierConfiguration, normalization: Normalization, classNames: [String],
    extraMetadata: [String: String] = [:], storage: DType = .float32, to url: URL
  ) throws {
    var metadata = try VisionModelFile.metadata(
      configuration: configuration, configurationKey: configurationKey, normalization: normalization,
      normalizationKey: normalizationKey, classNames: classNames, classCount: configuration.classCount,
      extra: extraMetadata)
    metadata[MetadataKey.visionArchitecture] = configuration.architecture.rawValue
    metadata[MetadataKey.width] = String(configuration.width)
    var records: [String: TensorRecord] = [:]
    for (name, tensor) in model.stateDict() {
      records[name] = try (tensor.dtype.isFloatingPoint && tensor.dtype != storage ? tensor.to(storage) : tensor).record()
    }
    try SafeTensors.write(records, metadata: metadata, to: url)
  }

  /// Reads a file written by `save`, rebuilds the model and loads its weights
  /// (strictly: every name must match). The model is in evaluation mode.
  public static func load(from url: URL) throws -> ClassifierFile {
    let (file, configuration) = try VisionModelFile.read(
      ClassifierConfiguration.self, from: url, configurationKey: configurationKey, kind: "classifier")
    let normalization = try VisionModelFile.normalization(in: file.metadata, key: normalizationKey, source: url)
      ?? .unit(channels: configuration.inputChannels)
    let classNames = VisionModelFile.classNames(in: file.metadata, count: configuration.classCount)
    let model = try configuration.makeModel(seed: 0)
    try VisionModelFile.load(file.tensors, into: model, source: url)
    return ClassifierFile(
      configuration: configuration, model: model, normalization: normalization, classNames: classNames,
      metadata: file.metadata)
  }
}
