import Foundation
import Torch

/// One report of segmentation training progress.
public struct SegmentationTrainingProgress: Sendable {
  public var step: Int
  public var totalSteps: Int
  public var epoch: Int
  public var epochs: Int
  /// This step's batch (cross-entropy over non-void pixels; pixel accuracy over them).
  public var loss: Double
  public var pixelAccuracy: Double
  /// Means over the steps of the current epoch run so far in this process.
  public var epochLoss: Double
  public var epochPixelAccuracy: Double
  public var learningRate: Double
  public var stepsPerSecond: Double
  public var etaSeconds: Double { stepsPerSecond > 0 ? Double(totalSteps - step) / stepsPerSecond : .infinity }
}

/// DeepLabV3 training as a `TrainingTask`: per-pixel cross-entropy (void
/// ignored), SGD or AdamW and a per-step schedule. Batch `s` (order, scale,
/// crop, flip) and the dropout masks are functions of (seed, s), so N steps +
/// resume to M equal M straight steps bit for bit.
public final class SegmentationTask: VisionTask {
  public typealias Batch = SegmentationHostBatch
  public typealias Configuration = SegmentationTrainingConfig
  public typealias Report = SegmentationTrainingProgress
  public let config: SegmentationTrainingConfig
  public let network: DeepLabV3
  public let sampler: SegmentationBatchSampler
  public let totalSteps: Int
  public let schedule: any LearningRateSchedule
  public let dropouts: [Dropout]

  /// A task for a fresh model built from `config.model` with `config.seed`, on `shard` of the data
  /// (`config.batchSize` images per shard).
  public init(config: SegmentationTrainingConfig, training: SegmentationDataset, shard: DataShard = .whole) throws {
    try config.validate()
    guard training.channels == config.model.inputChannels, training.classCount == config.model.classCount else {
      throw VisionError(
        .invalidArgument,
        "data has \(training.channels) channels and \(training.classCount) classes; the model expects "
          + "\(config.model.inputChannels) and \(config.model.classCount)")
    }
    guard training.count >= config.batchSize * shard.count else {
      throw VisionError(.invalidArgument,
                        "\(training.count) training images cannot fill a batch of \(config.batchSize * shard.count)")
    }
    self.config = config
    network = try config.model.makeModel(seed: config.seed)
    sampler = try SegmentationBatchSampler(
      dataset: training, batchSize: config.batchSize, normalization: config.normalization,
      augmentation: config.augmentation, seed: config.seed, shard: shard)
    totalSteps = config.totalSteps(stepsPerEpoch: sampler.stepsPerEpoch)
    schedule = config.learningRateSchedule(totalSteps: totalSteps)
    dropouts = allModules(of: network).compactMap { $0 as? Dropout }
  }

  /// Per-pixel cross-entropy over non-void pixels.
  public static func loss(_ logits: Tensor, _ labels: Tensor) throws -> Tensor {
    try Loss.crossEntropy(logits, labels, ignoreIndex: Int(SegmentationDataset.ignoreLabel))
  }

  public var model: any Module { network }
  public var logHeader: String { "step,epoch,loss,pixel_accuracy,learning_rate" }


  public func loss(of batch: SegmentationHostBatch, step: Int) throws -> StepLoss {
    let (images, labels) = try batch.tensors()
    return crossEntropyStepLoss(
      step: step, shard: sampler.shard, network: network, images: images, labels: labels, loss: Self.loss,
      accuracy: { logits, labels in
        let valid = try labels.ne(Double(SegmentationDataset.ignoreLabel)).to(.float64)
        let correct = try (logits.argmax(dim: 1).eq(labels).to(.float64) * valid).sum().item()
        let total = try valid.sum().item()
        return total > 0 ? correct / total : 0
      })
  }

  public func report(_ s: TrainingStep) -> SegmentationTrainingProgress {
    SegmentationTrainingProgress(
      step: s.step, totalSteps: s.totalSteps, epoch: s.epoch ?? 1, epochs: s.epochs ?? 1, loss: s.loss,
      pixelAccuracy: s.statistics[0], epochLoss: s.meanLoss, epochPixelAccuracy: s.meanStatistics[0],
      learningRate: s.learningRate, stepsPerSecond: s.stepsPerSecond)
  }

  public func logFields(_ p: SegmentationTrainingProgress) -> [String] {
    [String(p.step), String(p.epoch), String(p.loss), String(p.pixelAccuracy), String(p.learningRate)]
  }

}

/// Trains DeepLabV3 (`SegmentationTask` on the one `Trainer`).
public typealias SegmentationTrainer = Trainer<SegmentationTask>

extension Trainer where Task == SegmentationTask {
  /// A trainer for a fresh DeepLabV3 built from `config.model` with `config.seed`, on one rank of
  /// `dataParallel` when given.
  public convenience init(config: SegmentationTrainingConfig, training: SegmentationDataset, runDirectory: URL,
                          dataParallel: DataParallel? = nil) throws {
    try self.init(task: SegmentationTask(config: config, training: training, shard: dataParallel?.shard ?? .whole),
                  runDirectory: runDirectory, dataParallel: dataParallel)
  }

  public var model: DeepLabV3 { task.network }

  /// Per-pixel cross-entropy over non-void pixels (`SegmentationTask.loss`).
  public static func loss(_ logits: Tensor, _ labels: Tensor) throws -> Tensor { try SegmentationTask.loss(logits, labels) }

  /// Evaluates the current model on full-size images (evaluation mode, no gradients; the averaged
  /// weights with `emaDecay`).
  public func evaluate(on dataset: SegmentationDataset, batchSize: Int = 16) throws -> SegmentationEvaluation {
    try withAveragedWeights {
      try SegmentationEvaluation.evaluate(task.network, on: dataset, normalization: config.normalization, batchSize: batchSize)
    }
  }

  /// Writes the trained model (the averaged weights with `emaDecay`) with its configuration (see `SegmentationFile`).
  public func saveModel(to url: URL, classNames: [String], extraMetadata: [String: String] = [:]) throws {
    let metadata = savedMetadata(extraMetadata)
    try withAveragedWeights { try SegmentationFile.save(
      task.network, configuration: config.model, normalization: config.normalization, classNames: classNames,
      extraMetadata: metadata, to: url) }
  }
}
