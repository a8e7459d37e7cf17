import ArgumentParser
import Compression
import Foundation
import Torch

/// Options shared by every codec training command (train, distill).
struct TrainingOptions: ParsableArguments {
  @Option(help: "Folder of training PNGs.") var data: String
  @Option(help: "Folder of validation PNGs (default: every 20th training image is held out).") var val: String?
  @Option(help: "RD trade-off lambda (loss = lambda*255^2*MSE + bpp).") var lambda = 0.0130
  @Option(help: "Batch size.") var batchSize = 8
  @Option(help: "Random crop size (multiple of 64).") var crop = 256
  @Option(help: "Total steps.") var steps = 1000
  @Option(help: "Learning rate.") var learningRate = 1e-4
  @Option(help: "Validate every K steps.") var validateEvery = 200
  @Option(help: "Checkpoint every K steps.") var checkpointEvery = 100
  @Option(help: "Seed of weights, batches and noise.") var seed: UInt64 = 0
  @Option(help: "Run folder (checkpoint.safetensors, log.csv, curves.svg, model.safetensors).") var out: String
  @Flag(help: "Continue from the run folder's checkpoint.") var resume = false
  @Option(help: "Comma-separated steps at which the learning rate is multiplied by --lr-gamma (e.g. 600,1000).")
  var lrMilestones: String?
  @Option(help: "Factor applied at each --lr-milestones step.") var lrGamma = 0.1
  @Flag(help: ArgumentHelp("Feed the synthesis transforms rounded latents (straight-through gradient); the rate keeps the noise proxy.",
                           discussion: "The decoder then trains on what it decodes (Minnen & Singh 2020's mixed quantization); useful to fine-tune a model trained with noise."))
  var roundDecoderInputs = false
  @Option(help: ArgumentHelp("Keep an exponential moving average of the weights with this decay (e.g. 0.999); it is validated and saved instead of the raw weights.",
                             valueName: "DECAY"))
  var emaDecay: Double?
  @Flag(help: ArgumentHelp("Experimental: run the convolutions in bfloat16 (CPU autocast); GDN, entropy models, loss, weights and gradients stay float32.",
                           discussion: "About 1.1x the float32 step rate here so far, same losses (docs/codec.md, \"Mixed precision\"); lichen-bench torch times the convolutions alone."))
  var bf16 = false

  func validate() throws {
    guard crop > 0, crop % 64 == 0 else { throw ValidationError("--crop must be a positive multiple of 64") }
    guard batchSize > 0, steps > 0, lambda > 0 else {
      throw ValidationError("--batch-size, --steps and --lambda must be positive")
    }
    _ = try milestones()
    guard lrGamma > 0, lrGamma <= 1 else { throw ValidationError("--lr-gamma must be in (0, 1]") }
    if let emaDecay, !(emaDecay > 0 && emaDecay < 1) { throw ValidationError("--ema-decay must be in (0, 1)") }
  }

  func config(for model: ModelConfiguration) -> RDTrainingConfig {
    RDTrainingConfig(
      model: model, lambda: lambda, batchSize: batchSize, cropSize: crop, steps: steps, learningRate: learningRate,
      validateEvery: validateEvery, checkpointEvery: checkpointEvery, seed: seed,
      roundsDecoderInputs: roundDecoderInputs, emaDecay: emaDecay, bfloat16Autocast: bf16,
      learningRateMilestones: (try? milestones()) ?? [], milestoneGamma: lrGamma)
  }

  func milestones() throws -> [Int] {
    let steps = try parseList(lrMilestones ?? "", "--lr-milestones")
    guard !steps.contains(0) else { throw ValidationError("--lr-milestones expects positive step numbers, got '\(lrMilestones ?? "")'") }
    return steps
  }

  func imageSets() throws -> (training: ImageSet, validation: ImageSet) {
    try ImageSet.trainingAndValidation(data: URL(fileURLWithPath: data), validation: val.map(URL.init(fileURLWithPath:)),
                                       minimumSide: crop)
  }

  /// Trains a codec to its final model (`RDTrainer.trainToFinalModel`) with progress lines, Ctrl-C checkpointing
  /// and resume, inserting `mark` when given. Returns false when interrupted. `alwaysResume` continues any
  /// checkpoint it finds (sweeps).
  @discardableResult
  func run(_ trainer: RDTrainer, configuration: ModelConfiguration, metadata: [String: String],
           marking mark: CodecMark? = nil, alwaysResume: Bool = false) throws -> Bool {
    try trainer.trainToFinalModel(
      configuration: configuration, metadata: metadata, marking: mark, resume: resume || alwaysResume,
      progress: Lichen.progress, log: say, saveLog: { print($0) }, stopSignal: InterruptFlag.install)
  }
}
