import ArgumentParser
import Foundation
import Torch
import Vision

/// `lichen classify export`: re-save a classifier file in float16 (to commit it) or float32.
struct ClassifyExport: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "export", abstract: "Re-save a classifier file with its weights in float16 (half the size) or float32.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "A model.safetensors written by `lichen classify train` or `watermark embed`.") var modelFile: String
  @Option(help: "Output .safetensors.") var out: String
  @Option(help: "float16 | float32.") var precision = "float16"

  func run() throws {
    let storage: DType
    switch precision {
    case "float16": storage = .float16
    case "float32": storage = .float32
    default: throw ValidationError("--precision must be float16 or float32")
    }
    let size = try ClassifierFile.export(from: URL(fileURLWithPath: modelFile), storage: storage,
                                         to: URL(fileURLWithPath: out))
    say(String(format: "wrote %@ (%.1f MB, %@)", out, Double(size) / 1e6, precision))
  }
}
