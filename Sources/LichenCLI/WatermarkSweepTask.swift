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
    if let attacks {
      let specs = attacks.split(separator: ",").map(String.init)
      guard !specs.isEmpty else { throw ValidationError("--attacks lists no attack") }
      return try specs.map {
        var setting = try AttackSetting(spec: $0)
        if setting.family.isKeyFineTuning { setting.learningRate = keyFineTuneLr }
        return setting
      }
    }
    return AttackSweep.standardSettings(
      fineTuneSteps: try parseList(fineTuneSteps, "--fine-tune-steps"),
      keyFineTuneSteps: try parseList(keyFineTuneSteps, "--key-fine-tune-steps"), keyFineTuneLearningRate: keyFineTuneLr)
  }
}

/// The task side of an attack sweep: fresh copies of the marked model with
/// the task's metric, the attacker's fine-tuning and loss (`AttackSubject`).
protocol AttackTask {
  var url: URL { get }
  var metadata: [String: String] { get }
  /// What `AttackSubject.evaluate` measures ("accuracy", "mIoU").
  var metricName: String { get }
  func load() throws -> AttackSubject
}

/// The task of a marked model file, told by its metadata: a segmentation
/// model (`segment embed`) or a classifier (`watermark embed`).
func makeAttackTask(options: AttackSweepOptions) throws -> any AttackTask {
  let url = URL(fileURLWithPath: options.modelFile)
  guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("\(url.path): model file not found") }
  if SegmentationFile.isSegmentationModel(try SafeTensors.read(from: url).metadata) {
    return try SegmentationAttackTask(modelFile: url, data: options.data, evalLimit: options.evalLimit, seed: options.seed)
  }
  return try ClassifierAttackTask(modelFile: url, data: options.data, evalLimit: options.evalLimit, seed: options.seed)
}

/// The classifier side of an attack sweep: fresh copies of the marked model,
/// test accuracy, the attacker's fine-tuning (plain SGD on the training
/// split, no masks except the attacker's own key) and the attacker's loss
/// for the key-interception fine-tuning (same batches, same seed).
struct ClassifierAttackTask: AttackTask {
  var metricName: String { "accuracy" }
  let url: URL
  let normalization: Normalization
  let metadata: [String: String]
  let test: ClassificationDataset
  let training: ClassificationDataset
  let seed: UInt64

  /// - Parameter data: the dataset folder (nil: the usual place of the dataset the model file names).
  init(modelFile: URL, data: String?, evalLimit: Int?, seed: UInt64) throws {
    url = modelFile
    let reference = try ClassifierFile.load(from: url)
    normalization = reference.normalization
    metadata = reference.metadata
    let dataset = reference.metadata[MetadataKey.dataset].flatMap(StandardDataset.init(rawValue:)) ?? .cifar10
    let directory = data.map { URL(fileURLWithPath: $0) } ?? dataset.defaultDirectory
    var test = try dataset.load(directory: directory, split: .test)
    if let evalLimit { test = try test.prefix(evalLimit) }
    self.test = test
    training = try dataset.load(directory: directory, split: .train)
    self.seed = seed
  }

  /// A fresh copy of the marked model, read from its file.
  func load() throws -> AttackSubject {
    let file = try ClassifierFile.load(from: url)
    let sampler = try self.sampler
    let model = file.model
    return AttackSubject(
      model: model,
      evaluate: { try ClassifierEvaluation.evaluate(model, on: test, normalization: file.normalization).accuracy },
      fineTune: { steps, frozen in try fineTune(model, steps: steps, freezing: frozen) },
      attackerLoss: { step in
        let (images, labels) = try sampler.trainingBatch(step: step).tensors()
        return try Loss.crossEntropy(model(images), labels)
      })
  }

  /// The attacker's batches: the training split, augmented, in a seeded order.
  var sampler: BatchSampler {
    get throws {
      try BatchSampler(dataset: training, batchSize: 64, normalization: normalization, augmentation: .standard, seed: seed)
    }
  }

  func fineTune(_ model: any Layer, steps: Int, freezing attackerKey: WatermarkKey?) throws {
    let sampler = try self.sampler
    let task = FineTuningTask(model: model, steps: steps,
                              optimizer: .sgd(learningRate: 1e-3, momentum: 0.9, weightDecay: 0, nesterov: false)) { step in
      let (images, labels) = try sampler.trainingBatch(step: step).tensors()
      return try Loss.crossEntropy(model(images), labels)
    }
    try Trainer.fineTune(task) { trainer in
      if let attackerKey { try Embedder.freeze(model, key: attackerKey, in: trainer.parameterOptimizer) }
    }
  }
}

/// One progress line per sweep row; `metric` names what the row's `accuracy` holds.
func sayRow(_ row: AttackSweepRow, metric: String = "accuracy") {
  let label = row.attack.padding(toLength: 48, withPad: " ", startingAt: 0)
  say(label + String(format: "%8.3g  %@ %6.2f%%  BER %.4f  p %.3g  ", row.strength, metric, 100 * row.accuracy,
                     row.bitErrorRate, row.falsePositiveProbability) + (row.detected ? "detected" : "LOST"))
}
