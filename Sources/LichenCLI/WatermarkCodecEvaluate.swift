import ArgumentParser
import Compression
import Foundation
import Imaging
import Torch
import Watermarking

/// `lichen watermark evaluate-codec`: the attack sweep of `evaluate` on a
/// marked codec model, with rate and distortion (real bitstreams: bpp and
/// PSNR on evaluation photos) in place of accuracy. Fine-tuning, overwriting
/// and key-weight fine-tuning train on the attacker's own photos
/// (`--attack-data`) with the RD loss.
struct WatermarkCodecEvaluate: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate-codec",
    abstract: "Attack sweep on a marked codec model (bpp and PSNR of real bitstreams, BER): JSON, CSV and SVG plots.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "Marked codec model (model.safetensors of `lichen train|distill --watermark-message`).") var modelFile: String
  @Option(help: "Watermark key (JSON).") var key: String
  @Option(help: "Expected payload as UTF-8 text.") var message: String?
  @Option(help: "Expected payload as a string of 0/1.") var bits: String?
  @Option(help: "Folder of evaluation PNGs (e.g. Kodak).") var data: String
  @Option(help: "Evaluate on this many of its images (evenly spaced).") var evalLimit = 4
  @Option(help: "The attacker's photos (PNG folder) for fine-tuning, overwriting and key-weight fine-tuning; without it those attacks are skipped.")
  var attackData: String?
  @Option(help: "Fine-tuning / overwriting attack lengths in steps (Adam, RD loss).") var fineTuneSteps = "50,200"
  @Option(help: "Key-interception fine-tuning lengths in steps (SGD on exactly the key weights; empty: none).")
  var keyFineTuneSteps = "10,100"
  @Option(help: "Learning rate of the key-interception fine-tuning.") var keyFineTuneLr = KeyWeightFineTuning.defaultLearningRate
  @Option(help: "Learning rate of the attacker's fine-tuning (Adam).") var attackLr = 1e-4
  @Option(help: "Attacker's crop size (multiple of 64).") var crop = 128
  @Option(help: "Attacker's batch size.") var batchSize = 4
  @Option(help: "Attacker's RD lambda (default: the model's own, else 0.013).") var lambda: Double?
  @Option(help: "Only these attacks, comma-separated family:strength (default: the full sweep).") var attacks: String?
  @Option(help: "Seed of the attacks' randomness and the attacker's batches.") var seed: UInt64 = 0
  @Option(help: "Method name in comparisons (default: the method the model file records).") var label: String?
  @Option(help: "Output folder (evaluation.json, evaluation.csv, <family>-psnr.svg, <family>-ber.svg).") var out: String

  func validate() throws {
    guard evalLimit >= 1, batchSize >= 1, crop > 0, crop % 64 == 0, attackLr > 0 else {
      throw ValidationError("--eval-limit and --batch-size must be positive, --crop a multiple of 64, --attack-lr positive")
    }
    _ = try parseList(fineTuneSteps, "--fine-tune-steps")
    _ = try parseList(keyFineTuneSteps, "--key-fine-tune-steps")
  }

  func run() throws {
    let watermarkKey = try WatermarkKey.read(from: URL(fileURLWithPath: key))
    let expected = try payloadBits(message: message, bits: bits)
    let task = try CodecAttackTask(
      modelFile: URL(fileURLWithPath: modelFile), evaluation: URL(fileURLWithPath: data), evalLimit: evalLimit,
      attackData: attackData.map { URL(fileURLWithPath: $0) }, crop: crop, batchSize: batchSize, learningRate: attackLr,
      lambda: lambda, seed: seed)
    let (settings, skipped) = try task.settings(
      attacks: attacks, fineTuneSteps: try parseList(fineTuneSteps, "--fine-tune-steps"),
      keyFineTuneSteps: try parseList(keyFineTuneSteps, "--key-fine-tune-steps"), keyFineTuneLearningRate: keyFineTuneLr)
    if skipped > 0 { say("no --attack-data: skipping \(skipped) attacks that train the model") }
    let evaluation = try WatermarkEvaluation.measure(
      task, modelFile: modelFile, key: watermarkKey, expected: expected, settings: settings, seed: seed, label: label,
      timingRepetitions: 3, recordsMetric: false,
      timed: { _, _ in
        say("model \(modelFile) on \(task.evaluation.images.count) images of \(data); \(settings.count) settings")
      }
    ) { say($0.codecLine) }
    try evaluation.writeFiles(to: URL(fileURLWithPath: out), rowMetrics: [("psnr", "PSNR (dB)"), ("bpp", "bits per pixel")])
    say("wrote \(out)/evaluation.json, evaluation.csv and the plots")
  }
}
