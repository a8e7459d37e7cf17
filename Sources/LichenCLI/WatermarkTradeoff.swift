import ArgumentParser
import Compression
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark tradeoff`: payload against imperceptibility, robustness
/// and cost. Trains an unmarked reference, then for each method and payload
/// size a model with the same budget and seed carrying a random payload
/// (the `embed` machinery), attacks it with a few settings and records
/// accuracy, BER and the measured training cost. Every finished run is
/// written to tradeoff.json at once, so an interrupted sweep keeps what it
/// measured and `--resume` continues with the rest (and any run's checkpoint).
struct WatermarkTradeoff: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "tradeoff",
    abstract: "Payload / imperceptibility / robustness / cost trade-off: one training per method and payload size beside an unmarked reference (JSON, CSV, SVG; resumable).")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var training: ClassifierTrainingOptions
  @OptionGroup var insertion: WatermarkInsertionOptions
  @Option(help: "Payload sizes in bits, comma-separated.") var payloads = "64,256,1024,4096"
  @Option(help: "Insertion methods, comma-separated: watermas, substitution, replicas, laplacian.") var methods = "watermas"
  @Option(help: "Seed of the random payloads (one payload per size, the same for every method).") var payloadSeed: UInt64 = 7
  @Option(help: "Attacks measured on each marked model, comma-separated FAMILY:STRENGTH (families as in evaluate.json, e.g. gaussian-noise:0.1, magnitude-pruning:0.5, global-magnitude-pruning:0.5, quantization:4, fine-tuning:100, key-interception-flip, key-interception-fine-tune:100).")
  var attacks = "gaussian-noise:0.1,magnitude-pruning:0.5,quantization:4,fine-tuning:100"
  @Option(help: "Learning rate of key-interception fine-tuning attacks.") var keyFineTuneLr = KeyWeightFineTuning.defaultLearningRate
  @Option(help: "Seed of the attacks' randomness and the attacker's batches.") var attackSeed: UInt64 = 0
  @Option(help: "Repetitions of the extraction timing (median reported).") var timingRepetitions = 5

  func validate() throws {
    let sizes = try parseList(payloads, "--payloads")
    guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--payloads needs positive bit counts") }
    guard Set(sizes).count == sizes.count else { throw ValidationError("--payloads lists a size twice") }
    let names = try methodList()
    guard !names.isEmpty, Set(names).count == names.count else { throw ValidationError("--methods needs distinct methods") }
    _ = try attackSettings()
    guard keyFineTuneLr > 0, keyFineTuneLr.isFinite else { throw ValidationError("--key-fine-tune-lr must be positive") }
    guard timingRepetitions >= 1 else { throw ValidationError("--timing-repetitions must be at least 1") }
  }

  func methodList() throws -> [WatermarkMethod] { try WatermarkMethod.list(parsing: methods) }

  func attackSettings() throws -> [AttackSetting] {
    try AttackSetting.list(parsing: attacks, keyFineTuneLearningRate: keyFineTuneLr).filter { $0.family != .none }
  }

  /// Everything that defines the runs; a resumed sweep must match it (sizes and methods may grow).
  func settings() throws -> [String: String] {
    let t = training
    var s: [String: String] = [
      "data": t.data ?? "", "dataset": t.dataset.rawValue, "model": t.model.rawValue, "width": "\(t.width)",
      "depths": t.depths ?? "", "epochs": "\(t.epochs)", "max-steps": t.maxSteps.map(String.init) ?? "",
      "batch-size": "\(t.batchSize)", "optimizer": t.optimizer.rawValue, "lr": t.lr.map { "\($0)" } ?? "",
      "momentum": "\(t.momentum)", "nesterov": "\(t.nesterov)", "weight-decay": t.weightDecay.map { "\($0)" } ?? "",
      "schedule": t.schedule.rawValue, "step-size": "\(t.stepSize)", "milestones": t.milestones, "gamma": "\(t.gamma)",
      "label-smoothing": "\(t.labelSmoothing)", "clip-norm": "\(t.clipNorm)", "augment": "\(t.augment)",
      "limit": t.limit.map(String.init) ?? "", "eval-limit": t.evalLimit.map(String.init) ?? "", "seed": "\(t.seed)",
      "payload-seed": "\(payloadSeed)", "attacks": try attackSettings().map(\.description).joined(separator: ","),
      "key-fine-tune-lr": "\(keyFineTuneLr)", "attack-seed": "\(attackSeed)",
    ]
    if t.cutout > 0 { s["cutout"] = "\(t.cutout)" }  // absent when off, so sweeps recorded before it resume
    s.merge((try? insertion.settings().record) ?? [:]) { a, _ in a }
    return s
  }

  func run() throws {
    let plan = PayloadTradeoff.SweepPlan(
      settings: try settings(), methods: try methodList(), payloads: try parseList(payloads, "--payloads"),
      payloadSeed: payloadSeed, attacks: try attackSettings(), attackSeed: attackSeed, timingRepetitions: timingRepetitions)
    let interrupted = InterruptFlag.install()
    guard let report = try PayloadTradeoff.sweepClassifiers(
      plan, root: URL(fileURLWithPath: training.out), resume: training.resume, settings: try insertion.settings(),
      data: training.data.map { URL(fileURLWithPath: $0) }, evaluationLimit: training.evalLimit,
      open: { try training.makeSession(runDirectory: $0) }, progress: Lichen.progress, log: say,
      shouldStop: { interrupted.isSet })
    else {
      return say("stopped; what was measured is in \(training.out)/tradeoff.json, continue with --resume")
    }
    report.summary.forEach(say)
    say("wrote \(training.out)/tradeoff.json, tradeoff.csv and plots")
  }
}
