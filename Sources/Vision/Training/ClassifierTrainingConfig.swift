import Torch

/// Which optimizer updates the weights.
public enum ClassifierOptimizer: String, Codable, Sendable, CaseIterable {
  /// SGD with momentum (optionally Nesterov) and L2 weight decay.
  case sgd
  /// Adam with decoupled weight decay.
  case adamw
}

/// How the learning rate moves over the run (evaluated every step).
public enum ClassifierSchedule: String, Codable, Sendable, CaseIterable {
  case constant
  /// Times `gamma` every `stepSizeEpochs` epochs.
  case step
  /// Times `gamma` at each of `milestones` (epochs).
  case multistep
  /// Cosine annealing to zero over the whole run.
  case cosine
  /// (1 - step/steps)^0.9 to zero over the whole run (DeepLab's schedule).
  case poly
}

/// Everything that defines a classifier training run. Saved in every
/// checkpoint; a resumed run must match it (only `epochs` may grow).
public struct ClassifierTrainingConfig: Codable, Sendable, Equatable {
  public var model: ClassifierConfiguration
  public var epochs = 1
  /// Stops after this many steps instead of `epochs` full epochs (tiny runs, tests).
  public var maximumSteps: Int?
  public var batchSize = 128
  public var optimizer: ClassifierOptimizer = .sgd
  public var learningRate = 0.1
  public var momentum = 0.9
  public var nesterov = true
  public var weightDecay = 5e-4
  public var schedule: ClassifierSchedule = .cosine
  public var stepSizeEpochs = 30
  public var milestones: [Int] = []
  public var gamma = 0.1
  /// Epochs of linear warm-up at the start of the schedule (`LinearWarmup`); nil: none (and in
  /// checkpoints written before it existed).
  public var warmupEpochs: Int?
  public var labelSmoothing = 0.0
  /// Global gradient-norm clip; 0 turns it off.
  public var clipNorm = 0.0
  public var augmentation: Augmentation = .standard
  /// Mixup and/or CutMix on every training batch; nil: off (and in checkpoints written before it existed).
  public var batchMixing: BatchMixing?
  public var normalization: Normalization
  /// Seeds the weights, the data order, the augmentation and the dropout.
  public var seed: UInt64 = 0
  /// Decay of an exponential moving average of the weights, evaluated and saved in place of the
  /// raw ones; nil: off (and in checkpoints written before it existed).
  public var emaDecay: Double?
  /// Run the forward pass under bfloat16 autocast (convolutions and linear layers in bfloat16,
  /// weights and gradients in float32); nil: off (and in checkpoints written before it existed).
  public var bfloat16Autocast: Bool?
  /// Feed the network channels-last (NHWC) batches, which oneDNN's convolutions take without
  /// reordering them at every layer; nil: off (and in checkpoints written before it existed).
  public var channelsLast: Bool?
  public var checkpointEvery = 500

  public init(model: ClassifierConfiguration, normalization: Normalization) {
    self.model = model
    self.normalization = normalization
  }

  /// Steps of the whole run for a dataset giving `stepsPerEpoch` batches.
  public func totalSteps(stepsPerEpoch: Int) -> Int {
    let full = epochs * stepsPerEpoch
    return maximumSteps.map { Swift.min($0, full) } ?? full
  }

  /// Throws on values no run can use.
  public func validate() throws {
    guard epochs > 0, batchSize > 0, checkpointEvery > 0 else {
      throw VisionError(.invalidArgument, "epochs, batch size and checkpoint interval must be positive")
    }
    guard learningRate > 0, learningRate.isFinite else { throw VisionError(.invalidArgument, "learning rate must be positive") }
    guard weightDecay >= 0, momentum >= 0, momentum < 1 else {
      throw VisionError(.invalidArgument, "weight decay must be >= 0 and momentum in [0, 1)")
    }
    guard (0..<1).contains(labelSmoothing) else { throw VisionError(.invalidArgument, "label smoothing must be in [0, 1)") }
    if let maximumSteps, maximumSteps <= 0 { throw VisionError(.invalidArgument, "maximum steps must be positive") }
    if let warmupEpochs, warmupEpochs < 0 || warmupEpochs >= epochs {
      throw VisionError(.invalidArgument, "warm-up epochs must be at least 0 and fewer than the run's \(epochs) epochs")
    }
    if let emaDecay, !(0..<1).contains(emaDecay) { throw VisionError(.invalidArgument, "weight-average decay must be in [0, 1)") }
    try batchMixing?.validate()
    try normalization.check(channels: model.inputChannels)
  }

  /// The schedule in steps.
  func learningRateSchedule(stepsPerEpoch: Int, totalSteps: Int) -> any LearningRateSchedule {
    let base = baseSchedule(stepsPerEpoch: stepsPerEpoch, totalSteps: totalSteps)
    guard let warmupEpochs, warmupEpochs > 0 else { return base }
    return LinearWarmup(base, steps: warmupEpochs * stepsPerEpoch)
  }

  private func baseSchedule(stepsPerEpoch: Int, totalSteps: Int) -> any LearningRateSchedule {
    switch schedule {
    case .constant: return StepSchedule(base: learningRate, stepSize: Int.max, gamma: 1)
    case .step: return StepSchedule(base: learningRate, stepSize: stepSizeEpochs * stepsPerEpoch, gamma: gamma)
    case .multistep:
      return MultiStepSchedule(base: learningRate, milestones: milestones.map { $0 * stepsPerEpoch }, gamma: gamma)
    case .cosine: return CosineSchedule(base: learningRate, period: totalSteps)
    case .poly: return PolySchedule(base: learningRate, period: totalSteps)
    }
  }
}
