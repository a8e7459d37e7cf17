import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark attack`: every removal attack at several strengths on a
/// marked classifier; one row per setting with task accuracy, BER and the
/// detector's verdict (JSON and CSV).
struct WatermarkAttack: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "attack",
    abstract: "Sweep noise, pruning, quantization, fine-tuning, overwriting and key-interception attacks on a marked classifier.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "Marked classifier (model.safetensors from `watermark embed`).") var modelFile: String
  @Option(help: "Watermark key (JSON).") var key: String
  @Option(help: "Expected payload as UTF-8 text.") var message: String
  @Option(help: "Dataset folder (default: the dataset's usual place).") var data: String?
  @Option(help: "Evaluate on only the first N test images.") var evalLimit: Int?
  @Option(help: "Fine-tuning / overwriting attack lengths in steps (SGD lr 1e-3, momentum 0.9, batch 64).")
  var fineTuneSteps = "50,200"
  @Option(help: "Seed of the attacks' randomness.") var seed: UInt64 = 0
  @Option(help: "Write the rows here as JSON.") var json: String?
  @Option(help: "Write the rows here as CSV.") var csv: String?

  struct Row: Codable {
    var attack: String
    var strength: Double
    var accuracy: Double
    var bitErrorRate: Double
    var falsePositiveProbability: Double
    var detected: Bool
  }

  func run() throws {
    try global.apply()
    let url = URL(fileURLWithPath: modelFile)
    let watermarkKey = try WatermarkKey.read(from: URL(fileURLWithPath: key))
    let expected = Payload.bits(of: message)
    let reference = try ClassifierFile.load(from: url)
    let dataset = reference.metadata["dataset"].flatMap(StandardDataset.init(rawValue:)) ?? .cifar10
    let directory = data.map { URL(fileURLWithPath: $0) } ?? dataset.defaultDirectory
    var test = try dataset.load(directory: directory, split: .test)
    if let evalLimit { test = try test.prefix(evalLimit) }
    let training = try dataset.load(directory: directory, split: .train)
    let steps = try parseList(fineTuneSteps, "--fine-tune-steps")

    var rows: [Row] = []
    func measure(_ name: String, _ strength: Double, _ prepare: (any Layer) throws -> Void) throws {
      let file = try ClassifierFile.load(from: url)
      try prepare(file.model)
      let evaluation = try ClassifierEvaluation.evaluate(file.model, on: test, normalization: file.normalization)
      let check = try Extractor.extract(from: file.model, key: watermarkKey, expected: expected)
      let row = Row(attack: name, strength: strength, accuracy: evaluation.accuracy, bitErrorRate: check.bitErrorRate ?? 1,
                    falsePositiveProbability: check.falsePositiveProbability ?? 1, detected: check.detected ?? false)
      rows.append(row)
      let label = name.padding(toLength: 30, withPad: " ", startingAt: 0)
      say(label + String(format: "%8.3g  accuracy %6.2f%%  BER %.4f  p %.3g  ", strength, 100 * row.accuracy,
                         row.bitErrorRate, row.falsePositiveProbability) + (row.detected ? "detected" : "LOST"))
    }
    /// Plain SGD on the training split, no masks: the attacker's fine-tuning.
    func fineTune(_ model: any Layer, steps: Int, freezing attackerKey: WatermarkKey? = nil) throws {
      let sampler = try BatchSampler(dataset: training, batchSize: 64, normalization: reference.normalization,
                                     augmentation: .standard, seed: seed)
      let optimizer = SGD(model.trainableParameters, learningRate: 1e-3, momentum: 0.9)
      if let attackerKey { try Embedder.freeze(model, key: attackerKey, in: optimizer) }
      model.setTraining(true)
      defer { model.setTraining(false) }
      for step in 0..<steps {
        let (images, labels) = try sampler.trainingBatch(step: step).tensors()
        try optimizer.zeroGrad()
        try Loss.crossEntropy(model(images), labels).backward()
        try optimizer.step()
      }
    }

    try measure("none", 0) { _ in }
    for s in [0.01, 0.05, 0.1, 0.5, 1.0] {
      try measure("gaussian noise (x std)", s) { try Attack.gaussianNoise(relativeStd: s).apply(to: $0, seed: seed) }
    }
    for f in [0.1, 0.3, 0.5, 0.7, 0.9] {
      try measure("magnitude pruning", f) { try Attack.magnitudePruning(fraction: f).apply(to: $0, seed: seed) }
    }
    for b in [8, 6, 4, 3, 2] {
      try measure("quantization (bits)", Double(b)) { try Attack.quantization(bits: b).apply(to: $0, seed: seed) }
    }
    for n in steps {
      try measure("fine-tuning (steps)", Double(n)) { try fineTune($0, steps: n) }
    }
    for n in steps {
      try measure("overwriting (steps)", Double(n)) { model in
        let attackerKey = try KeyGenerator.generate(for: model, payloadBits: expected.count, code: watermarkKey.code,
                                                    seed: seed &+ 1000, alpha: watermarkKey.mapping.alpha)
        try Embedder.substitute(expected.map { !$0 }, into: model, key: attackerKey)
        try fineTune(model, steps: n, freezing: attackerKey)
      }
    }
    try measure("key interception: randomize", 1) { try Attack.keyInterceptionRandomize.apply(to: $0, key: watermarkKey, seed: seed) }
    try measure("key interception: flip", 1) { try Attack.keyInterceptionFlip.apply(to: $0, key: watermarkKey, seed: seed) }

    if let json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(rows).write(to: URL(fileURLWithPath: json), options: .atomic)
    }
    if let csv {
      let text = "attack,strength,accuracy,ber,false_positive_probability,detected\n" + rows.map {
        "\($0.attack),\($0.strength),\($0.accuracy),\($0.bitErrorRate),\($0.falsePositiveProbability),\($0.detected)"
      }.joined(separator: "\n") + "\n"
      try Data(text.utf8).write(to: URL(fileURLWithPath: csv), options: .atomic)
    }
  }
}
