import ArgumentParser
import Compression
import Foundation
import Quantization
import Torch

/// Which arithmetic codes the image.
enum Engine: String, ExpressibleByArgument, CaseIterable {
  /// Float libtorch for float models, the integer engine for integer model files.
  case auto
  case float
  case integer
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
  @Option(help: "Arithmetic: auto (integer engine for integer model files), float, integer.")
  var engine: Engine = .auto

  func load() throws -> LoadedModel { try ModelStore.load(model ?? ModelRegistry.defaultName) }

  func codec() throws -> ChosenCodec { try Self.codec(model ?? ModelRegistry.defaultName, engine: engine) }

  static func codec(_ name: String, engine: Engine) throws -> ChosenCodec {
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
      throw ValidationError("\(name) is a float model; make an integer model with `lichen quantize --model \(name) ...`")
    }
    let loaded = try ModelStore.load(name)
    return ChosenCodec(float: ImageCodec(loaded))
  }
}
