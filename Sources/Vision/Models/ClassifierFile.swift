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
    guard classNames.count == configuration.classCount else {
      throw VisionError(.invalidArgument, "\(classNames.count) class names for \(configuration.classCount) classes")
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    var metadata = extraMetadata
    metadata[configurationKey] = String(decoding: try encoder.encode(configuration), as: UTF8.self)
    metadata[normalizationKey] = String(decoding: try encoder.encode(normalization), as: UTF8.self)
    metadata[MetadataKey.visionArchitecture] = configuration.architecture.rawValue
    metadata[MetadataKey.width] = String(configuration.width)
    metadata[MetadataKey.classes] = String(decoding: try encoder.encode(classNames), as: UTF8.self)
    var records: [String: TensorRecord] = [:]
    for (name, tensor) in model.stateDict() {
      records[name] = try (tensor.dtype.isFloatingPoint && tensor.dtype != storage ? tensor.to(storage) : tensor).record()
    }
    try SafeTensors.write(records, metadata: metadata, to: url)
  }

  /// Reads a file written by `save`, rebuilds the model and loads its weights
  /// (strictly: every name must match). The model is in evaluation mode.
  public static func load(from url: URL) throws -> ClassifierFile {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VisionError(.missingFile, source: url.path, "model file not found")
    }
    let file = try SafeTensors.read(from: url)
    let decoder = JSONDecoder()
    guard let configurationJSON = file.metadata[configurationKey],
      let configuration = try? decoder.decode(ClassifierConfiguration.self, from: Data(configurationJSON.utf8))
    else {
      throw VisionError(.incompatibleModel, source: url.path, "no \(configurationKey) metadata: not a Lichen classifier file")
    }
    let normalization = try file.metadata[normalizationKey].map {
      try decoder.decode(Normalization.self, from: Data($0.utf8))
    } ?? .unit(channels: configuration.inputChannels)
    let classNames = file.metadata[MetadataKey.classes].flatMap { try? decoder.decode([String].self, from: Data($0.utf8)) }
      ?? (0..<configuration.classCount).map { "class \($0)" }
    let model = try configuration.makeModel(seed: 0)
    do {
      try model.load(stateDict: file.tensors)
    } catch let error as TorchError {
      throw VisionError(.incompatibleModel, source: url.path, error.message)
    }
    model.setTraining(false)
    return ClassifierFile(
      configuration: configuration, model: model, normalization: normalization, classNames: classNames,
      metadata: file.metadata)
  }
}
