import ArgumentParser
import Compression
import Foundation
import Quantization
import Torch

/// Which arithmetic codes the image.
enum Engine: String, ExpressibleByArgument, CaseIterable {
  /// The integer engine for integer model files and for bundled float models that have an
  /// integer version (bit-exact on every machine); float libtorch otherwise.
  case auto
  case float
  case integer

  static let help = "Arithmetic: auto (the integer engine, bit-exact on any machine, for integer models and bundled models that have an integer version; float otherwise), float, integer."
}

/// A ready codec and where it came from.
struct ChosenCodec {
  var compressor: any ImageCompressor
  var source: String
  var weightsHash: UInt64
  /// The float codec (for likelihood estimates); nil for integer models.
  var float: ImageCodec?
}

extension ChosenCodec {
  init(float codec: ImageCodec) {
    self.init(compressor: codec, source: codec.loaded.source, weightsHash: codec.loaded.weightsHash, float: codec)
  }
}

/// `--model NAME|PATH` and `--engine`, shared by every command that loads a codec.
struct ModelOptions: ParsableArguments {
  @Option(help: "Registry name (see `lichen models`), a .safetensors/.pth path, or an integer model from `lichen quantize` (default: \(ModelRegistry.defaultName)).")
  var model: String?
  @Option(help: ArgumentHelp(Engine.help)) var engine: Engine = .auto

  func load() throws -> LoadedModel { try ModelStore.load(model ?? ModelRegistry.defaultName) }

  /// The codec `--model` and `--engine` name.
  /// - Parameter needsFloat: the caller needs the float model (latent refinement); `auto` then means float.
  func codec(needsFloat: Bool = false) throws -> ChosenCodec {
    try Self.codec(model ?? ModelRegistry.defaultName, engine: needsFloat && engine == .auto ? .float : engine)
  }

  /// The codec for a registry name or path.
  ///
  /// A bundled float model with an integer version runs on the integer engine unless `engine` is `.float`.
  static func codec(_ name: String, engine: Engine) throws -> ChosenCodec {
    if engine != .float, let integer = ModelRegistry.integerVersion(of: name) {
      return try codec(integer.name, engine: .integer)
    }
    let entry = ModelRegistry.entry(named: name)
    let url = try entry.map { try $0.url() } ?? URL(fileURLWithPath: name)
    if entry?.isInteger == true || IntegerModelFile.isIntegerModel(at: url) {
      guard engine != .float else {
        throw ValidationError("\(name) is an integer model; it runs only on the integer engine (drop --engine float)")
      }
      var file = try IntegerModelFile.load(from: url)
      if let entry { file.source = entry.name }
      return ChosenCodec(compressor: IntegerImageCodec(file, threads: Torch.threads), source: file.source,
                         weightsHash: file.weightsHash, float: nil)
    }
    guard engine != .integer else {
      throw ValidationError("\(name) is a float model with no bundled integer version; make one with `lichen quantize --model \(name) ...`")
    }
    let loaded = try ModelStore.load(name)
    return ChosenCodec(float: ImageCodec(loaded))
  }
}
