import Foundation
import Torch

/// What one kind of training (classification, segmentation, a codec's RD
/// loss) gives the one `Trainer`: its model and configuration, its batches,
/// the loss of a batch, and what it reports. The trainer owns everything
/// else: steps and epochs, the optimizer and its learning rate, gradient
/// clipping, data parallelism, the backward hook a watermark plugs into,
/// checkpoints, `log.csv`, progress and interruption.
///
/// Determinism is the task's side of the contract: batch `s` and every random
/// draw of step `s` (dropout masks, quantization noise) must be functions of
/// the seed and `s`, so that a resumed run equals a straight one bit for bit.
public protocol TrainingTask: AnyObject {
  associatedtype Batch
  /// Everything that defines the run; saved in every checkpoint.
  associatedtype Configuration: Codable & Equatable
  /// The progress report the task's callers read (built from a `TrainingStep`).
  associatedtype Report

  /// The model the trainer checkpoints, broadcasts and puts in training mode.
  var model: any Module { get }
  var configuration: Configuration { get }
  /// The weights the main optimizer trains (and whose gradients are averaged and clipped).
  var trainedParameters: [Tensor] { get }
  var optimizer: OptimizerSettings { get }
  var totalSteps: Int { get }
  /// Batches per epoch; nil when the task does not count epochs.
  var stepsPerEpoch: Int? { get }
  var checkpointEvery: Int { get }
  /// Weights of a second optimizer trained on `auxiliaryLoss` after each main step (a codec's
  /// entropy-bottleneck quantiles); empty: none.
  var auxiliaryParameters: [Tensor] { get }
  /// The optimizer of `auxiliaryParameters` (nil: none).
  var auxiliaryOptimizer: OptimizerSettings? { get }
  /// Global gradient-norm clip of `trainedParameters`; 0: off.
  var clipNorm: Double { get }
  /// Decay of an exponential moving average of the trained weights, validated and saved in place
  /// of the raw ones (`Trainer.withAveragedWeights`); nil: no average.
  var averageDecay: Double? { get }
  /// Mixed precision of the loss's forward pass (`withAutocast`: `.bfloat16` runs convolutions and
  /// matrix products in bfloat16, weights and gradients stay float32); nil: float32 throughout.
  var autocast: DType? { get }
  /// Validation every this many steps (and at the last step); nil: never.
  var validateEvery: Int? { get }
  /// The `log.csv` header; `logFields` gives each row.
  var logHeader: String { get }

  /// Whether a checkpoint written with `saved` may continue as this run (fields a run may
  /// extend, such as the number of steps, may differ).
  func canResume(from saved: Configuration) -> Bool
  /// The learning rate of step `step` (before any plateau factor the task applies itself).
  func learningRate(at step: Int) -> Double
  /// The batches of `steps`, in order, for this process's shard.
  func batches(for steps: Range<Int>) -> BatchFeed<Batch>
  /// The loss of one step. The trainer (or the backward hook) may evaluate it more than once;
  /// every evaluation must be the same function of the weights.
  func loss(of batch: Batch, step: Int) throws -> StepLoss
  /// Runs after the main optimizer step and the weight average, before the auxiliary step;
  /// returns statistics reported after the loss's own.
  func afterOptimizerStep(step: Int) throws -> [Double]
  /// The loss the auxiliary optimizer minimises (its value is reported after every other statistic).
  func auxiliaryLoss() throws -> Tensor
  /// Validates the model (called on every rank, with the averaged weights in it when the run
  /// averages) and returns the reported values.
  func validate(step: Int) throws -> [Double]
  /// The report of a finished step.
  func report(_ step: TrainingStep) -> Report
  /// The `log.csv` fields of a report.
  func logFields(_ report: Report) -> [String]
  /// State beyond the model and the main optimizer that a checkpoint keeps (auxiliary optimizer,
  /// averages, schedules, lineage), as tensors and metadata.
  func checkpointState() throws -> (tensors: [String: TensorRecord], metadata: [String: String])
  /// Restores what `checkpointState` wrote.
  func restoreState(from file: SafeTensorsFile, source: URL) throws
  /// The error a checkpoint that cannot continue this run raises.
  func checkpointError(_ message: String, source: URL) -> Error
  /// The error a non-finite loss raises.
  func divergenceError(_ message: String) -> Error
  /// Called once when `run` returns on the primary process (e.g. to draw curves).
  func runEnded(runDirectory: URL) throws
}

extension TrainingTask {
  public var trainedParameters: [Tensor] { model.trainableParameters }
  public var validateEvery: Int? { nil }
  public var averageDecay: Double? { nil }
  public var autocast: DType? { nil }
  public var auxiliaryParameters: [Tensor] { [] }
  public var auxiliaryOptimizer: OptimizerSettings? { nil }
  public func auxiliaryLoss() throws -> Tensor { throw TorchError(.value, "this task has no auxiliary loss") }
  public func afterOptimizerStep(step: Int) throws -> [Double] { [] }
  public func validate(step: Int) throws -> [Double] { [] }
  public func checkpointState() throws -> (tensors: [String: TensorRecord], metadata: [String: String]) { ([:], [:]) }
  public func restoreState(from file: SafeTensorsFile, source: URL) throws {}
  public func checkpointError(_ message: String, source: URL) -> Error {
    TorchError(.value, "\(source.path): \(message)")
  }
  public func divergenceError(_ message: String) -> Error { TorchError(.value, message) }
  public func runEnded(runDirectory: URL) throws {}
}

/// One evaluation of a step's loss, and what the task reports about it.
public struct StepLoss {
  /// The loss; every call evaluates the same function of the weights (same masks, same noise).
  public var evaluate: () throws -> Tensor
  /// The task's statistics of the first evaluation (e.g. accuracy), read after it ran.
  public var statistics: () throws -> [Double]

  public init(evaluate: @escaping () throws -> Tensor, statistics: @escaping () throws -> [Double]) {
    self.evaluate = evaluate
    self.statistics = statistics
  }
}

/// The batches of a range of steps: `next` gives them in order (nil after the last),
/// `cancel` stops whatever prepares them.
public struct BatchFeed<Batch> {
  public var next: () throws -> Batch?
  public var cancel: () -> Void

  public init(next: @escaping () throws -> Batch?, cancel: @escaping () -> Void = {}) {
    self.next = next
    self.cancel = cancel
  }
}

/// What the trainer knows about a finished step; the task turns it into its report.
public struct TrainingStep: Sendable {
  /// Steps done (1 after the first).
  public var step: Int
  public var totalSteps: Int
  /// 1-based epoch of the step and the run's epochs (nil without epochs).
  public var epoch: Int?
  public var epochs: Int?
  /// The step's loss, averaged over the ranks.
  public var loss: Double
  /// The task's statistics (`StepLoss.statistics`, averaged over the ranks), then this rank's
  /// `afterOptimizerStep` values and auxiliary loss.
  public var statistics: [Double]
  /// Means of the loss and of `statistics` over the current epoch's steps run in this process
  /// (over every step of this process without epochs).
  public var meanLoss: Double
  public var meanStatistics: [Double]
  public var learningRate: Double
  public var stepsPerSecond: Double
  /// The task's validation values when the step validated.
  public var validation: [Double]?
}

/// The optimizer of the trained weights.
public enum OptimizerSettings: Sendable, Equatable {
  /// SGD with momentum (optionally Nesterov) and L2 weight decay.
  case sgd(learningRate: Double, momentum: Double, weightDecay: Double, nesterov: Bool)
  /// Adam with decoupled weight decay.
  case adamW(learningRate: Double, weightDecay: Double)
  /// Plain Adam.
  case adam(learningRate: Double)

  /// The (peak) learning rate the optimizer starts with.
  public var learningRate: Double {
    switch self {
    case let .sgd(learningRate, _, _, _), let .adamW(learningRate, _), let .adam(learningRate): return learningRate
    }
  }

  func make(_ parameters: [Tensor]) -> any Optimizer {
    switch self {
    case let .sgd(learningRate, momentum, weightDecay, nesterov):
      return SGD(parameters, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay,
                 nesterov: nesterov && momentum > 0)
    case let .adamW(learningRate, weightDecay):
      return Adam.adamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
    case let .adam(learningRate):
      return Adam(parameters, learningRate: learningRate)
    }
  }
}
