import Foundation
import Torch

/// Key interception by training: the attacker knows the key positions and
/// runs SGD (with momentum) on exactly those weights against the task loss,
/// every other weight, bias and batch-norm statistic left as it is.
///
/// This is the attack WaterMAS is built against: substitution leaves the
/// marked weights where the bits put them, and an attacker with the key may
/// hope that the task gradient moves them (and their signs) somewhere the
/// model likes better at little cost. Starting from the marked values it
/// measures how strongly the loss pulls on the mark; starting from
/// re-randomized values (`AttackFamily.keyInterceptionRandomizeFineTune`) it
/// measures how much accuracy the attacker wins back after erasing the mark.
///
/// The model runs in evaluation mode during the attack (batch norm uses its
/// running statistics, dropout is off), so only the key weights change;
/// its training mode is restored afterwards.
public struct KeyWeightFineTuning: Sendable, Equatable {
  public var steps: Int
  public var learningRate: Double
  public var momentum: Double

  /// The learning rate sweeps use when none is given: the marked weights
  /// are about one layer std in size (alpha = 1), and the task gradient on a
  /// single weight is small, so the attacker needs a larger step than the
  /// 1e-3 of a whole-model fine-tune to move them at all in a few steps.
  public static let defaultLearningRate = 0.01

  public init(steps: Int, learningRate: Double = KeyWeightFineTuning.defaultLearningRate, momentum: Double = 0.9) throws {
    guard steps >= 0 else { throw WatermarkError("key fine-tuning needs a non-negative step count (got \(steps))") }
    guard learningRate > 0, learningRate.isFinite else {
      throw WatermarkError("key fine-tuning needs a positive, finite learning rate (got \(learningRate))")
    }
    guard momentum >= 0, momentum < 1 else { throw WatermarkError("key fine-tuning momentum must be in [0, 1) (got \(momentum))") }
    self.steps = steps
    self.learningRate = learningRate
    self.momentum = momentum
  }

  /// Trains the key weights of `model` for `steps` steps.
  /// - Parameter loss: the task loss of the model on the attacker's batch `step`.
  public func apply(to model: any Module, key: WatermarkKey, loss: (_ step: Int) throws -> Tensor) throws {
    try key.check(model)
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let marked = try Dictionary(grouping: key.positions, by: \.layer).sorted { $0.key < $1.key }.map { layer, positions in
      guard let p = params[layer] else { throw WatermarkError("the model has no layer \(layer) named by the key") }
      return (parameter: p, index: try Tensor(positions.map { Int64($0.index) }))
    }
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer { model.setTraining(wasTraining) }
    var velocities: [Tensor?] = marked.map { _ in nil }
    defer { try? model.zeroGrad() }
    for step in 0..<steps {
      try model.zeroGrad()
      let l = try withGrad { try loss(step) }
      let value = try l.item()
      guard value.isFinite else {
        throw WatermarkError("key fine-tuning: the task loss is not finite (\(value)) at step \(step); lower the learning rate")
      }
      try l.backward()
      try withNoGrad {
        for (i, (p, index)) in marked.enumerated() {
          let g = try p.grad.map { try $0.reshape([-1]).indexSelect(0, index) }
            ?? Tensor.zeros([index.elementCount], dtype: p.dtype)
          let v = try velocities[i].map { try $0 * momentum + g } ?? g
          velocities[i] = v
          try p.reshape([-1]).indexAdd_(0, index, v * -learningRate)
        }
      }
    }
  }
}
