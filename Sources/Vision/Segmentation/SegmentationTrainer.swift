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

/// Trains DeepLabV3 with per-pixel cross-entropy (void ignored), SGD or
/// AdamW and a per-step schedule, writing log.csv and atomic checkpoints,
/// like `ClassifierTrainer`: batch `s` (order, scale, crop, flip) and the
/// dropout masks are functions of (seed, s), and the optimizer state is
/// checkpointed, so N steps + resume to M equal M straight steps bit for bit.
public final class SegmentationTrainer {
  public let config: SegmentationTrainingConfig
  public let model: DeepLabV3
  public let runDirectory: URL
  public let sampler: SegmentationBatchSampler
  public let totalSteps: Int
  public internal(set) var step = 0
  let optimizer: any Optimizer
  let schedule: any LearningRateSchedule
  let dropouts: [Dropout]
  /// Replaces the plain backward pass (a watermark method's step): receives
  /// the loss closure, leaves gradients in `.grad`, returns the loss value.
  public var backward: ((_ loss: () throws -> Tensor) throws -> Double)?
  /// The optimizer, so callers can freeze individual weights with masks.
  public var parameterOptimizer: any Optimizer { optimizer }

  public var checkpointURL: URL { runDirectory.appendingPathComponent("checkpoint.safetensors") }
  public var logURL: URL { runDirectory.appendingPathComponent("log.csv") }
  public var stepsPerEpoch: Int { sampler.stepsPerEpoch }

  public init(config: SegmentationTrainingConfig, training: SegmentationDataset, runDirectory: URL) throws {
    try config.validate()
    guard training.channels == config.model.inputChannels, training.classCount == config.model.classCount else {
      throw VisionError(
        .invalidArgument,
        "data has \(training.channels) channels and \(training.classCount) classes; the model expects "
          + "\(config.model.inputChannels) and \(config.model.classCount)")
    }
    guard training.count >= config.batchSize else {
      throw VisionError(.invalidArgument, "\(training.count) training images cannot fill a batch of \(config.batchSize)")
    }
    self.config = config
    self.runDirectory = runDirectory
    model = try config.model.makeModel(seed: config.seed)
    sampler = try SegmentationBatchSampler(
      dataset: training, batchSize: config.batchSize, normalization: config.normalization,
      augmentation: config.augmentation, seed: config.seed)
    totalSteps = config.totalSteps(stepsPerEpoch: sampler.stepsPerEpoch)
    schedule = config.learningRateSchedule(totalSteps: totalSteps)
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

  /// Per-pixel cross-entropy over non-void pixels.
  public static func loss(_ logits: Tensor, _ labels: Tensor) throws -> Tensor {
    try Loss.crossEntropy(logits, labels, ignoreIndex: Int(SegmentationDataset.ignoreLabel))
  }

  /// One optimisation step; returns the batch's loss and pixel accuracy.
  func trainStep(_ batch: SegmentationHostBatch) throws -> (loss: Double, pixelAccuracy: Double) {
    var rng = SplitMix64(seed: config.seed, stream: RandomStream.dropout.rawValue, step: step)
    // Every evaluation of the step's loss draws the same dropout masks (see ClassifierTrainer).
    let dropoutSeeds = dropouts.map { _ in rng.next() }
    optimizer.setLearningRate(schedule.learningRate(at: step))
    let (images, labels) = try batch.tensors()
    try optimizer.zeroGrad()
    var firstLogits: Tensor?
    let lossOfBatch = { () throws -> Tensor in
      for (dropout, seed) in zip(self.dropouts, dropoutSeeds) { try dropout.generator.reseed(seed) }
      let logits = try self.model(images)
      if firstLogits == nil { firstLogits = logits }
      return try Self.loss(logits, labels)
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
    let accuracy = try withNoGrad { () throws -> Double in
      let valid = try labels.ne(Double(SegmentationDataset.ignoreLabel)).to(.float64)
      let correct = try (logits.argmax(dim: 1).eq(labels).to(.float64) * valid).sum().item()
      let total = try valid.sum().item()
      return total > 0 ? correct / total : 0
    }
    if config.clipNorm > 0 { try clipGradientNorm(model.trainableParameters, maxNorm: config.clipNorm) }
    try optimizer.step()
    return (value, accuracy)
  }

  /// Trains until `totalSteps` or until `shouldStop` returns true, then
  /// checkpoints. Batches are prepared on a background thread.
  public func run(
    progress: (SegmentationTrainingProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }
  ) throws {
    guard step < totalSteps else { return }
    model.setTraining(true)
    let producer = BatchProducer(sampler: sampler, steps: step..<totalSteps)
    defer { producer.cancel() }
    let start = Date()
    let firstStep = step
    var epochLoss = 0.0, epochAccuracy = 0.0, epochSteps = 0
    while step < totalSteps, !shouldStop() {
      guard let batch = producer.next() else { break }
      let learningRate = schedule.learningRate(at: step)
      let (loss, accuracy) = try trainStep(batch)
      step += 1
      if (step - 1) % stepsPerEpoch == 0 { (epochLoss, epochAccuracy, epochSteps) = (0, 0, 0) }
      epochLoss += loss
      epochAccuracy += accuracy
      epochSteps += 1
      let report = SegmentationTrainingProgress(
        step: step, totalSteps: totalSteps, epoch: (step - 1) / stepsPerEpoch + 1,
        epochs: (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch, loss: loss, pixelAccuracy: accuracy,
        epochLoss: epochLoss / Double(epochSteps), epochPixelAccuracy: epochAccuracy / Double(epochSteps),
        learningRate: learningRate,
        stepsPerSecond: Double(step - firstStep) / Swift.max(1e-9, Date().timeIntervalSince(start)))
      try appendLog(report)
      progress(report)
      if step % config.checkpointEvery == 0 || step == totalSteps { try saveCheckpoint() }
    }
    if step < totalSteps { try saveCheckpoint() }
  }

  /// Evaluates the current model on full-size images (evaluation mode, no gradients).
  public func evaluate(on dataset: SegmentationDataset, batchSize: Int = 16) throws -> SegmentationEvaluation {
    try SegmentationEvaluation.evaluate(model, on: dataset, normalization: config.normalization, batchSize: batchSize)
  }

  /// Writes the trained model with its configuration (see `SegmentationFile`).
  public func saveModel(to url: URL, classNames: [String], extraMetadata: [String: String] = [:]) throws {
    var metadata = extraMetadata
    metadata[MetadataKey.steps] = String(step)
    try SegmentationFile.save(
      model, configuration: config.model, normalization: config.normalization, classNames: classNames,
      extraMetadata: metadata, to: url)
  }

  /// Writes model, optimizer state, step and configuration atomically.
  public func saveCheckpoint() throws {
    try TrainingCheckpoint.save(model: model, optimizer: optimizer, config: config, step: step, to: checkpointURL)
  }

  /// Restores a checkpoint written by `saveCheckpoint`; false when none exists. Throws when it
  /// was written for another configuration (only `epochs` and `maximumSteps` may differ).
  @discardableResult
  public func resumeIfPossible() throws -> Bool {
    try RunFolder.removeStaleTemporaries(in: runDirectory)
    guard FileManager.default.fileExists(atPath: checkpointURL.path) else { return false }
    let file = try SafeTensors.read(from: checkpointURL)
    step = try TrainingCheckpoint.resume(file, config: config, model: model, optimizer: optimizer, source: checkpointURL)
    try log.truncate(afterStep: step)
    return true
  }

  /// The run's `log.csv`.
  var log: TrainingLog { TrainingLog(url: logURL, header: "step,epoch,loss,pixel_accuracy,learning_rate") }

  func appendLog(_ p: SegmentationTrainingProgress) throws {
    try log.append([String(p.step), String(p.epoch), String(p.loss), String(p.pixelAccuracy), String(p.learningRate)])
  }

}
