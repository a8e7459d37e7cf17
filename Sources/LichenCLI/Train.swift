import ArgumentParser
import Compression
import Foundation
import Torch

extension Architecture: ExpressibleByArgument {
  public init?(argument: String) {
    switch argument {
    case "hyperprior", "bmshj2018-hyperprior": self = .scaleHyperprior
    case "factorized", "bmshj2018-factorized": self = .factorizedPrior
    default: return nil
    }
  }
}

extension GDN.Variant: ExpressibleByArgument {}

/// `lichen train`: rate-distortion training on a folder of photos.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a codec (RD loss, Adam + aux optimizer, checkpoint/resume, CSV log, SVG curves).")

  @OptionGroup var global: GlobalOptions

  @Option(help: "Folder of training PNGs.") var data: String
  @Option(help: "Folder of validation PNGs (default: every 20th training image is held out).") var val: String?
  @Option(help: "hyperprior | factorized.") var model: Architecture = .scaleHyperprior
  @Option(name: .customLong("N"), help: "Channels N.") var n = 128
  @Option(name: .customLong("M"), help: "Latent channels M.") var m = 192
  @Option(help: "GDN variant: standard | simplified.") var gdn: GDN.Variant = .standard
  @Option(help: "RD trade-off lambda (loss = lambda*255^2*MSE + bpp).") var lambda = 0.0130
  @Option(help: "Batch size.") var batchSize = 8
  @Option(help: "Random crop size (multiple of 64).") var crop = 256
  @Option(help: "Total steps.") var steps = 1000
  @Option(help: "Learning rate.") var learningRate = 1e-4
  @Option(help: "Validate every K steps.") var validateEvery = 200
  @Option(help: "Checkpoint every K steps.") var checkpointEvery = 100
  @Option(help: "Seed of weights, batches and noise.") var seed: UInt64 = 0
  @Option(help: "Start from this model's weights (a registry name or .safetensors path) instead of random.")
  var initFrom: String?
  @Option(help: "Run folder (checkpoint.safetensors, log.csv, curves.svg, model.safetensors).") var out: String
  @Flag(help: "Continue from the run folder's checkpoint.") var resume = false

  func validate() throws {
    guard crop > 0, crop % 64 == 0 else { throw ValidationError("--crop must be a positive multiple of 64") }
    guard batchSize > 0, steps > 0, lambda > 0 else { throw ValidationError("--batch-size, --steps and --lambda must be positive") }
  }

  func run() throws {
    try global.apply()
    var config = RDTrainingConfig()
    config.architecture = model
    config.n = n
    config.m = m
    config.gdnVariant = gdn
    config.lambda = lambda
    config.batchSize = batchSize
    config.cropSize = crop
    config.steps = steps
    config.learningRate = learningRate
    config.validateEvery = validateEvery
    config.checkpointEvery = checkpointEvery
    config.seed = seed
    let all = try ImageSet.load(directory: URL(fileURLWithPath: data), minimumSide: crop)
    let (training, validation) = try val.map { (all, try ImageSet.load(directory: URL(fileURLWithPath: $0))) }
      ?? all.split(validationEvery: 20)
    let codec = try ModelConfiguration(architecture: model, n: n, m: m, gdnVariant: gdn).makeModel(seed: seed)
    if let initFrom {
      let source = try ModelStore.load(initFrom)
      try codec.load(stateDict: source.model.stateDictRecords(), matching: .strict)
    }
    let runURL = URL(fileURLWithPath: out)
    let trainer = try RDTrainer(config: config, model: codec, training: training, validation: validation,
                                runDirectory: runURL)
    if FileManager.default.fileExists(atPath: trainer.checkpointURL.path) && !resume {
      throw ValidationError("\(out) already holds a checkpoint: pass --resume to continue it, or choose another --out")
    }
    if resume, try trainer.resumeIfPossible() {
      print("resumed at step \(trainer.step) from \(trainer.checkpointURL.path)")
    }
    print("training \(model.rawValue) N=\(n) M=\(m) lambda=\(lambda) on \(training.images.count) images "
      + "(\(validation.images.count) validation), \(codec.parameterCount) parameters")
    let interrupted = InterruptFlag.install()
    try trainer.run(progress: { p in
      var line = String(format: "step %d/%d  loss %.4f  bpp %.4f  psnr %.2f dB  aux %.1f  lr %.2e  %.2f steps/s  eta %@",
                        p.step, p.totalSteps, p.loss, p.bpp, p.psnr, p.auxiliaryLoss, p.learningRate,
                        p.stepsPerSecond, formatDuration(p.etaSeconds))
      if let v = p.validation { line += String(format: "  | val bpp %.4f psnr %.2f dB", v.bpp, v.psnr) }
      FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }, shouldStop: { interrupted.isSet })
    if interrupted.isSet {
      print("interrupted at step \(trainer.step); checkpoint saved, continue with --resume")
      return
    }
    try codec.update()
    let modelURL = runURL.appendingPathComponent("model.safetensors")
    try ModelStore.save(codec, config: ModelConfiguration(architecture: model, n: n, m: m, gdnVariant: gdn),
                        metadata: ["lambda": String(lambda), "steps": String(trainer.step)], to: modelURL)
    print("wrote \(modelURL.path)")
  }
}

func formatDuration(_ seconds: Double) -> String {
  guard seconds.isFinite else { return "?" }
  let s = Int(seconds)
  return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
}
