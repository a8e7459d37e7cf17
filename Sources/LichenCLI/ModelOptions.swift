import ArgumentParser
import Compression

/// `--model NAME|PATH`, shared by every command that loads a codec.
struct ModelOptions: ParsableArguments {
  @Option(help: "Registry name (see `lichen models`) or a .safetensors/.pth path (default: \(ModelRegistry.defaultName)).")
  var model: String?

  func load() throws -> LoadedModel { try ModelStore.load(model ?? ModelRegistry.defaultName) }
}
