import Foundation
import Torch
import Training

extension ClassifierTrainingConfig {
  /// A run's configuration from a command line's values.
  /// - Parameters:
  ///   - learningRate: the peak rate; nil: 0.1 for SGD, 1e-3 for AdamW.
  ///   - weightDecay: nil: 5e-4 for SGD, 0.05 for AdamW.
  ///   - warmupEpochs: 0 leaves the field unset (no warm-up, as in checkpoints written before it existed); a negative
  ///     count is kept for `validate()` to refuse.
  ///   - bfloat16Autocast, channelsLast: false leaves the field unset (off, as in checkpoints written before it
  ///     existed).
  ///   - batchMixing: mixup / CutMix; nil: off.
  public init(
    model: ClassifierConfiguration, normalization: Normalization, epochs: Int, maximumSteps: Int?, batchSize: Int,
    optimizer: ClassifierOptimizer, learningRate: Double?, momentum: Double, nesterov: Bool, weightDecay: Double?,
    schedule: ClassifierSchedule, stepSizeEpochs: Int, milestones: [Int], gamma: Double, warmupEpochs: Int = 0,
    labelSmoothing: Double, clipNorm: Double, emaDecay: Double?, bfloat16Autocast: Bool, channelsLast: Bool = false,
    augmentation: Augmentation, batchMixing: BatchMixing? = nil, seed: UInt64, checkpointEvery: Int
  ) {
    self.init(model: model, normalization: normalization)
    self.epochs = epochs
    self.maximumSteps = maximumSteps
    self.batchSize = batchSize
    self.optimizer = optimizer
    self.learningRate = learningRate ?? (optimizer == .sgd ? 0.1 : 1e-3)
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay ?? (optimizer == .sgd ? 5e-4 : 0.05)
    self.schedule = schedule
    self.stepSizeEpochs = stepSizeEpochs
    self.milestones = milestones
    self.gamma = gamma
    self.warmupEpochs = warmupEpochs != 0 ? warmupEpochs : nil
    self.labelSmoothing = labelSmoothing
    self.clipNorm = clipNorm
    self.emaDecay = emaDecay
    self.bfloat16Autocast = bfloat16Autocast ? true : nil
    self.channelsLast = channelsLast ? true : nil
    self.augmentation = augmentation
    self.batchMixing = batchMixing
    self.seed = seed
    self.checkpointEvery = checkpointEvery
  }
}

extension SegmentationTrainingConfig {
  /// A CamVid run's configuration (CamVid's normalization) from a command line's values.
  /// - Parameters:
  ///   - learningRate: the peak rate; nil: 0.01 for SGD, 1e-3 for AdamW.
  ///   - weightDecay: nil: 1e-4 for SGD, 0.01 for AdamW.
  ///   - bfloat16Autocast, channelsLast: false leaves the field unset (off, as in checkpoints written before it
  ///     existed).
  public init(
    model: SegmentationConfiguration, augmentation: SegmentationAugmentation, epochs: Int, maximumSteps: Int?,
    batchSize: Int, optimizer: ClassifierOptimizer, learningRate: Double?, momentum: Double, weightDecay: Double?,
    schedule: ClassifierSchedule, clipNorm: Double, emaDecay: Double?, bfloat16Autocast: Bool, channelsLast: Bool = false,
    seed: UInt64, checkpointEvery: Int
  ) {
    self.init(model: model, normalization: CamVid.normalization, augmentation: augmentation)
    self.epochs = epochs
    self.maximumSteps = maximumSteps
    self.batchSize = batchSize
    self.optimizer = optimizer
    self.learningRate = learningRate ?? (optimizer == .sgd ? 0.01 : 1e-3)
    self.momentum = momentum
    self.weightDecay = weightDecay ?? (optimizer == .sgd ? 1e-4 : 0.01)
    self.schedule = schedule
    self.clipNorm = clipNorm
    self.emaDecay = emaDecay
    self.bfloat16Autocast = bfloat16Autocast ? true : nil
    self.channelsLast = channelsLast ? true : nil
    self.seed = seed
    self.checkpointEvery = checkpointEvery
  }
}

/// A classifier run folder ready to train: the training split, the trainer and whether it resumed a checkpoint.
public struct ClassifierRun {
  public let dataset: StandardDataset
  /// The dataset's folder (the test split is read from it after training).
  public let directory: URL
  public let training: ClassificationDataset
  public let trainer: ClassifierTrainer
  public let resumed: Bool

  /// Loads the training split, builds the trainer in `runDirectory` and opens the folder (`Trainer.openRunFolder`).
  /// - Parameters:
  ///   - directory: the dataset's folder; nil: its usual place.
  ///   - limit: use only the first `limit` training images.
  ///   - dataParallel: the job this process is one rank of; nil: a single process.
  ///   - log: the resume line.
  ///   - configuration: the run's configuration for the loaded training split.
  /// - Throws: `VisionError` for missing or malformed data and bad configurations, `RunFolderError` for a folder
  ///   that holds a checkpoint when `resume` is false.
  public static func open(
    dataset: StandardDataset, directory: URL?, limit: Int?, runDirectory: URL, resume: Bool,
    dataParallel: DataParallel?, log: (String) -> Void,
    configuration: (ClassificationDataset) throws -> ClassifierTrainingConfig
  ) throws -> ClassifierRun {
    let directory = directory ?? dataset.defaultDirectory
    var training = try dataset.load(directory: directory, split: .train)
    if let limit { training = try training.prefix(limit) }
    let trainer = try ClassifierTrainer(config: try configuration(training), training: training,
                                        runDirectory: runDirectory, dataParallel: dataParallel)
    let resumed = try trainer.openRunFolder(resume: resume, log: log)
    return ClassifierRun(dataset: dataset, directory: directory, training: training, trainer: trainer, resumed: resumed)
  }

  /// Trains to the end, then (primary rank) saves the model with the seed recorded and evaluates it on the test
  /// split (`Trainer.finishRun`).
  /// - Parameters:
  ///   - evaluationLimit: evaluate on only the first images of the test split.
  ///   - metadata: extra model-file metadata.
  ///   - progress: one line per step (every rank); `log`: summaries (primary rank only).
  ///   - shouldStop: polled between steps; the trainer checkpoints and returns when it says so.
  /// - Returns: the test evaluation; nil when stopped early, on other ranks or without a test split.
  @discardableResult
  public func train(evaluationLimit: Int?, metadata: [String: String] = [:], progress: (String) -> Void,
                    log: (String) -> Void, shouldStop: () -> Bool) throws -> ClassifierEvaluation? {
    let c = trainer.config.model
    let distributed = trainer.dataParallel.map { " on \($0.worldSize) ranks of \(trainer.config.batchSize)" } ?? ""
    if trainer.isPrimary {
      log("training \(c.architecture.rawValue) width \(c.width) on \(training.count) \(dataset.rawValue) images, "
        + "\(trainer.model.parameterCount) parameters, \(trainer.totalSteps) steps "
        + "(\(trainer.stepsPerEpoch)/epoch)\(distributed)")
    }
    guard let seconds = try trainer.trainToEnd(progress: progress, log: log, shouldStop: shouldStop),
          trainer.isPrimary else { return nil }
    var test = try? dataset.load(directory: directory, split: .test)
    if test == nil { log("no test split in \(directory.path); skipped evaluation") }
    if let evaluationLimit { test = try test?.prefix(evaluationLimit) }
    return try trainer.finishRun(
      dataset: dataset.rawValue, classNames: training.classNames, seconds: seconds,
      metadata: metadata.merging([MetadataKey.seed: "\(trainer.config.seed)"]) { _, seed in seed }, test: test, log: log)
  }
}

/// A CamVid segmentation run folder ready to train: the training split, the trainer and whether it resumed a
/// checkpoint.
public struct SegmentationRun {
  /// The CamVid folder (the evaluation split is read from it after training).
  public let directory: URL
  public let training: SegmentationDataset
  public let trainer: SegmentationTrainer
  public let resumed: Bool

  /// Loads CamVid's training split, builds the trainer in `runDirectory` and opens the folder
  /// (`Trainer.openRunFolder`).
  /// - Parameters:
  ///   - limit: use only the first `limit` training images.
  ///   - dataParallel: the job this process is one rank of; nil: a single process.
  ///   - log: the resume line.
  ///   - configuration: the run's configuration for the loaded training split.
  /// - Throws: `VisionError` for missing or malformed data and bad configurations, `RunFolderError` for a folder
  ///   that holds a checkpoint when `resume` is false.
  public static func open(
    directory: URL, limit: Int?, runDirectory: URL, resume: Bool, dataParallel: DataParallel?, log: (String) -> Void,
    configuration: (SegmentationDataset) throws -> SegmentationTrainingConfig
  ) throws -> SegmentationRun {
    var training = try CamVid.load(directory: directory, split: .train)
    if let limit { training = try training.prefix(limit) }
    let trainer = try SegmentationTrainer(config: try configuration(training), training: training,
                                          runDirectory: runDirectory, dataParallel: dataParallel)
    let resumed = try trainer.openRunFolder(resume: resume, log: log)
    return SegmentationRun(directory: directory, training: training, trainer: trainer, resumed: resumed)
  }

  /// Trains to the end, then (primary rank) saves the model and evaluates it on `evaluationSplit`
  /// (`Trainer.finishRun`).
  /// - Parameters:
  ///   - evaluationLimit: evaluate on only the first images of that split.
  ///   - metadata: extra model-file metadata.
  ///   - progress: one line per step (every rank); `log`: summaries (primary rank only).
  ///   - shouldStop: polled between steps; the trainer checkpoints and returns when it says so.
  /// - Returns: the evaluation; nil when stopped early or on other ranks.
  @discardableResult
  public func train(evaluationSplit: CamVid.Split, evaluationLimit: Int?, metadata: [String: String] = [:],
                    progress: (String) -> Void, log: (String) -> Void,
                    shouldStop: () -> Bool) throws -> SegmentationEvaluation? {
    let c = trainer.config.model
    let distributed = trainer.dataParallel.map { " on \($0.worldSize) ranks of \(trainer.config.batchSize)" } ?? ""
    if trainer.isPrimary {
      log("training deeplabv3 (resnet blocks \(c.backboneDepths), width \(c.width), output stride \(c.outputStride), "
        + "rates \(c.resolvedAtrousRates)) on \(training.count) CamVid images, "
        + "\(trainer.model.parameterCount) parameters, "
        + "\(trainer.totalSteps) steps (\(trainer.stepsPerEpoch)/epoch)\(distributed)")
    }
    guard let seconds = try trainer.trainToEnd(progress: progress, log: log, shouldStop: shouldStop),
          trainer.isPrimary else { return nil }
    var evaluationSet = try CamVid.load(directory: directory, split: evaluationSplit)
    if let evaluationLimit { evaluationSet = try evaluationSet.prefix(evaluationLimit) }
    return try trainer.finishRun(classNames: training.classNames, seconds: seconds, metadata: metadata,
                                 evaluation: evaluationSet, splitName: evaluationSplit.rawValue, log: log)
  }
}
