import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark secrecy`: how much of the key an attacker finds from the model alone.
struct WatermarkSecrecy: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "secrecy",
    abstract: "Rank every markable weight without the key (relative magnitude, robust outlier, repeated magnitude; with --data-batches also Fisher curvature and saliency on the attacker's data) and count the key positions in the top K against chance.")

  @OptionGroup var options: Watermark.FileOptions
  var global: GlobalOptions { options.global }
  @Option(help: "K values, comma-separated (default: 1x, 2x and 10x the key's positions).") var k: String?
  @Option(help: "Also rank by the Fisher diagonal and the saliency, averaged over this many of the attacker's training batches (64 images; a classifier or segmentation model file; default 0: weights only).")
  var dataBatches = 0
  @Option(help: "Dataset folder for --data-batches (default: the dataset's usual place).") var data: String?
  @Option(help: "Seed of the attacker's batches.") var seed: UInt64 = 0
  @Option(help: "Write the rows as JSON here.") var json: String?

  func validate() throws {
    guard dataBatches >= 0 else { throw ValidationError("--data-batches must be 0 (weights only) or positive") }
  }

  func run() throws {
    let (entries, key) = try options.load()
    let layers = try KeySecrecy.markable(stateDict: entries)
    var fisher: [String: [Float]]?
    if dataBatches > 0 {
      let task = try VisionAttackTask.forModelFile(
        URL(fileURLWithPath: options.model), data: data.map { URL(fileURLWithPath: $0) }, evalLimit: 1, seed: seed)
      let subject = try task.load()
      guard let loss = subject.attackerLoss else {
        throw ValidationError("\(options.model): this model's task has no training loss for --data-batches")
      }
      fisher = try KeySecrecy.fisherDiagonal(of: subject.model, batches: dataBatches, loss: loss)
    }
    let (rows, summary) = try KeySecrecy.report(
      layers: layers, key: key, ks: k.map { try parseList($0, "--k") }, fisher: fisher)
    print(summary)
    print(KeySecrecy.table(rows))
    try writeFile(json) { try PrettyJSON.write(rows, to: $0) }
  }
}
