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

/// Trains a classifier with cross-entropy (optional label smoothing), SGD or
/// AdamW and a per-step schedule, writing a CSV log and atomic checkpoints.
/// Resuming continues exactly: batch `s` (order, crops, flips) and dropout
/// masks are functions of (seed, s), and the optimizer state is restored, so
/// N steps + resume to M give the weights of M straight steps, bit for bit.
///
/// With a `DataParallel` each rank trains on its shard of every global batch
/// (`config.batchSize` images per rank) and gradients are averaged before
/// the optimizer step; only rank 0 logs, reports progress and checkpoints.
/// Batch-norm statistics are each rank's own (no SyncBatchNorm); rank 0's
/// are the ones saved, as with PyTorch DDP.
public final class ClassifierTrainer {
  public let config: ClassifierTrainingConfig
  public let model: any Layer
  public let runDirectory: URL
  public let sampler: BatchSampler
  public let totalSteps: Int
  public internal(set) var step = 0
  let optimizer: any Optimizer
  let schedule: any LearningRateSchedule
  /// Replaces the plain backward pass (e.g. WaterMAS's two-pass sharpness
  /// step): receives the loss closure, must leave gradients in `.grad` and
  /// return the loss value. nil: `loss().backward()`.
  public var backward: ((_ loss: () throws -> Tensor) throws -> Double)?
  /// The optimizer, so callers can freeze individual weights with masks.
  public var parameterOptimizer: any Optimizer { optimizer }
  let dropouts: [Dropout]
  /// The data-parallel group this trainer is one rank of, or nil.
  public let dataParallel: DataParallel?
  /// Whether this process writes checkpoints, logs and progress (rank 0, or not distributed).
  public var isPrimary: Bool { dataParallel?.isPrimary ?? true }

  public var checkpointURL: URL { runDirectory.appendingPathComponent("checkpoint.safetensors") }
  public var logURL: URL { runDirectory.appendingPathComponent("log.csv") }
  public var stepsPerEpoch: Int { sampler.stepsPerEpoch }

  /// A trainer for a fresh model built from `config.model` with `config.seed`.
  public init(config: ClassifierTrainingConfig, training: ClassificationDataset, runDirectory: URL,
              dataParallel: DataParallel? = nil) throws {
    try config.validate()
    guard training.channels == config.model.inputChannels, training.classCount == config.model.classCount else {
      throw VisionError(
        .invalidArgument,
        "data has \(training.channels) channels and \(training.classCount) classes; the model expects "
          + "\(config.model.inputChannels) and \(config.model.classCount)")
    }
    self.config = config
    self.runDirectory = runDirectory
    self.dataParallel = dataParallel
    model = try config.model.makeModel(seed: config.seed)
    sampler = try BatchSampler(
      dataset: training, batchSize: config.batchSize, normalization: config.normalization,
      augmentation: config.augmentation, seed: config.seed, shard: dataParallel?.shard ?? .whole)
    totalSteps = config.totalSteps(stepsPerEpoch: sampler.stepsPerEpoch)
    schedule = config.learningRateSchedule(stepsPerEpoch: sampler.stepsPerEpoch, totalSteps: totalSteps)
    let parameters = model.trainableParameters
    switch config.optimizer {
    case .sgd:
      optimizer = SGD(
        parameters, learningRate: config.learningRate, momentum: config.momentum, weightDecay: config.weightDecay,
        nesterov: config.nesterov && config.momentum > 0)
    case .adamw:
      optimizer = Adam.adamW(parameters, learningRate: config.learningRate, weightDecay: config.weightDecay)
    }
    dropouts = allModules(of: model).compactMap { $0 as? Dropout }
    try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
  }

  /// One optimisation step; returns the batch's loss and accuracy (averaged
  /// over the ranks) and whether any rank asked to stop.
  func trainStep(_ batch: HostBatch, stopRequested: Bool = false) throws -> (loss: Double, accuracy: Double, stop: Bool) {
    let shard = sampler.shard
    var rng = SeededGenerator(
      seed: config.seed, stream: RandomStream.dropout.rawValue, step: step * shard.count + shard.index)
    // Every evaluation of the step's loss (WaterMAS and the replicas evaluate it more than once)
    // draws the same dropout masks, so their difference is the weights', not the masks'.
    let dropoutSeeds = dropouts.map { _ in rng.next() }
    optimizer.setLearningRate(schedule.learningRate(at: step))
    let (images, labels) = try batch.tensors()
    try optimizer.zeroGrad()
    var firstLogits: Tensor?
    let lossOfBatch = { () throws -> Tensor in
      for (dropout, seed) in zip(self.dropouts, dropoutSeeds) { try dropout.generator.reseed(seed) }
      let logits = try self.model(images)
      if firstLogits == nil { firstLogits = logits }
      return try Loss.crossEntropy(logits, labels, labelSmoothing: self.config.labelSmoothing)
    }
    let value: Double
    if let backward {
      value = try backward(lossOfBatch)
    } else {
      let loss = try lossOfBatch()
      value = try loss.item()
      if value.isFinite { try loss.backward() }
    }
    guard value.isFinite, let logits = firstLogits else {
      throw VisionError(.invalidArgument, "loss is not finite (\(value)) at step \(step); lower the learning rate")
    }
    let correct = try withNoGrad { try logits.argmax(dim: 1).eq(labels).to(.float64).sum().item() }
    var statistics = [value, correct / Double(batch.count), stopRequested ? 1 : 0]
    if let dataParallel {
      statistics = try dataParallel.averageGradients(model.trainableParameters, statistics: statistics, step: step)
    }
    if config.clipNorm > 0 { try clipGradientNorm(model.trainableParameters, maxNorm: config.clipNorm) }
    try optimizer.step()
    return (statistics[0], statistics[1], statistics[2] > 0)
  }

  /// Trains until `totalSteps` or until `shouldStop` returns true, then
  /// checkpoints. Batches are prepared on a background thread.
  public func run(
    progress: (ClassifierTrainingProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }
  ) throws {
    guard step < totalSteps else { return }
    model.setTraining(true)
    try dataParallel?.broadcastState(of: model)
    let producer = BatchProducer(sampler: sampler, steps: step..<totalSteps)
    defer { producer.cancel() }
    let start = Date()
    let firstStep = step
    var epochLoss = 0.0, epochAccuracy = 0.0, epochSteps = 0
    var stopAgreed = false
    // Distributed ranks learn of a stop request inside the step's all-reduce, so all stop after the same step.
    while step < totalSteps, !stopAgreed, dataParallel != nil || !shouldStop() {
      guard let batch = producer.next() else { break }
      let learningRate = schedule.learningRate(at: step)
      let (loss, accuracy, stop) = try trainStep(batch, stopRequested: dataParallel != nil && shouldStop())
      stopAgreed = stop
      step += 1
      if (step - 1) % stepsPerEpoch == 0 { (epochLoss, epochAccuracy, epochSteps) = (0, 0, 0) }
      epochLoss += loss
      epochAccuracy += accuracy
      epochSteps += 1
      let report = ClassifierTrainingProgress(
        step: step, totalSteps: totalSteps, epoch: (step - 1) / stepsPerEpoch + 1,
        epochs: (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch, loss: loss, accuracy: accuracy,
        epochLoss: epochLoss / Double(epochSteps), epochAccuracy: epochAccuracy / Double(epochSteps),
        learningRate: learningRate,
        stepsPerSecond: Double(step - firstStep) / Swift.max(1e-9, Date().timeIntervalSince(start)))
      guard isPrimary else { continue }
      try appendLog(report)
      progress(report)
      if step % config.checkpointEvery == 0 || step == totalSteps { try saveCheckpoint() }
    }
    if step < totalSteps, isPrimary { try saveCheckpoint() }
  }

  /// Evaluates the current model (evaluation mode, no gradients).
  public func evaluate(on dataset: ClassificationDataset, batchSize: Int = 256) throws -> ClassifierEvaluation {
    try ClassifierEvaluation.evaluate(model, on: dataset, normalization: config.normalization, batchSize: batchSize)
  }

  /// Writes the trained model with its configuration (see `ClassifierFile`).
  public func saveModel(to url: URL, classNames: [String], extraMetadata: [String: String] = [:]) throws {
    var metadata = extraMetadata
    metadata[MetadataKey.steps] = String(step)
    try ClassifierFile.save(
      model, configuration: config.model, normalization: config.normalization, classNames: classNames,
      extraMetadata: metadata, to: url)
  }

  /// The run's `log.csv`.
  var log: TrainingLog { TrainingLog(url: logURL, header: "step,epoch,loss,accuracy,learning_rate") }

  func appendLog(_ p: ClassifierTrainingProgress) throws {
    try log.append([String(p.step), String(p.epoch), String(p.loss), String(p.accuracy), String(p.learningRate)])
  }

}
