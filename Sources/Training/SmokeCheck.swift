import Foundation
import Torch

/// A quick end-to-end check of the tensor stack (`lichen smoke`): a tiny convolutional autoencoder trained in memory
/// with Adam on one random batch.
public enum SmokeCheck {
  /// Trains the net for `steps` steps from `seed`.
  /// - Returns: the first and last steps' reconstruction MSE (0 without steps) and the seconds the training took.
  public static func run(steps: Int, seed: UInt64) throws -> (first: Double, last: Double, seconds: Double) {
    let g = try Generator(seed: seed)
    let net = Sequential([
      try Conv2d(3, 8, kernelSize: 3, padding: 1, generator: g), Activation(.relu),
      try Conv2d(8, 3, kernelSize: 3, padding: 1, generator: g),
    ])
    let x = try Tensor.rand([4, 3, 32, 32], generator: g)
    let start = Date()
    let task = FineTuningTask(model: net, steps: steps, optimizer: .adam(learningRate: 1e-2)) { _ in try Loss.mse(net(x), x) }
    let losses = try Trainer.fineTune(task)
    return (losses.first ?? 0, losses.last ?? 0, Date().timeIntervalSince(start))
  }
}
