import Compression
import Foundation
import IntegerEngine
import Quantization
import Torch

/// A model given to the FPGA commands (`--model`, `--teacher`): a registry
/// name, a float model file or an integer model file. Integer models fix
/// the bit widths; float models take them from a quantization scheme
/// (default `hybrid`).
public struct HardwareModel {
  public enum Weights {
    case integer(IntegerHyperprior)
    case float(any CompressionModel)
  }

  public var weights: Weights
  public var configuration: ModelConfiguration
  public var source: String
  public var metadata: [String: String]

  public static let defaultScheme = "hybrid"
  /// The scheme of the bundled integer models (ModelRegistry.integerEntries).
  public static let bundledIntegerScheme = "hybrid"

  public var isInteger: Bool {
    if case .integer = weights { return true }
    return false
  }

  /// The scheme an integer model was quantized with (its metadata), or nil.
  public var recordedScheme: String? { metadata[MetadataKey.scheme] }

  public static func load(_ nameOrPath: String) throws -> HardwareModel {
    switch try NamedModel.load(nameOrPath) {
    case .integer(let file):
      return HardwareModel(weights: .integer(file.model), configuration: file.configuration,
                           source: ModelRegistry.entry(named: nameOrPath)?.name ?? nameOrPath, metadata: file.metadata)
    case .float(let loaded):
      return HardwareModel(weights: .float(loaded.model), configuration: loaded.configuration, source: loaded.source,
                           metadata: loaded.metadata)
    }
  }

  /// The stage graph of `part` at `resolution`. `scheme` applies to float models only.
  public func graph(scheme: String?, resolution: Resolution, part: PipelinePart) throws -> LayerGraph {
    switch weights {
    case .integer(let model):
      if let scheme, scheme != recordedScheme {
        throw HardwareError("\(source) is an integer model: its bit widths are fixed (scheme \(recordedScheme ?? "unrecorded")); --scheme \(scheme) applies to float models only")
      }
      return try LayerGraph.build(integer: model, configuration: configuration, source: source, scheme: recordedScheme,
                                  resolution: resolution, part: part)
    case .float(let model):
      return try LayerGraph.build(float: model, configuration: configuration, source: source,
                                  scheme: try QuantizationScheme(scheme ?? Self.defaultScheme), resolution: resolution, part: part)
    }
  }

  /// The scheme students of this model are planned with: `scheme`, else the recorded one, else hybrid.
  public func studentScheme(_ scheme: String?) -> String { scheme ?? recordedScheme ?? Self.defaultScheme }
}
