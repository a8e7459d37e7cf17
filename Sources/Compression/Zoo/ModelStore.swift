import Foundation
import Torch

/// A model with what it is: configuration and free-form metadata (lambda, steps...).
public struct LoadedModel {
  public var model: any CompressionModel
  public var configuration: ModelConfiguration
  public var metadata: [String: String]
  /// Where it came from: a registry name or a path.
  public var source: String
  /// FNV-1a 64 of the state dict (names, dtypes, shapes, bytes): identifies the weights in bitstreams.
  public var weightsHash: UInt64

  public init(model: any CompressionModel, configuration: ModelConfiguration, metadata: [String: String] = [:],
              source: String, weightsHash: UInt64) {
    self.model = model
    self.configuration = configuration
    self.metadata = metadata
    self.source = source
    self.weightsHash = weightsHash
  }

  /// The lambda the model was trained at: its metadata's, else its registry
  /// entry's; nil for foreign checkpoints that do not say.
  public var trainingLambda: Double? {
    if let value = metadata[MetadataKey.lambda].flatMap(Double.init), value > 0 { return value }
    return ModelRegistry.entry(named: source)?.lambda
  }
}

/// Reads and writes codec model files: Lichen's safetensors (with metadata
/// "lichen.architecture", "lichen.N", "lichen.M", "lichen.gdn") and
/// CompressAI/PyTorch checkpoints (`.pth`, `.pth.tar`; N and M read off the
/// weight shapes).
public enum ModelStore {
  public enum Precision: String, Sendable { case float32, float16 }

  /// Saves weights and tables; float16 halves the file (parameters only; integer tables stay exact).
  public static func save(
    _ model: any CompressionModel, config: ModelConfiguration, metadata: [String: String] = [:],
    precision: Precision = .float32, to url: URL
  ) throws {
    var tensors: [String: TensorRecord] = [:]
    let parameterNames = Set(model.namedParameters().map(\.name))
    for (name, tensor) in model.stateDict() {
      let stored = precision == .float16 && parameterNames.contains(name) ? try tensor.to(.float16) : tensor
      tensors[name] = try stored.record()
    }
    var meta = metadata
    meta[MetadataKey.architecture] = config.architecture.rawValue
    meta[MetadataKey.n] = String(config.n)
    meta[MetadataKey.m] = String(config.m)
    meta[MetadataKey.gdn] = config.gdnVariant.rawValue
    meta[MetadataKey.format] = "1"
    try SafeTensors.write(tensors, metadata: meta, to: url)
  }

  /// Loads a registry name (see `ModelRegistry`) or a file path.
  public static func load(_ nameOrPath: String) throws -> LoadedModel {
    if let entry = ModelRegistry.entry(named: nameOrPath) {
      guard !entry.isInteger else {
        throw CodecError.invalidModel("\(entry.name) is an integer-engine model; it codes with --engine integer, not as float weights")
      }
      var loaded = try load(file: try entry.url())
      loaded.source = entry.name
      return loaded
    }
    let url = URL(fileURLWithPath: nameOrPath)
    guard FileManager.default.fileExists(atPath: url.path) else {
      let lower = nameOrPath.lowercased()
      if nameOrPath.contains("/") || [".safetensors", ".pth", ".pt"].contains(where: lower.hasSuffix) {
        throw CodecError.invalidModel("model file not found: \(nameOrPath)")
      }
      throw CodecError.invalidModel(
        "no model named '\(nameOrPath)' (known: \((ModelRegistry.entries + ModelRegistry.integerEntries).map(\.name).joined(separator: ", "))) and no such file")
    }
    return try load(file: url)
  }

  public static func load(file url: URL) throws -> LoadedModel {
    let entries: [String: TensorRecord]
    var metadata: [String: String] = [:]
    let lower = url.lastPathComponent.lowercased()
    do {
      if lower.hasSuffix(".pth") || lower.hasSuffix(".pth.tar") || lower.hasSuffix(".pt") {
        entries = Dictionary(try PyTorchCheckpoint.stateDict(from: url).map { ($0.name, $0.tensor) },
                             uniquingKeysWith: { a, _ in a })
      } else {
        let file = try SafeTensors.read(from: url)
        entries = file.tensors
        metadata = file.metadata
      }
    } catch let error as CodecError {
      throw error
    } catch {
      throw CodecError.invalidModel("\(url.path): \(error)")
    }
    let configuration = try inferConfiguration(entries: entries, metadata: metadata, source: url.path)
    let model = try configuration.makeModel()
    let normalized = normalizeLegacyNames(entries)
    do {
      try model.load(stateDict: normalized, matching: .strict)
    } catch {
      throw CodecError.invalidModel("\(url.path) does not fit \(configuration.architecture.rawValue) N=\(configuration.n) M=\(configuration.m): \(error)")
    }
    try invalidateTables(model)
    if needsUpdate(model) { try model.update() }
    model.setTraining(false)
    return LoadedModel(model: model, configuration: configuration, metadata: metadata, source: url.path,
                       weightsHash: try weightsHash(model))
  }

  /// Architecture, N and M from metadata, else from the weight shapes (as CompressAI's `from_state_dict`).
  static func inferConfiguration(entries: [String: TensorRecord], metadata: [String: String], source: String) throws
    -> ModelConfiguration
  {
    if let arch = metadata[MetadataKey.architecture].flatMap(Architecture.init(rawValue:)),
      let n = metadata[MetadataKey.n].flatMap(Int.init), let m = metadata[MetadataKey.m].flatMap(Int.init)
    {
      let gdn = metadata[MetadataKey.gdn].flatMap(GDN.Variant.init(rawValue:)) ?? .standard
      return ModelConfiguration(architecture: arch, n: n, m: m, gdnVariant: gdn)
    }
    guard let first = entries["g_a.0.weight"], first.shape.count == 4, let last = entries["g_a.6.weight"],
      last.shape.count == 4
    else {
      throw CodecError.invalidModel("\(source) is not a Balle-2018 codec (no g_a.0.weight / g_a.6.weight)")
    }
    // h_s ends in a 3x3 convolution to M channels (scales) in the scale hyperprior, to 2M (scales
    // and means) in the mean-scale hyperprior; the factorized prior has no h_a.
    let architecture: Architecture
    if entries["h_a.0.weight"] == nil {
      architecture = .factorizedPrior
    } else if let scales = entries["h_s.4.weight"], scales.shape.count == 4, scales.shape[0] == 2 * last.shape[0] {
      architecture = .meanScaleHyperprior
    } else {
      architecture = .scaleHyperprior
    }
    return ModelConfiguration(architecture: architecture, n: first.shape[0], m: last.shape[0])
  }

  /// CompressAI before 1.2 named the bottleneck's parameters `_matrices0`; 1.2 uses `matrices.0`.
  static func normalizeLegacyNames(_ entries: [String: TensorRecord]) -> [String: TensorRecord] {
    var result: [String: TensorRecord] = [:]
    for (name, record) in entries {
      var renamed = name
      for kind in ["matrices", "biases", "factors"] {
        if let range = renamed.range(of: "entropy_bottleneck._\(kind)"),
          let index = Int(renamed[range.upperBound...])
        {
          renamed = "entropy_bottleneck.\(kind).\(index)"
        }
      }
      result[renamed] = record
    }
    return result
  }

  static func invalidateTables(_ model: any CompressionModel) throws {
    if let m = model as? any HyperpriorModel {
      m.entropyBottleneck.tables.invalidate()
      m.gaussianConditional.tables.invalidate()
    } else if let m = model as? FactorizedPrior {
      m.entropyBottleneck.tables.invalidate()
    }
  }

  static func needsUpdate(_ model: any CompressionModel) -> Bool {
    if let m = model as? any HyperpriorModel {
      return m.entropyBottleneck.tables.isEmpty || m.gaussianConditional.tables.isEmpty
        || m.gaussianConditional.scaleTable.elementCount == 0
    }
    if let m = model as? FactorizedPrior { return m.entropyBottleneck.tables.isEmpty }
    return true
  }

  public static func weightsHash(_ model: any CompressionModel) throws -> UInt64 {
    var hash = FNV1a64()
    for (name, tensor) in model.stateDict().sorted(by: { $0.name < $1.name }) {
      hash.update(Array(name.utf8))
      hash.update(Array(tensor.dtype.description.utf8))
      hash.update(tensor.shape.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) })
      hash.update(try tensor.bytes())
    }
    return hash.value
  }
}
