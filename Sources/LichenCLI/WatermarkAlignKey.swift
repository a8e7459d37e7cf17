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
    let url = URL(fileURLWithPath: model)
    guard FileManager.default.fileExists(atPath: url.path) else { throw WatermarkError("\(model): model file not found") }
    let owner = try VisionAttackTask.model(from: url)
    var watermarkKey = try WatermarkKey.read(from: URL(fileURLWithPath: key))
    try watermarkKey.check(owner)  // the key belongs to this architecture
    let signatures = try ChannelPermutation.signatures(of: owner, seed: watermarkKey.seed)
    guard !signatures.isEmpty else { throw WatermarkError("\(model) has no permutable channel groups (residual basic blocks)") }
    watermarkKey.alignment = signatures
    let destination = out ?? key
    try watermarkKey.write(to: URL(fileURLWithPath: destination))
    say("wrote \(destination): signatures of \(signatures.count) channel groups")
  }
}
