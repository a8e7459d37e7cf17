import Foundation
import Torch

/// One report of training progress, for the CLI's progress line.
public struct ClassifierTrainingProgress: Sendable {
  public var step: Int
  public var totalSteps: Int
  /// 1-based epoch the step belongs to.
  public var epoch: Int
  public var epochs: Int
  /// This step's batch.
  public var loss: Double
  public var accuracy: Double
  /// Means over the steps of the current epoch run so far in this process.
  public var epochLoss: Double
  public var epochAccuracy: Double
  public var learningRate: Double
  public var stepsPerSecond: Double
  public var etaSeconds: Double { stepsPerSecond > 0 ? Double(totalSteps - step) / stepsPerSecond : .infinity }
}

/// Classifier training as a `TrainingTask`: cross-entropy (optional label
/// smoothing) on augmented batches, SGD or AdamW and a per-step schedule.
/// Batch `s` (order, crops, flips) and the dropout masks are functions of
/// (seed, s), so N steps + resume to M give the weights of M straight steps.
///
/// Data parallel: each rank trains on its shard of every global batch
/// (`config.batchSize` images per rank). Batch-norm statistics are each
/// rank's own (no SyncBatchNorm); rank 0's are saved, as with PyTorch DDP.
public final class ClassificationTask: VisionTask {
  public typealias Batch = HostBatch
  public typealias Configuration = ClassifierTrainingConfig
  public typealias Report = ClassifierTrainingProgress
  public let config: ClassifierTrainingConfig
  public let classifier: any Layer
  public let sampler: BatchSampler
  public let totalSteps: Int
  public let schedule: any LearningRateSchedule
  public let dropouts: [Dropout]

  /// A task for a fresh model built from `config.model` with `config.seed`, on `shard` of the data.
  public init(config: ClassifierTrainingConfig, training: ClassificationDataset, shard: DataShard = .whole) throws {
    try config.validate()
    guard training.channels == config.model.inputChannels, training.classCount == config.model.classCount else {
      throw VisionError(
        .invalidArgument,
        "data has \(training.channels) channels and \(training.classCount) classes; the model expects "
          + "\(config.model.inputChannels) and \(config.model.classCount)")
    }
    self.config = config
    classifier = try config.model.makeModel(seed: config.seed)
    sampler = try BatchSampler(
      dataset: training, batchSize: config.batchSize, normalization: config.normalization,
      augmentation: config.augmentation, seed: config.seed, shard: shard)
    totalSteps = config.totalSteps(stepsPerEpoch: sampler.stepsPerEpoch)
    schedule = config.learningRateSchedule(stepsPerEpoch: sampler.stepsPerEpoch, totalSteps: totalSteps)
    dropouts = allModules(of: classifier).compactMap { $0 as? Dropout }
  }

  public var model: any Module { classifier }
  public var logHeader: String { "step,epoch,loss,accuracy,learning_rate" }


  public func loss(of batch: HostBatch, step: Int) throws -> StepLoss {
    let (images, labels) = try batch.tensors()
    let labelSmoothing = config.labelSmoothing
    let crossEntropy = { (logits: Tensor, labels: Tensor) in try Loss.crossEntropy(logits, labels, labelSmoothing: labelSmoothing) }
    let accuracy = { (logits: Tensor, labels: Tensor) in
      try logits.argmax(dim: 1).eq(labels).to(.float64).sum().item() / Double(logits.shape[0])
    }
    guard let mixing = config.batchMixing else {
      return crossEntropyStepLoss(step: step, shard: sampler.shard, network: classifier, images: images, labels: labels,
                                  loss: crossEntropy, accuracy: accuracy)
    }
    let shard = sampler.shard
    var rng = SeededGenerator(seed: config.seed, stream: RandomStream.batchMixing.rawValue,
                              step: step * shard.count + shard.index)
    let (count, _, height, width) = try images.size4("batch")
    let draw = mixing.draw(count: count, height: height, width: width, using: &rng)
    // Accuracy against both labels, weighted like the loss.
    return crossEntropyStepLoss(
      step: step, shard: shard, network: classifier, images: try draw.mix(images), labels: labels,
      loss: { try draw.mixedLoss($0, $1, crossEntropy) },
      accuracy: { logits, labels in
        try accuracy(logits, labels) * draw.lambda + accuracy(logits, draw.partnerLabels(labels)) * (1 - draw.lambda)
      })
  }

  public func report(_ s: TrainingStep) -> ClassifierTrainingProgress {
    ClassifierTrainingProgress(
      step: s.step, totalSteps: s.totalSteps, epoch: s.epoch ?? 1, epochs: s.epochs ?? 1, loss: s.loss,
      accuracy: s.statistics[0], epochLoss: s.meanLoss, epochAccuracy: s.meanStatistics[0],
      learningRate: s.learningRate, stepsPerSecond: s.stepsPerSecond)
  }

  public func logFields(_ p: ClassifierTrainingProgress) -> [String] {
    [String(p.step), String(p.epoch), String(p.loss), String(p.accuracy), String(p.learningRate)]
  }
}

/// Trains a classifier (`ClassificationTask` on the one `Trainer`), writing
/// log.csv and atomic checkpoints, resuming exactly.
public typealias ClassifierTrainer = Trainer<ClassificationTask>

extension Trainer where Task == ClassificationTask {
  /// A trainer for a fresh model built from `config.model` with `config.seed`, on one rank of
  /// `dataParallel` when given.
  public convenience init(config: ClassifierTrainingConfig, training: ClassificationDataset, runDirectory: URL,
                          dataParallel: DataParallel? = nil) throws {
    try self.init(task: ClassificationTask(config: config, training: training, shard: dataParallel?.shard ?? .whole),
                  runDirectory: runDirectory, dataParallel: dataParallel)
  }

  public var model: any Layer { task.classifier }

  /// Evaluates the current model (evaluation mode, no gradients; the averaged weights with `emaDecay`).
  public func evaluate(on dataset: ClassificationDataset, batchSize: Int = 256) throws -> ClassifierEvaluation {
    try withAveragedWeights {
      try ClassifierEvaluation.evaluate(task.classifier, on: dataset, normalization: config.normalization, batchSize: batchSize)
    }
  }

  /// Writes the trained model (the averaged weights with `emaDecay`) with its configuration (see `ClassifierFile`).
  public func saveModel(to url: URL, classNames: [String], extraMetadata: [String: String] = [:]) throws {
    let metadata = savedMetadata(extraMetadata)
    try withAveragedWeights { try ClassifierFile.save(
      task.classifier, configuration: config.model, normalization: config.normalization, classNames: classNames,
      extraMetadata: metadata, to: url) }
  }
}
