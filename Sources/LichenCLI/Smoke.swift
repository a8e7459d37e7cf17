import ArgumentParser
import Foundation
import Torch
import Training

/// `lichen smoke`: a quick end-to-end check of the tensor stack on this machine.
struct Smoke: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a tiny convolutional net for a few steps and report the loss (tensor stack check).")

  @OptionGroup var global: GlobalOptions

  @Option(help: "Training steps.")
  var steps = 50

  @Option(help: "Random seed.")
  var seed: UInt64 = 0

  func run() throws {
    let g = try Generator(seed: seed)
    let net = Sequential([
      try Conv2d(3, 8, kernelSize: 3, padding: 1, generator: g), Activation(.relu),
      try Conv2d(8, 3, kernelSize: 3, padding: 1, generator: g),
    ])
    let x = try Tensor.rand([4, 3, 32, 32], generator: g)
    let start = Date()
    let losses = try Trainer.fineTune(FineTuningTask(model: net, steps: steps, optimizer: .adam(learningRate: 1e-2)) { _ in
      try Loss.mse(net(x), x)
    })
    let first = losses.first ?? 0, last = losses.last ?? 0
    let seconds = Date().timeIntervalSince(start)
    print(String(format: "threads %d, %d steps in %.2f s, reconstruction MSE %.5f -> %.5f", Torch.threads, steps,
                 seconds, first, last))
    guard last < first else { throw ValidationError("loss did not decrease: the tensor stack is broken") }
  }
}
