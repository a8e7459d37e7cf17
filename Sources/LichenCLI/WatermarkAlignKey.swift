import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark align-key`: add the channel signatures of the owner's model to a key.
struct WatermarkAlignKey: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "align-key",
    abstract: "Add the sign signatures of the owner's model's channels to its key, so the detector finds the channels again after a function-preserving permutation and rescaling.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "The owner's marked classifier or segmentation model (model.safetensors).") var model: String
  @Option(help: "Its watermark key (JSON).") var key: String
  @Option(help: "Write the key with signatures here (default: replace --key).") var out: String?

  func run() throws {
    let aligned = try WatermarkKey.aligned(keyPath: key, modelPath: model)
    let destination = out ?? key
    try aligned.write(to: URL(fileURLWithPath: destination))
    say("wrote \(destination): signatures of \(aligned.alignment?.count ?? 0) channel groups")
  }
}
