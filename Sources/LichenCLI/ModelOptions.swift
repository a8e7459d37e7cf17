import ArgumentParser
import Compression
import Foundation
import Quantization
import Torch

extension Engine: ExpressibleByArgument {
  static let help = "Arithmetic: auto (the integer engine, bit-exact on any machine, for integer models and bundled models that have an integer version; float otherwise), float, integer."
}

/// `--model NAME|PATH` and `--engine`, shared by every command that loads a codec.
struct ModelOptions: ParsableArguments {
  @Option(help: "Registry name (see `lichen models`), a .safetensors/.pth path, or an integer model from `lichen quantize` (default: \(ModelRegistry.defaultName)).")
  var model: String?
  @Option(help: ArgumentHelp(Engine.help)) var engine: Engine = .auto

  /// The codec `--model` and `--engine` name.
  /// - Parameter needsFloat: the caller needs the float model (latent refinement); `auto` then means float.
  func codec(needsFloat: Bool = false) throws -> CodecChoice {
    try CodecChoice.named(model ?? ModelRegistry.defaultName, engine: needsFloat && engine == .auto ? .float : engine,
                          threads: Torch.threads)
  }
}
