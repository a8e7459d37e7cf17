import Torch

/// What the classifier and segmentation configurations share as training runs: the optimizer
/// choice and the fields a resumed run may extend.
protocol VisionTrainingConfig: Codable, Equatable {
  var epochs: Int { get set }
  var maximumSteps: Int? { get set }
  var optimizer: ClassifierOptimizer { get }
  var learningRate: Double { get }
  var momentum: Double { get }
  var nesterov: Bool { get }
  var weightDecay: Double { get }
}

extension VisionTrainingConfig {
  /// The trainer's optimizer for this configuration.
  var optimizerSettings: OptimizerSettings {
    switch optimizer {
    case .sgd: return .sgd(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
    case .adamw: return .adamW(learningRate: learningRate, weightDecay: weightDecay)
    }
  }

  /// This (checkpointed) configuration with the run length of `current`: a run may be extended
  /// by more epochs or steps and nothing else.
  func extended(like current: Self) -> Self {
    var copy = self
    copy.epochs = current.epochs
    copy.maximumSteps = current.maximumSteps
    return copy
  }
}

extension ClassifierTrainingConfig: VisionTrainingConfig {}
extension SegmentationTrainingConfig: VisionTrainingConfig {}
