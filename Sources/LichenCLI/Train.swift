import ArgumentParser
import Compression
import Foundation
import Torch

extension Architecture: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
}

extension GDN.Variant: ExpressibleByArgument {}

/// `lichen train`: rate-distortion training on a folder of photos.
struct Train: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a codec (RD loss, Adam + aux optimizer, checkpoint/resume, CSV log, SVG curves).")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var training: TrainingOptions
  @OptionGroup var distributed: DistributedOptions
  @OptionGroup var watermark: CodecWatermarkOptions
  @Option(help: "hyperprior | mean-scale | factorized.") var model: Architecture = .scaleHyperprior
  @Option(name: .customLong("N"), help: "Channels N.") var n = 128
  @Option(name: .customLong("M"), help: "Latent channels M.") var m = 192
  @Option(help: "GDN variant: standard | simplified.") var gdn: GDN.Variant = .standard
  @Option(help: "Start from this model's weights (a registry name or .safetensors/.pth path) instead of random.")
  var initFrom: String?
  @Flag(help: "With --init-from: take only the weights this model shares with that one by name and shape (a mean-scale hyperprior from a scale hyperprior: all but h_s), the rest starting fresh.")
  var transfer = false

  func validate() throws {
    guard !transfer || initFrom != nil else { throw ValidationError("--transfer needs --init-from") }
  }

  func run() throws {
    let dataParallel = try distributed.connect()
    let configuration = ModelConfiguration(architecture: model, n: n, m: m, gdnVariant: gdn)
    let (trainingSet, validationSet) = try training.imageSets()
    let codec = try configuration.makeModel(seed: training.seed)
    let (lineage, fresh) = try ModelStore.start(codec, from: initFrom, transfer: transfer)
    if let fresh, let initFrom { print("transferred from \(initFrom); starting fresh: \(fresh)") }
    let trainer = try RDTrainer(config: training.config(for: configuration), model: codec, training: trainingSet,
                                validation: validationSet, runDirectory: URL(fileURLWithPath: training.out),
                                dataParallel: dataParallel)
    if trainer.isPrimary { print("training \(model.rawValue) N=\(n) M=\(m) lambda=\(training.lambda) on \(trainingSet.images.count) images "
      + "(\(validationSet.images.count) validation), \(codec.parameterCount) parameters") }
    // "steps" counts the whole history: the starting model's steps plus this run's
    // (the lineage travels in the checkpoint, so a resumed run keeps it).
    trainer.lineage.merge(lineage) { _, new in new }
    guard try training.run(trainer, configuration: configuration, metadata: [:], marking: watermark.mark()) else {
      throw ExitCode.interrupted
    }
  }
}
