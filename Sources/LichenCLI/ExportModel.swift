import ArgumentParser
import Compression
import Foundation
import Torch

/// `lichen export-model`: re-save a codec model file (e.g. as float16 for
/// bundling) with extra metadata, rebuilding its CDF tables.
struct ExportModel: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-model", abstract: "Re-save a codec model (float16 or float32) with metadata, e.g. for the registry.")

  @Argument(help: "Input model (registry name, .safetensors or .pth).") var input: String
  @Argument(help: "Output .safetensors.") var output: String
  @Option(help: "float32 | float16 (parameters only; integer tables stay exact).") var precision = "float16"
  @Option(parsing: .upToNextOption, help: "Metadata entries key=value.") var meta: [String] = []
  @Flag(help: "Keep the trained quantiles instead of fitting them exactly to the density's tails.")
  var keepQuantiles = false

  @OptionGroup var global: GlobalOptions

  func run() throws {
    guard let p = ModelStore.Precision(rawValue: precision) else {
      throw ValidationError("--precision must be float32 or float16")
    }
    let loaded = try ModelStore.load(input)
    var metadata = loaded.metadata.filter { !$0.key.hasPrefix("lichen.") }
    for entry in meta {
      guard let eq = entry.firstIndex(of: "=") else { throw ValidationError("--meta expects key=value, got '\(entry)'") }
      metadata[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
    }
    let size = try ModelStore.export(loaded, metadata: metadata, precision: p, keepQuantiles: keepQuantiles,
                                     to: URL(fileURLWithPath: output), log: { print($0) })
    print(String(format: "wrote %@ (%.1f MB, %@)", output, Double(size) / 1e6, precision))
  }
}
