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
    let (first, last, seconds) = try SmokeCheck.run(steps: steps, seed: seed)
    print(String(format: "threads %d, %d steps in %.2f s, reconstruction MSE %.5f -> %.5f", Torch.threads, steps,
                 seconds, first, last))
    guard last < first else { throw ValidationError("loss did not decrease: the tensor stack is broken") }
  }
}
