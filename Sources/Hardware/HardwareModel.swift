import CodecFormat
import Foundation
import IntegerCodec
import IntegerEngine
import LichenSerialization

/// A model given to the FPGA commands (`--model`, `--teacher`): an integer
/// model, whose weights fix the bit widths, or a float model, of which the
/// planner needs only the configuration (shapes follow from it) and takes
/// the bit widths from a quantization scheme (default `int8-s16`: every product 8x8, two per DSP48E2). Loading one
/// by registry name or file is `HardwareModel.load` (Deployment), which
/// needs the float models' tensor library; the planner itself does not.
public struct HardwareModel {
  public enum Weights {
    case integer(IntegerHyperprior)
    /// A float model: its shapes come from `configuration`.
    case float
  }

  public var weights: Weights
  public var configuration: ModelConfiguration
  public var source: String
  public var metadata: [String: String]

  public static let defaultScheme = "int8-s16"
  /// The scheme of the bundled integer models (ModelRegistry.integerEntries).
  public static let bundledIntegerScheme = "hybrid"

  public init(weights: Weights, configuration: ModelConfiguration, source: String, metadata: [String: String]) {
    self.weights = weights
    self.configuration = configuration
    self.source = source
    self.metadata = metadata
  }

  public var isInteger: Bool {
    if case .integer = weights { return true }
    return false
  }

  /// The scheme an integer model was quantized with (its metadata), or nil.
  public var recordedScheme: String? { metadata[MetadataKey.scheme] }

  /// The stage graph of `part` at `resolution`. `scheme` applies to float models only.
  public func graph(scheme: String?, resolution: Resolution, part: PipelinePart) throws -> LayerGraph {
    switch weights {
    case .integer(let model):
      if let scheme, scheme != recordedScheme {
        throw HardwareError("\(source) is an integer model: its bit widths are fixed (scheme \(recordedScheme ?? "unrecorded")); --scheme \(scheme) applies to float models only")
      }
      return try LayerGraph.build(integer: model, configuration: configuration, source: source, scheme: recordedScheme,
                                  resolution: resolution, part: part)
    case .float:
      return try LayerGraph.build(configuration: configuration, source: source,
                                  scheme: try QuantizationScheme(scheme ?? Self.defaultScheme), resolution: resolution, part: part)
    }
  }

  /// The scheme students of this model are planned with: `scheme`, else the recorded one, else `defaultScheme`.
  public func studentScheme(_ scheme: String?) -> String { scheme ?? recordedScheme ?? Self.defaultScheme }
}
