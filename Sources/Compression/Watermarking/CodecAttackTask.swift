import Foundation
import Torch
import Watermarking

/// The codec side of an attack sweep: fresh copies of the marked model, real
/// coding of the evaluation photos after each attack (tables rebuilt first),
/// and the attacker's RD fine-tuning on photos of their own.
public struct CodecAttackTask {
  public let url: URL
  public let metadata: [String: String]
  public let evaluation: ImageSet
  public let attackSet: ImageSet?
  let crop: Int
  let batchSize: Int
  let learningRate: Double
  let lambda: Double
  let seed: UInt64

  /// - Parameters:
  ///   - modelFile: the marked codec (a Lichen safetensors or CompressAI file).
  ///   - evaluation: folder of the photos coded after each attack (the first `evalLimit`).
  ///   - attackData: the attacker's photos for fine-tuning attacks (nil: those attacks cannot run).
  ///   - lambda: the attacker's RD trade-off (default: the model's recorded lambda, else 0.0130).
  public init(modelFile: URL, evaluation: URL, evalLimit: Int, attackData: URL?, crop: Int, batchSize: Int,
       learningRate: Double, lambda: Double?, seed: UInt64) throws {
    url = modelFile
    // Only the header: every sweep row loads its own fresh copy of the weights.
    metadata = modelFile.pathExtension == "safetensors"
      ? try SafeTensors.readMetadata(from: modelFile) : try ModelStore.load(file: modelFile).metadata
    self.evaluation = try ImageSet.load(directory: evaluation, limit: evalLimit)
    attackSet = try attackData.map { try ImageSet.load(directory: $0, minimumSide: crop) }
    self.crop = crop
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.lambda = lambda ?? metadata[MetadataKey.lambda].flatMap(Double.init) ?? 0.0130
    self.seed = seed
  }

  /// A fresh copy of the marked model, read from its file.
  public func load() throws -> AttackSubject {
    let loaded = try ModelStore.load(file: url)
    let model = loaded.model
    let last = MetricsBox()
    return AttackSubject(
      model: model,
      evaluate: {
        let m = try measure(loaded)
        last.value = m
        return m["psnr"] ?? .nan
      },
      metric: .psnr,
      fineTune: attackSet == nil ? nil : { steps, frozen in try fineTune(model, steps: steps, freezing: frozen) },
      attackerLoss: attackSet == nil ? nil : { step in
        try RDLoss(lambda: lambda).terms(model: model, batch: try batch(step), noise: try Generator(seed: seed &+ UInt64(step))).loss
      },
      measure: { last.value })
  }

  /// Mean real-bitstream bpp, estimated bpp and PSNR over the evaluation photos (tables rebuilt for the attacked weights).
  func measure(_ loaded: LoadedModel) throws -> [String: Double] {
    try loaded.model.update()
    loaded.model.setTraining(false)
    let results = try zip(evaluation.images, evaluation.names).map { try Evaluator.evaluate(loaded, image: $0, name: $1) }
    let n = Double(results.count)
    return ["bpp": results.map(\.bpp).reduce(0, +) / n, "psnr": results.map(\.psnr).reduce(0, +) / n,
            "estimated_bpp": results.compactMap(\.estimatedBpp).reduce(0, +) / n]
  }

  func batch(_ step: Int) throws -> Tensor {
    guard let attackSet else { throw WatermarkError("the attack needs photos of the attacker's own (--attack-data)") }
    var rng = SplitMix64(seed: seed, stream: 7, step: step)
    return try attackSet.randomBatch(size: batchSize, crop: crop, using: &rng)
  }

  /// The attacker's RD fine-tuning (Adam on every main parameter, clipped), with their own key frozen when given.
  func fineTune(_ model: any CompressionModel, steps: Int, freezing attackerKey: WatermarkKey?) throws {
    let loss = RDLoss(lambda: lambda)
    let task = FineTuningTask(model: model, parameters: model.mainParameters, steps: steps,
                              optimizer: .adam(learningRate: learningRate), clipNorm: 1) { step in
      try loss.terms(model: model, batch: try batch(step), noise: try Generator(seed: seed &+ UInt64(step))).loss
    }
    try Trainer.fineTune(task) { trainer in
      if let attackerKey { try Embedder.freeze(model, key: attackerKey, in: trainer.parameterOptimizer) }
    }
  }

  /// The metrics of the last evaluation, handed from `evaluate` to `measure` (computed once per row).
  final class MetricsBox {
    var value: [String: Double] = [:]
  }
}

extension CodecAttackTask: AttackTask {
  /// A codec's attacked models are measured by their PSNR (bpp beside it in each row's metrics).
  public var metric: TaskMetric { .psnr }
}

extension CodecAttackTask {
  /// The settings `lichen watermark evaluate-codec` sweeps: the clean row and `attacks` when given, else the standard
  /// sweep; without attack photos the attacks that train the model are left out.
  /// - Parameters:
  ///   - attacks: comma-separated FAMILY:STRENGTH (`AttackSetting.list`); nil: the standard sweep.
  ///   - fineTuneSteps, keyFineTuneSteps: the standard sweep's fine-tuning lengths.
  /// - Throws: `WatermarkError` for an attack list that does not parse.
  /// - Returns: the settings and how many were left out.
  public func settings(attacks: String?, fineTuneSteps: [Int], keyFineTuneSteps: [Int],
                       keyFineTuneLearningRate: Double) throws -> (settings: [AttackSetting], skipped: Int) {
    var settings = try attacks.map {
      [AttackSetting(.none, 0)] + (try AttackSetting.list(parsing: $0, keyFineTuneLearningRate: keyFineTuneLearningRate))
    } ?? AttackSweep.standardSettings(fineTuneSteps: fineTuneSteps, keyFineTuneSteps: keyFineTuneSteps,
                                      keyFineTuneLearningRate: keyFineTuneLearningRate)
    guard attackSet == nil else { return (settings, 0) }
    let skipped = settings.filter(\.trainsTheModel).count
    settings.removeAll(where: \.trainsTheModel)
    return (settings, skipped)
  }
}
