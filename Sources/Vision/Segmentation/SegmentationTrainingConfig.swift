import Torch

/// Everything that defines a segmentation training run; saved in every
/// checkpoint, and a resumed run must match it (only `epochs` and
/// `maximumSteps` may change). Defaults follow torchvision's segmentation
/// reference (SGD momentum 0.9, weight decay 1e-4, poly schedule, scale
/// 0.5-2.0 + crop + flip), except the learning rate, which the caller sets
/// for the batch size it can afford.
public struct SegmentationTrainingConfig: Codable, Sendable, Equatable {
  public var model: SegmentationConfiguration
  public var epochs = 1
  public var maximumSteps: Int?
  /// At least 2: the image-pooling branch normalises one value per image and channel.
  public var batchSize = 8
  public var optimizer: ClassifierOptimizer = .sgd
  public var learningRate = 0.01
  public var momentum = 0.9
  public var nesterov = false
  public var weightDecay = 1e-4
  /// constant, cosine or poly (power 0.9).
  public var schedule: ClassifierSchedule = .poly
  /// Global gradient-norm clip; 0 turns it off.
  public var clipNorm = 0.0
  public var augmentation: SegmentationAugmentation
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
  public var checkpointEvery = 100

  public init(model: SegmentationConfiguration, normalization: Normalization,
              augmentation: SegmentationAugmentation) {
    self.model = model
    self.normalization = normalization
    self.augmentation = augmentation
  }

  public func totalSteps(stepsPerEpoch: Int) -> Int {
    let full = epochs * stepsPerEpoch
    return maximumSteps.map { Swift.min($0, full) } ?? full
  }

  public func validate() throws {
    guard epochs > 0, checkpointEvery > 0 else {
      throw VisionError(.invalidArgument, "epochs and checkpoint interval must be positive")
    }
    guard batchSize >= 2 else {
      throw VisionError(.invalidArgument, "batch size must be at least 2 (batch norm in the image-pooling branch)")
    }
    guard learningRate > 0, learningRate.isFinite else { throw VisionError(.invalidArgument, "learning rate must be positive") }
    guard weightDecay >= 0, momentum >= 0, momentum < 1 else {
      throw VisionError(.invalidArgument, "weight decay must be >= 0 and momentum in [0, 1)")
    }
    guard [.constant, .cosine, .poly].contains(schedule) else {
      throw VisionError(.invalidArgument, "segmentation training takes the constant, cosine or poly schedule")
    }
    guard (0..<1).contains(model.dropout) else { throw VisionError(.invalidArgument, "dropout must be in [0, 1)") }
    if let maximumSteps, maximumSteps <= 0 { throw VisionError(.invalidArgument, "maximum steps must be positive") }
    if let emaDecay, !(0..<1).contains(emaDecay) { throw VisionError(.invalidArgument, "weight-average decay must be in [0, 1)") }
    try normalization.check(channels: model.inputChannels)
  }

  func learningRateSchedule(totalSteps: Int) -> any LearningRateSchedule {
    switch schedule {
    case .cosine: return CosineSchedule(base: learningRate, period: totalSteps)
    case .poly: return PolySchedule(base: learningRate, period: totalSteps)
    case .constant, .step, .multistep: return StepSchedule(base: learningRate, stepSize: Int.max, gamma: 1)
    }
  }
}
