import Compression
import Foundation
import IntegerEngine

/// The weights a registry name or a file path names: float, or an integer-engine model.
public enum NamedModel {
  case float(LoadedModel)
  case integer(IntegerModelFile)

  /// The model `nameOrPath` names, as named: a float name stays float (see `CodecChoice.named` for the
  /// engine choice).
  public static func load(_ nameOrPath: String) throws -> NamedModel {
    let entry = ModelRegistry.entry(named: nameOrPath)
    let url = try entry.map { try $0.url() } ?? URL(fileURLWithPath: nameOrPath)
    if entry?.isInteger == true || IntegerModelFile.isIntegerModel(at: url) {
      var file = try IntegerModelFile.load(from: url)
      if let entry { file.source = entry.name }
      return .integer(file)
    }
    return .float(try ModelStore.load(nameOrPath))
  }
}

/// Which arithmetic codes an image.
public enum Engine: String, CaseIterable, Sendable {
  /// The integer engine for integer models and for bundled float models that have an integer version
  /// (bit-exact on every machine); float libtorch otherwise.
  case auto
  case float
  case integer
}

/// A ready image codec and the model it runs.
public struct CodecChoice {
  public var compressor: any ImageCompressor
  /// The model's registry name or path.
  public var source: String
  /// The hash a `.lic` file it writes carries.
  public var weightsHash: UInt64
  /// The float codec (likelihood estimates, latent refinement); nil for integer models.
  public var float: ImageCodec?

  public init(float codec: ImageCodec) {
    compressor = codec
    source = codec.loaded.source
    weightsHash = codec.loaded.weightsHash
    float = codec
  }

  public init(integer file: IntegerModelFile, threads: Int) {
    compressor = IntegerImageCodec(file, threads: threads)
    source = file.source
    weightsHash = file.weightsHash
    float = nil
  }

  /// The codec for a registry name or a path under `engine`: a bundled float model with an integer version
  /// runs that version unless `engine` is `.float`.
  /// - Parameters:
  ///   - nameOrPath: A registry name (`lichen models`), a float model file or an integer model file.
  ///   - engine: The arithmetic asked for.
  ///   - threads: Threads of the integer engine (the float engine uses libtorch's setting).
  /// - Throws: `QuantizationError` when the model cannot run on `engine`; the loaders' errors.
  public static func named(_ nameOrPath: String, engine: Engine, threads: Int) throws -> CodecChoice {
    if engine != .float, let integer = ModelRegistry.integerVersion(of: nameOrPath) {
      return try named(integer.name, engine: .integer, threads: threads)
    }
    switch try NamedModel.load(nameOrPath) {
    case .integer(let file):
      guard engine != .float else {
        throw QuantizationError("\(nameOrPath) is an integer model; it runs only on the integer engine")
      }
      return CodecChoice(integer: file, threads: threads)
    case .float(let loaded):
      guard engine != .integer else {
        throw QuantizationError("\(nameOrPath) is a float model with no bundled integer version; make one with `lichen quantize --model \(nameOrPath) ...`")
      }
      return CodecChoice(float: ImageCodec(loaded))
    }
  }

  /// The bundled model whose weights wrote a file carrying `weightsHash`: integer models first, then float
  /// ones, as `engine` allows.
  /// - Throws: `CodecError.invalidBitstream` when no bundled model made the file.
  public static func bundled(madeFileWithHash weightsHash: UInt64, engine: Engine, threads: Int) throws -> CodecChoice {
    if engine != .float {
      // Loading an integer model computes its hash; the default model's version goes first, as most files are its.
      let defaultVersion = ModelRegistry.integerVersion(of: ModelRegistry.defaultName)?.name
      let all = ModelRegistry.availableIntegers
      let candidates = all.filter { $0.name == defaultVersion } + all.filter { $0.name != defaultVersion }
      for entry in candidates {
        let choice = try named(entry.name, engine: .integer, threads: threads)
        if choice.weightsHash == weightsHash { return choice }
      }
    }
    if engine != .integer {
      for entry in ModelRegistry.available {
        let loaded = try ModelStore.load(entry.name)
        if loaded.weightsHash == weightsHash { return CodecChoice(float: ImageCodec(loaded)) }
      }
    }
    let which = engine == .auto ? "bundled model" : "bundled \(engine.rawValue) model"
    throw CodecError.invalidBitstream(String(format: "no %@ made this file (weights hash %016llx); pass --model", which,
                                             weightsHash))
  }

  /// The codec `nameOrPath` names for a file carrying `weightsHash`: under `.auto`, a bundled float model's
  /// integer version, or the float model itself when that is what wrote the file.
  public static func named(_ nameOrPath: String, forFileWithHash weightsHash: UInt64, engine: Engine,
                           threads: Int) throws -> CodecChoice {
    let choice = try named(nameOrPath, engine: engine, threads: threads)
    if engine == .auto, choice.weightsHash != weightsHash, choice.float == nil,
      ModelRegistry.integerVersion(of: nameOrPath) != nil
    {
      let float = try named(nameOrPath, engine: .float, threads: threads)
      if float.weightsHash == weightsHash { return float }
    }
    return choice
  }
}
