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

/// Trains a codec on the RD loss with Adam (main) + Adam (quantiles), gradient
/// clipping, plateau decay on validation loss, CSV log, SVG curves and atomic
/// checkpoints. Resuming continues exactly: batches and noise are drawn from
/// generators re-seeded from (seed, step), and optimizer state is restored.
///
/// With a `DataParallel` each rank trains on its shard of every global batch
/// (`config.batchSize` crops per rank, and the noise one process would draw
/// for them), gradients of both optimizers are averaged before their steps,
/// validation images are split between the ranks and their totals summed,
/// and only rank 0 logs, reports progress and checkpoints.
public final class RDTrainer {
  public let config: RDTrainingConfig
  public let model: any CompressionModel
  public let runDirectory: URL
  let training: ImageSet
  let validation: ImageSet
  let main: Adam
  let auxiliary: Adam
  var plateau: PlateauSchedule
  let objective: any TrainingObjective
  public internal(set) var step = 0
  /// The data-parallel group this trainer is one rank of, or nil.
  public let dataParallel: DataParallel?
  /// Whether this process writes checkpoints, logs and progress (rank 0, or not distributed).
  public var isPrimary: Bool { dataParallel?.isPrimary ?? true }
  /// Replaces the plain backward pass of the main loss (e.g. WaterMAS's
  /// two-pass sharpness step): receives the loss closure (each call draws
  /// the step's same noise), must leave gradients in `.grad` and return the
  /// loss value. nil: `loss().backward()`.
  public var backward: ((_ loss: () throws -> Tensor) throws -> Double)?
  /// Where the run's starting weights came from (e.g. `init`, `init_steps`):
  /// kept in the checkpoint, so a resumed run still records its history.
  public var lineage: [String: String] = [:]
  /// The moving averages of the main weights by name (empty until the first step, or without `emaDecay`).
  var averages: [(name: String, tensor: Tensor)] = []
  /// The main (non-auxiliary) optimizer, so callers can freeze individual weights with masks.
  public var mainOptimizer: any Optimizer { main }

  public var checkpointURL: URL { runDirectory.appendingPathComponent("checkpoint.safetensors") }
  public var logURL: URL { runDirectory.appendingPathComponent("log.csv") }

  /// - Parameter objective: the loss; nil means the plain RD loss at `config.lambda`.
  public init(config: RDTrainingConfig, model: any CompressionModel, training: ImageSet, validation: ImageSet,
              runDirectory: URL, objective: (any TrainingObjective)? = nil, dataParallel: DataParallel? = nil) throws {
    self.config = config
    self.dataParallel = dataParallel
    self.objective = objective ?? RDLoss(lambda: config.lambda)
    self.model = model
    self.training = training
    self.validation = validation
    self.runDirectory = runDirectory
    main = Adam(model.mainParameters, learningRate: config.learningRate)
    auxiliary = Adam(model.auxiliaryParameters, learningRate: config.auxiliaryLearningRate)
    plateau = PlateauSchedule(learningRate: config.learningRate, factor: config.plateauFactor,
                              patience: config.plateauPatience)
    try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
  }

  /// One optimisation step on batch `x`; returns (loss, mse, bpp, aux), averaged over the
  /// ranks when distributed, and whether any rank asked to stop.
  func trainStep(_ x: Tensor, noiseSeed: UInt64, stopRequested: Bool = false)
    throws -> (loss: Double, mse: Double, bpp: Double, aux: Double, stop: Bool)
  {
    try main.zeroGrad()
    try auxiliary.zeroGrad()
    var firstTerms: RDLoss.Terms?
    let lossOfBatch = { () throws -> Tensor in
      let noise = try Generator(seed: noiseSeed)
      let rateNoise = self.dataParallel.map { QuantizationMode.shardedNoise(noise, $0.shard) } ?? .noise(noise)
      let quantization = self.config.roundsDecoderInputs == true ? .roundedForDecoder(rateNoise) : rateNoise
      let terms = try withAutocast(self.config.bfloat16Autocast == true ? .bfloat16 : nil) {
        try self.objective.terms(model: self.model, batch: x, quantization: quantization)
      }
      if firstTerms == nil { firstTerms = terms }
      return terms.loss
    }
    let value: Double
    if let backward {
      value = try backward(lossOfBatch)
    } else {
      let loss = try lossOfBatch()
      value = try loss.item()
      if value.isFinite { try loss.backward() }
    }
    guard value.isFinite, let terms = firstTerms else {
      throw TorchError(.value, "loss is not finite (\(value)) at step \(step)")
    }
    var statistics = [value, try terms.mse.item(), try terms.bpp.item(), stopRequested ? 1 : 0]
    if let dataParallel {
      statistics = try dataParallel.averageGradients(model.mainParameters, statistics: statistics, step: step)
    }
    if config.clipNorm > 0 { try clipGradientNorm(model.mainParameters, maxNorm: config.clipNorm) }
    try main.step()
    try updateAverages()
    let aux = try model.auxiliaryLoss()
    try aux.backward()
    // The auxiliary loss depends on the weights only, equal on every rank; averaging keeps the
    // ranks identical even when their thread counts (and so their float rounding) differ.
    try dataParallel?.averageGradients(model.auxiliaryParameters, step: step)
    try auxiliary.step()
    return (statistics[0], statistics[1], statistics[2], try aux.item(), statistics[3] > 0)
  }

  /// Mean estimated bpp, PSNR and loss on the validation images (eval-mode rounding).
  /// Distributed: rank r validates images r, r + W, ... and the totals are summed.
  /// With `emaDecay`, the averaged weights are the ones validated (they are the ones saved).
  public func validate() throws -> (bpp: Double, psnr: Double, loss: Double) {
    try withAveragedWeights(validateCurrentWeights)
  }

  func validateCurrentWeights() throws -> (bpp: Double, psnr: Double, loss: Double) {
    guard !validation.images.isEmpty else { return (0, 0, 0) }
    model.setTraining(false)
    defer { model.setTraining(true) }
    var bpp = 0.0, mse = 0.0
    let factor = model.downsamplingFactor
    let shard = dataParallel?.shard ?? .whole
    try withNoGrad {
      for (index, image) in validation.images.enumerated() where index % shard.count == shard.index {
        let w = image.width / factor * factor, h = image.height / factor * factor
        guard w > 0, h > 0 else { continue }
        let x = try image.tensor().narrow(2, start: 0, length: h).narrow(3, start: 0, length: w)
        let result = try model.forward(x, mode: .dequantize)
        bpp += try result.bitsPerPixel(pixels: w * h).item()
        mse += try Loss.mse(result.reconstruction.clamp(min: 0, max: 1), x).item()
      }
    }
    if let dataParallel {
      let totals = try dataParallel.sum([bpp, mse], step: step, what: "validation")
      (bpp, mse) = (totals[0], totals[1])
    }
    let count = Double(validation.images.count)
    let meanMSE = mse / count, meanBPP = bpp / count
    return (meanBPP, psnr(mse: meanMSE), config.lambda * 255 * 255 * meanMSE + meanBPP)
  }

  /// Trains until `config.steps` or until `shouldStop` returns true (then checkpoints).
  public func run(progress: (TrainingProgress) -> Void, shouldStop: () -> Bool = { false }) throws {
    model.setTraining(true)
    try dataParallel?.broadcastState(of: model)
    let start = Date()
    let firstStep = step
    var stopAgreed = false
    while step < config.steps, !stopAgreed {
      // Distributed ranks learn of a stop request inside the step's all-reduce, so all stop after the same step.
      if dataParallel == nil, shouldStop() { break }
      var rng = SplitMix64(seed: config.seed, stream: 1, step: step)
      let batch = try training.randomBatch(
        size: config.batchSize, crop: config.cropSize, using: &rng, shard: dataParallel?.shard ?? .whole)
      var noiseSeed = SplitMix64(seed: config.seed, stream: 2, step: step)
      let learningRate = plateau.learningRate * config.milestoneFactor(at: step)
      main.setLearningRate(learningRate)
      let (loss, mse, bpp, aux, stop) = try trainStep(
        batch, noiseSeed: noiseSeed.next(), stopRequested: dataParallel != nil && shouldStop())
      stopAgreed = stop
      step += 1
      var report = TrainingProgress(
        step: step, totalSteps: config.steps, loss: loss, mse: mse, bpp: bpp, auxiliaryLoss: aux,
        learningRate: learningRate,
        stepsPerSecond: Double(step - firstStep) / Swift.max(1e-9, Date().timeIntervalSince(start)), validation: nil)
      if step % config.validateEvery == 0 || step == config.steps {
        let v = try validate()
        plateau.record(v.loss)
        report.validation = v
      }
      guard isPrimary else { continue }
      try appendLog(report)
      progress(report)
      if step % config.checkpointEvery == 0 || step == config.steps { try saveCheckpoint() }
    }
    guard isPrimary else { return }
    if step < config.steps { try saveCheckpoint() }
    try? TrainingPlot.write(log: logURL, to: runDirectory.appendingPathComponent("curves.svg"))
  }

  /// The run's `log.csv`.
  var log: TrainingLog {
    TrainingLog(url: logURL, header: "step,loss,mse,bpp,psnr,aux_loss,learning_rate,val_bpp,val_psnr,val_loss")
  }

  func appendLog(_ p: TrainingProgress) throws {
    let v = p.validation
    try log.append([String(p.step), String(p.loss), String(p.mse), String(p.bpp), String(p.psnr), String(p.auxiliaryLoss),
                    String(p.learningRate), v.map { String($0.bpp) } ?? "", v.map { String($0.psnr) } ?? "",
                    v.map { String($0.loss) } ?? ""])
  }

}
