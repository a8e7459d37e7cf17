import Foundation
import Torch

/// One report of training progress, rendered by the CLI.
public struct TrainingProgress: Sendable {
  public var step: Int
  public var totalSteps: Int
  public var loss: Double
  public var mse: Double
  public var bpp: Double
  public var auxiliaryLoss: Double
  public var learningRate: Double
  public var stepsPerSecond: Double
  public var validation: (bpp: Double, psnr: Double, loss: Double)?
  public var psnr: Double { Compression.psnr(mse: mse) }
  public var etaSeconds: Double { stepsPerSecond > 0 ? Double(totalSteps - step) / stepsPerSecond : .infinity }
}

/// Codec training as a `TrainingTask`: the RD loss (or a distillation
/// objective) with Adam on the main weights and Adam on the entropy
/// bottleneck's quantiles (the trainer's auxiliary optimizer), gradient
/// clipping, plateau decay on the validation loss times optional milestones,
/// an optional weight average (the trainer's), SVG curves. Batches and noise are drawn from
/// generators seeded by (seed, step), so a resumed run equals a straight one.
///
/// Data parallel: each rank trains on its shard of every global batch
/// (`config.batchSize` crops per rank, and the noise one process would draw
/// for them); validation images are split between the ranks and their totals summed.
public final class RDTask: TrainingTask {
  public let config: RDTrainingConfig
  public let codec: any CompressionModel
  let training: ImageSet
  let validation: ImageSet
  let objective: any TrainingObjective
  let dataParallel: DataParallel?
  var plateau: PlateauSchedule
  /// Where the run's starting weights came from (e.g. `init`, `init_steps`):
  /// kept in the checkpoint, so a resumed run still records its history.
  public var lineage: [String: String] = [:]

  /// - Parameter objective: the loss; nil means the plain RD loss at `config.lambda`.
  public init(config: RDTrainingConfig, model: any CompressionModel, training: ImageSet, validation: ImageSet,
              objective: (any TrainingObjective)? = nil, dataParallel: DataParallel? = nil) {
    self.config = config
    codec = model
    self.training = training
    self.validation = validation
    self.objective = objective ?? RDLoss(lambda: config.lambda)
    self.dataParallel = dataParallel
    plateau = PlateauSchedule(learningRate: config.learningRate, factor: config.plateauFactor,
                              patience: config.plateauPatience)
  }

  public var model: any Module { codec }
  public var configuration: RDTrainingConfig { config }
  public var trainedParameters: [Tensor] { codec.mainParameters }
  public var optimizer: OptimizerSettings { .adam(learningRate: config.learningRate) }
  public var auxiliaryParameters: [Tensor] { codec.auxiliaryParameters }
  public var auxiliaryOptimizer: OptimizerSettings? { .adam(learningRate: config.auxiliaryLearningRate) }
  public var totalSteps: Int { config.steps }
  public var stepsPerEpoch: Int? { nil }
  public var checkpointEvery: Int { config.checkpointEvery }
  public var clipNorm: Double { config.clipNorm }
  public var validateEvery: Int? { config.validateEvery }
  public var averageDecay: Double? { config.emaDecay }
  public var autocast: DType? { config.bfloat16Autocast == true ? .bfloat16 : nil }
  public var logHeader: String { "step,loss,mse,bpp,psnr,aux_loss,learning_rate,val_bpp,val_psnr,val_loss" }

  public func canResume(from saved: RDTrainingConfig) -> Bool {
    var comparable = saved
    comparable.steps = config.steps  // extending a run is allowed
    return comparable == config
  }

  public func learningRate(at step: Int) -> Double { plateau.learningRate * config.milestoneFactor(at: step) }

  public func batches(for steps: Range<Int>) -> BatchFeed<Tensor> {
    var iterator = steps.makeIterator()
    return BatchFeed(next: { [self] in
      guard let step = iterator.next() else { return nil }
      var rng = SplitMix64(seed: config.seed, stream: 1, step: step)
      return try training.randomBatch(size: config.batchSize, crop: config.cropSize, using: &rng,
                                      shard: dataParallel?.shard ?? .whole)
    })
  }

  public func loss(of x: Tensor, step: Int) throws -> StepLoss {
    var seeds = SplitMix64(seed: config.seed, stream: 2, step: step)
    let noiseSeed = seeds.next()
    var firstTerms: RDLoss.Terms?
    return StepLoss(
      evaluate: { [self] in
        let noise = try Generator(seed: noiseSeed)
        let rateNoise = dataParallel.map { QuantizationMode.shardedNoise(noise, $0.shard) } ?? .noise(noise)
        let quantization = config.roundsDecoderInputs == true ? .roundedForDecoder(rateNoise) : rateNoise
        let terms = try objective.terms(model: codec, batch: x, quantization: quantization)
        if firstTerms == nil { firstTerms = terms }
        return terms.loss
      },
      statistics: {
        guard let terms = firstTerms else { return [0, 0] }
        return [try terms.mse.item(), try terms.bpp.item()]
      })
  }

  public func auxiliaryLoss() throws -> Tensor { try codec.auxiliaryLoss() }

  /// Validates (the trainer puts the averaged weights in with `emaDecay`) and lets the plateau
  /// schedule see the loss.
  public func validate(step: Int) throws -> [Double] {
    let v = try validateCurrentWeights(step: step)
    plateau.record(v.loss)
    return [v.bpp, v.psnr, v.loss]
  }

  /// Mean estimated bpp, PSNR and loss on the validation images (eval-mode rounding).
  /// Distributed: rank r validates images r, r + W, ... and the totals are summed.
  func validateCurrentWeights(step: Int) throws -> (bpp: Double, psnr: Double, loss: Double) {
    guard !validation.images.isEmpty else { return (0, 0, 0) }
    codec.setTraining(false)
    defer { codec.setTraining(true) }
    var (bpp, mse) = try validation.validationTotals(of: codec, shard: dataParallel?.shard ?? .whole)
    if let dataParallel {
      let totals = try dataParallel.sum([bpp, mse], step: step, what: "validation")
      (bpp, mse) = (totals[0], totals[1])
    }
    let count = Double(validation.images.count)
    let meanMSE = mse / count, meanBPP = bpp / count
    return (meanBPP, psnr(mse: meanMSE), config.lambda * 255 * 255 * meanMSE + meanBPP)
  }

  public func report(_ s: TrainingStep) -> TrainingProgress {
    TrainingProgress(
      step: s.step, totalSteps: s.totalSteps, loss: s.loss, mse: s.statistics[0], bpp: s.statistics[1],
      auxiliaryLoss: s.statistics[2], learningRate: s.learningRate, stepsPerSecond: s.stepsPerSecond,
      validation: s.validation.map { ($0[0], $0[1], $0[2]) })
  }

  public func logFields(_ p: TrainingProgress) -> [String] {
    let v = p.validation
    return [String(p.step), String(p.loss), String(p.mse), String(p.bpp), String(p.psnr), String(p.auxiliaryLoss),
            String(p.learningRate), v.map { String($0.bpp) } ?? "", v.map { String($0.psnr) } ?? "",
            v.map { String($0.loss) } ?? ""]
  }

  public func checkpointError(_ message: String, source: URL) -> Error {
    CodecError.invalidModel("\(source.path): \(message)")
  }

  public func divergenceError(_ message: String) -> Error { TorchError(.value, message) }

  public func runEnded(runDirectory: URL) throws {
    try? TrainingPlot.write(log: runDirectory.appendingPathComponent("log.csv"),
                            to: runDirectory.appendingPathComponent("curves.svg"))
  }
}

/// Trains a codec (`RDTask` on the one `Trainer`).
public typealias RDTrainer = Trainer<RDTask>

extension Trainer where Task == RDTask {
  /// - Parameter objective: the loss; nil means the plain RD loss at `config.lambda`.
  public convenience init(config: RDTrainingConfig, model: any CompressionModel, training: ImageSet, validation: ImageSet,
                          runDirectory: URL, objective: (any TrainingObjective)? = nil,
                          dataParallel: DataParallel? = nil) throws {
    try self.init(task: RDTask(config: config, model: model, training: training, validation: validation,
                               objective: objective, dataParallel: dataParallel),
                  runDirectory: runDirectory, dataParallel: dataParallel)
  }

  public var config: RDTrainingConfig { task.config }
  public var model: any CompressionModel { task.codec }
  /// Where the run's starting weights came from; kept in the checkpoint.
  public var lineage: [String: String] {
    get { task.lineage }
    set { task.lineage = newValue }
  }
  /// The main (non-auxiliary) optimizer, so callers can freeze individual weights with masks.
  public var mainOptimizer: any Optimizer { parameterOptimizer }

  /// Mean estimated bpp, PSNR and loss on the validation images (the averaged weights with `emaDecay`).
  public func validate() throws -> (bpp: Double, psnr: Double, loss: Double) {
    try withAveragedWeights { try task.validateCurrentWeights(step: step) }
  }

  /// Validation of the weights in the model now (raw, not averaged).
  func validateCurrentWeights() throws -> (bpp: Double, psnr: Double, loss: Double) {
    try task.validateCurrentWeights(step: step)
  }
}
