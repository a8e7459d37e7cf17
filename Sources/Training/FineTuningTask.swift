import Foundation
import Torch

/// A fixed number of steps on a loss the caller gives per step, with a
/// constant learning rate (or a cosine decay to 0): an attacker's fine-tuning
/// of a marked model, a network trained by distillation, a smoke test. Run it with `Trainer(inMemory:)`; freeze weights through the
/// trainer's `parameterOptimizer`.
public final class FineTuningTask: TrainingTask {
  /// What a fine-tuning run is (its checkpoints, if it ever wrote one, would record it).
  public struct Configuration: Codable, Equatable, Sendable {
    public var steps: Int
    public var clipNorm: Double
    /// The learning rate follows half a cosine from the optimizer's rate to 0 over `steps`.
    public var cosineDecay: Bool
  }

  public let model: any Module
  public let trainedParameters: [Tensor]
  public let optimizer: OptimizerSettings
  public let configuration: Configuration
  let stepLoss: (_ step: Int) throws -> Tensor

  /// - Parameters:
  ///   - parameters: the weights to train (default: every trainable parameter of `model`).
  ///   - cosineDecay: decay the learning rate along half a cosine to 0 instead of keeping it.
  ///   - loss: the loss of step `step` (0-based), batch included; a function of the step alone,
  ///     so that runs repeat.
  public init(model: any Module, parameters: [Tensor]? = nil, steps: Int, optimizer: OptimizerSettings,
              clipNorm: Double = 0, cosineDecay: Bool = false, loss: @escaping (_ step: Int) throws -> Tensor) {
    self.model = model
    trainedParameters = parameters ?? model.trainableParameters
    self.optimizer = optimizer
    configuration = Configuration(steps: steps, clipNorm: clipNorm, cosineDecay: cosineDecay)
    stepLoss = loss
  }

  public var totalSteps: Int { configuration.steps }
  public var stepsPerEpoch: Int? { nil }
  public var checkpointEvery: Int { Swift.max(1, configuration.steps) }
  public var clipNorm: Double { configuration.clipNorm }
  public var logHeader: String { "step,loss" }

  public func canResume(from saved: Configuration) -> Bool { saved == configuration }

  public func learningRate(at step: Int) -> Double {
    guard configuration.cosineDecay, configuration.steps > 0 else { return optimizer.learningRate }
    return optimizer.learningRate * 0.5 * (1 + cos(Double.pi * Double(step) / Double(configuration.steps)))
  }

  public func batches(for steps: Range<Int>) -> BatchFeed<Int> {
    var iterator = steps.makeIterator()
    return BatchFeed(next: { iterator.next() })
  }

  public func loss(of step: Int, step _: Int) throws -> StepLoss {
    StepLoss(evaluate: { [stepLoss] in try stepLoss(step) }, statistics: { [] })
  }

  public func report(_ step: TrainingStep) -> TrainingStep { step }
  public func logFields(_ report: TrainingStep) -> [String] { [String(report.step), String(report.loss)] }
}

extension Trainer where Task == FineTuningTask {
  /// Fine-tunes in memory: `configure` sees the trainer before the first step (e.g. to freeze
  /// weights in its optimizer); the model is left in evaluation mode. Returns each step's loss.
  @discardableResult
  public static func fineTune(_ task: FineTuningTask, configure: (Trainer) throws -> Void = { _ in }) throws -> [Double] {
    let trainer = Trainer(inMemory: task)
    try configure(trainer)
    var losses: [Double] = []
    defer { task.model.setTraining(false) }
    try trainer.run(progress: { losses.append($0.loss) })
    return losses
  }
}
