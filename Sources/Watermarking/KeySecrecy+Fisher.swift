import Foundation
import Torch

extension KeySecrecy {
  /// The diagonal of the empirical Fisher information of every markable
  /// weight: the mean over the attacker's batches of the squared gradient of
  /// the task loss. What an attacker with the model and some data, but not
  /// the key, can compute; near a minimum it tracks the loss curvature along
  /// each weight, which WaterMAS's sharpness maximization raises along the
  /// key. Batch gradients, not per-example ones: at a minimum their square
  /// is the per-example Fisher divided by the batch size, the same ranking.
  /// The model runs in evaluation mode (batch norm on its running
  /// statistics), and its gradients are cleared afterwards.
  /// - Parameters:
  ///   - model: the model under attack.
  ///   - batches: how many of the attacker's batches to average over (positive).
  ///   - loss: the task loss of `model` on the attacker's batch `step` (`AttackSubject.attackerLoss`).
  /// - Returns: per markable weight name, the Fisher diagonal in row-major order (like key indices).
  /// - Throws: `WatermarkError` for a non-positive batch count or a non-finite loss; what `loss` throws.
  public static func fisherDiagonal(of model: any Module, batches: Int, loss: (_ step: Int) throws -> Tensor) throws
    -> [String: [Float]] {
    guard batches > 0 else { throw WatermarkError("the Fisher diagonal needs at least one batch (got \(batches))") }
    let markable = model.namedParameters().filter { WatermarkKey.isMarkable(name: $0.name, rank: $0.tensor.shape.count) }
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer {
      model.setTraining(wasTraining)
      try? model.zeroGrad()
    }
    var sums: [Tensor?] = markable.map { _ in nil }
    for step in 0..<batches {
      try model.zeroGrad()
      let l = try withGrad { try loss(step) }
      let value = try l.item()
      guard value.isFinite else { throw WatermarkError("the task loss is not finite (\(value)) on batch \(step)") }
      try l.backward()
      try withNoGrad {
        for (i, p) in markable.enumerated() {
          guard let g = p.tensor.grad else { continue }
          let square = try (g * g).to(.float32)
          sums[i] = try sums[i].map { try $0 + square } ?? square
        }
      }
    }
    var fisher: [String: [Float]] = [:]
    for (i, p) in markable.enumerated() {
      fisher[p.name] = try sums[i].map { try ($0 * (1 / Double(batches))).reshape([-1]).floats() }
        ?? [Float](repeating: 0, count: p.tensor.elementCount)
    }
    return fisher
  }
}
