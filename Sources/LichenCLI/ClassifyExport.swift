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
    let file = try ClassifierFile.load(from: URL(fileURLWithPath: modelFile))
    try ClassifierFile.save(file.model, configuration: file.configuration, normalization: file.normalization,
                            classNames: file.classNames, extraMetadata: file.metadata, storage: storage,
                            to: URL(fileURLWithPath: out))
    let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
    say(String(format: "wrote %@ (%.1f MB, %@)", out, Double(size) / 1e6, precision))
  }
}
