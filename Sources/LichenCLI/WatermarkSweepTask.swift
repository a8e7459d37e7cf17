import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// Options `lichen watermark attack` and `evaluate` share: the marked
/// model (classifier or segmentation), its key and payload, the data and the attack lengths.
struct AttackSweepOptions: ParsableArguments {
  @Option(help: "Marked model (model.safetensors from `watermark embed` or `segment embed`).") var modelFile: String
  @Option(help: "Watermark key (JSON).") var key: String
  @Option(help: "Expected payload as UTF-8 text.") var message: String?
  @Option(help: "Expected payload as a string of 0/1.") var bits: String?
  @Option(help: "Dataset folder (default: the dataset's usual place).") var data: String?
  @Option(help: "Evaluate on only the first N test images.") var evalLimit: Int?
  @Option(help: "Fine-tuning / overwriting attack lengths in steps (SGD lr 1e-3, momentum 0.9, batch 64 images; 8 for segmentation).")
  var fineTuneSteps = "50,200"
  @Option(help: "Key-interception fine-tuning lengths in steps: SGD (momentum 0.9, batch 64) on exactly the key weights, from the marked and from re-randomized values (empty: none).")
  var keyFineTuneSteps = "10,100"
  @Option(help: "Learning rate of the key-interception fine-tuning.") var keyFineTuneLr = KeyWeightFineTuning.defaultLearningRate
  @Option(help: "Seed of the attacks' randomness.") var seed: UInt64 = 0
  @Option(help: "Only these attacks, comma-separated FAMILY[:STRENGTH] (e.g. none,key-interception-flip,key-interception-fine-tune:100; default: the standard sweep). The clean row (none) is not added by itself.")
  var attacks: String?

  func validate() throws {
    _ = try parseList(fineTuneSteps, "--fine-tune-steps")
    _ = try parseList(keyFineTuneSteps, "--key-fine-tune-steps")
    guard keyFineTuneLr > 0, keyFineTuneLr.isFinite else { throw ValidationError("--key-fine-tune-lr must be positive") }
    _ = try settings()
  }

  /// Every setting `attack` and `evaluate` sweep: the `--attacks` list, else the standard sweep.
  func settings() throws -> [AttackSetting] {
    if let attacks { return try AttackSetting.list(parsing: attacks, keyFineTuneLearningRate: keyFineTuneLr) }
    return AttackSweep.standardSettings(
      fineTuneSteps: try parseList(fineTuneSteps, "--fine-tune-steps"),
      keyFineTuneSteps: try parseList(keyFineTuneSteps, "--key-fine-tune-steps"), keyFineTuneLearningRate: keyFineTuneLr)
  }

  /// The marked model's task (told by its metadata: a segmentation model from `segment embed` or a
  /// classifier from `watermark embed`), its key and the expected payload.
  func load() throws -> (task: any AttackTask, key: WatermarkKey, expected: [Bool]) {
    let watermarkKey = try WatermarkKey.read(from: URL(fileURLWithPath: key))
    let expected = try payloadBits(message: message, bits: bits)
    let url = URL(fileURLWithPath: modelFile)
    guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("\(url.path): model file not found") }
    let task = try VisionAttackTask.forModelFile(url, data: data.map { URL(fileURLWithPath: $0) }, evalLimit: evalLimit,
                                                 seed: seed)
    return (task, watermarkKey, expected)
  }
}
