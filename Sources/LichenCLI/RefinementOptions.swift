import ArgumentParser
import Compression
import Foundation
import Quantization

/// `--refine-steps`, `--refine-lr`, `--refine-lambda`: encoder-side latent
/// refinement (`LatentRefinement`) for the commands that encode.
struct RefinementOptions: ParsableArguments {
  @Option(help: ArgumentHelp(
    "Refine the latents with N Adam steps on this image's own RD loss before coding (0: off; tuned at \(LatentRefinement.defaultSteps)). Slower encoding; same bitstream format and decoder.",
    valueName: "N"))
  var refineSteps: Int = 0
  @Option(help: "Refinement learning rate in latent units (annealed by a cosine).")
  var refineLr: Double = LatentRefinement.defaultLearningRate
  @Option(help: "Refinement RD trade-off (default: the lambda the model was trained at, from its metadata).")
  var refineLambda: Double?
  @Flag(help: "Print every refinement step.") var refineVerbose = false

  func validate() throws {
    guard refineSteps >= 0 else { throw ValidationError("--refine-steps must be 0 (off) or positive, got \(refineSteps)") }
    guard refineLr > 0, refineLr.isFinite else { throw ValidationError("--refine-lr must be positive, got \(refineLr)") }
    if let refineLambda, !(refineLambda > 0 && refineLambda.isFinite) {
      throw ValidationError("--refine-lambda must be positive, got \(refineLambda)")
    }
  }

  /// Refinement was asked for (it needs the float model).
  var isOn: Bool { refineSteps > 0 }

  /// `chosen` with refinement switched on when asked; float models only.
  func apply(to chosen: CodecChoice) throws -> CodecChoice {
    guard refineSteps > 0 else { return chosen }
    guard let codec = chosen.float else {
      throw ValidationError("--refine-steps needs a float model; \(chosen.source) is an integer model")
    }
    guard let lambda = refineLambda ?? codec.loaded.trainingLambda else {
      throw ValidationError("\(chosen.source) does not record the lambda it was trained at; pass --refine-lambda")
    }
    return CodecChoice(float: try codec.refining(steps: refineSteps, learningRate: refineLr, lambda: lambda,
                                                 progress: refineVerbose ? { say($0) } : nil))
  }
}
