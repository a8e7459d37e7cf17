import Foundation
import Torch

/// What the two vision model files (`ClassifierFile`, `SegmentationFile`) share: a safetensors state
/// dict with torchvision's names whose metadata holds the JSON configuration that rebuilds the model,
/// the input normalization and the class names. Each file adds its own plain-text entries for people.
enum VisionModelFile {
  /// The metadata entries every vision model file writes, on top of `extra`.
  /// - Throws: `VisionError.invalidArgument` when `classNames` does not have `classCount` entries.
  static func metadata<Configuration: Encodable>(
    configuration: Configuration, configurationKey: String, normalization: Normalization, normalizationKey: String,
    classNames: [String], classCount: Int, extra: [String: String]
  ) throws -> [String: String] {
    guard classNames.count == classCount else {
      throw VisionError(.invalidArgument, "\(classNames.count) class names for \(classCount) classes")
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    var metadata = extra
    metadata[configurationKey] = String(decoding: try encoder.encode(configuration), as: UTF8.self)
    metadata[normalizationKey] = String(decoding: try encoder.encode(normalization), as: UTF8.self)
    metadata[MetadataKey.classes] = String(decoding: try encoder.encode(classNames), as: UTF8.self)
    return metadata
  }

  /// Reads the file at `url` and decodes its configuration.
  /// - Parameter kind: what the file should be, for the error ("classifier", "segmentation").
  /// - Throws: `VisionError.missingFile`, `.incompatibleModel` when the configuration entry is absent or
  ///   unreadable, and the reader's errors for a malformed file.
  static func read<Configuration: Decodable>(
    _ type: Configuration.Type, from url: URL, configurationKey: String, kind: String
  ) throws -> (file: SafeTensorsFile, configuration: Configuration) {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw VisionError(.missingFile, source: url.path, "model file not found")
    }
    let file = try SafeTensors.read(from: url)
    guard let json = file.metadata[configurationKey],
      let configuration = try? JSONDecoder().decode(Configuration.self, from: Data(json.utf8))
    else {
      throw VisionError(.incompatibleModel, source: url.path, "no \(configurationKey) metadata: not a Lichen \(kind) file")
    }
    return (file, configuration)
  }

  /// The normalization recorded under `key`, nil when the entry is absent.
  /// - Throws: `VisionError.incompatibleModel` when the entry is present but unreadable.
  static func normalization(in metadata: [String: String], key: String, source: URL) throws -> Normalization? {
    guard let json = metadata[key] else { return nil }
    guard let normalization = try? JSONDecoder().decode(Normalization.self, from: Data(json.utf8)) else {
      throw VisionError(.incompatibleModel, source: source.path, "unreadable \(key) metadata")
    }
    return normalization
  }

  /// The recorded class names, or "class 0", "class 1", ... when the file does not say.
  static func classNames(in metadata: [String: String], count: Int) -> [String] {
    if let json = metadata[MetadataKey.classes],
      let names = try? JSONDecoder().decode([String].self, from: Data(json.utf8)), names.count == count
    {
      return names
    }
    return (0..<count).map { "class \($0)" }
  }

  /// Loads `tensors` into `model` strictly (every name must match) and puts it in evaluation mode.
  /// - Throws: `VisionError.incompatibleModel` naming `source` when names or shapes differ.
  static func load(_ tensors: [String: TensorRecord], into model: any Module, source: URL) throws {
    do {
      try model.load(stateDict: tensors)
    } catch let error as TorchError {
      throw VisionError(.incompatibleModel, source: source.path, error.message)
    }
    model.setTraining(false)
  }
}
