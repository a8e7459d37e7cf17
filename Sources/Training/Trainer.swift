import Foundation
import Torch

/// The one training engine: runs a `TrainingTask` step by step with its
/// optimizer and learning rate, gradient clipping, the backward hook,
/// data parallelism, `log.csv`, atomic checkpoints and exact resume.
///
/// With a `DataParallel` each rank trains on its shard of every global batch
/// and gradients (and the reported statistics) are averaged before the
/// optimizer step; a stop request travels in the same all-reduce, so every
/// rank stops after the same step. Only rank 0 logs, reports progress and
/// checkpoints.
public final class Trainer<Task: TrainingTask> {
  public let task: Task
  public let runDirectory: URL
  public internal(set) var step = 0
  let optimizer: any Optimizer
  /// The auxiliary optimizer (`TrainingTask.auxiliaryOptimizer`), or nil.
  let auxiliary: (any Optimizer)?
  /// The data-parallel group this trainer is one rank of, or nil.
  public let dataParallel: DataParallel?
  /// Replaces the plain backward pass (e.g. WaterMAS's two-pass sharpness step): receives the
  /// loss closure, must leave gradients in `.grad` and return the loss value. nil: `loss().backward()`.
  public var backward: ((_ loss: () throws -> Tensor) throws -> Double)?

  /// Whether this process writes checkpoints, logs and progress (rank 0, or not distributed).
  public var isPrimary: Bool { dataParallel?.isPrimary ?? true }
  public var totalSteps: Int { task.totalSteps }
  /// The optimizer of the trained weights, so callers can freeze individual weights with masks.
  public var parameterOptimizer: any Optimizer { optimizer }
  public var checkpointURL: URL { runDirectory.appendingPathComponent("checkpoint.safetensors") }
  public var logURL: URL { runDirectory.appendingPathComponent("log.csv") }
  var log: TrainingLog { TrainingLog(url: logURL, header: task.logHeader) }
  /// `cpu.csv`: the run's CPU seconds at every validation and checkpoint step (`cpuSeconds`), so
  /// recipes compare by progress per CPU hour rather than per step.
  public var cpuLogURL: URL { runDirectory.appendingPathComponent("cpu.csv") }
  var cpuLog: TrainingLog { TrainingLog(url: cpuLogURL, header: "step,cpu_seconds") }
  /// CPU seconds (user + system, every thread of this process) spent in `run` over all of the run's
  /// invocations: restored from the checkpoint on resume. Other processes on the machine do not count.
  public internal(set) var cpuSeconds = 0.0

  /// The moving averages of the trained weights by name (empty until the first step, or
  /// without `TrainingTask.averageDecay`).
  public internal(set) var averages: [(name: String, tensor: Tensor)] = []
  /// Whether the run keeps a run folder (log.csv, checkpoints); false for `init(inMemory:)`.
  public let persists: Bool

  /// A trainer of `task` writing into `runDirectory` (created if needed).
  public init(task: Task, runDirectory: URL, dataParallel: DataParallel? = nil) throws {
    self.task = task
    self.runDirectory = runDirectory
    self.dataParallel = dataParallel
    persists = true
    optimizer = task.optimizer.make(task.trainedParameters)
    auxiliary = task.auxiliaryOptimizer.map { $0.make(task.auxiliaryParameters) }
    try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
  }

  /// A trainer that keeps nothing on disk (no log, no checkpoint): a short run such as an
  /// attacker's fine-tuning, whose result is the model itself.
  public init(inMemory task: Task) {
    self.task = task
    runDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-in-memory-run")
    dataParallel = nil
    persists = false
    optimizer = task.optimizer.make(task.trainedParameters)
    auxiliary = task.auxiliaryOptimizer.map { $0.make(task.auxiliaryParameters) }
  }

  /// One optimisation step; returns the loss and the task's statistics (averaged over the
  /// ranks) and whether any rank asked to stop.
  func trainStep(_ batch: Task.Batch, stopRequested: Bool = false) throws
    -> (loss: Double, statistics: [Double], stop: Bool)
  {
    optimizer.setLearningRate(task.learningRate(at: step))
    try optimizer.zeroGrad()
    try auxiliary?.zeroGrad()
    let stepLoss = try task.loss(of: batch, step: step)
    let evaluate: () throws -> Tensor
    if let precision = task.autocast {
      evaluate = { try withAutocast(precision) { try stepLoss.evaluate() } }
    } else {
      evaluate = stepLoss.evaluate
    }
    let value: Double
    if let backward {
      value = try backward(evaluate)
    } else {
      let loss = try evaluate()
      value = try loss.item()
      if value.isFinite { try loss.backward() }
    }
    guard value.isFinite else {
      throw task.divergenceError("loss is not finite (\(value)) at step \(step); lower the learning rate")
    }
    var statistics = [value] + (try stepLoss.statistics()) + [stopRequested ? 1 : 0]
    let parameters = task.trainedParameters
    if let dataParallel {
      statistics = try dataParallel.averageGradients(parameters, statistics: statistics, step: step)
    }
    if task.clipNorm > 0 { try clipGradientNorm(parameters, maxNorm: task.clipNorm) }
    try optimizer.step()
    try updateAverages()
    var after = try task.afterOptimizerStep(step: step)
    if let auxiliary {
      let loss = try task.auxiliaryLoss()
      try loss.backward()
      // The auxiliary loss depends on the weights only, equal on every rank; averaging keeps the
      // ranks identical even when their thread counts (and so their float rounding) differ.
      try dataParallel?.averageGradients(task.auxiliaryParameters, step: step)
      try auxiliary.step()
      after.append(try loss.item())
    }
    return (statistics[0], Array(statistics.dropFirst().dropLast()) + after, statistics.last! > 0)
  }

  /// Trains until `totalSteps` or until `shouldStop` returns true, then checkpoints.
  public func run(progress: (Task.Report) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws {
    let totalSteps = task.totalSteps
    defer { if isPrimary, persists { try? task.runEnded(runDirectory: runDirectory) } }
    guard step < totalSteps else { return }
    task.model.setTraining(true)
    try dataParallel?.broadcastState(of: task.model)
    let feed = task.batches(for: step..<totalSteps)
    defer { feed.cancel() }
    let start = Date()
    let (firstStep, cpuAtStart, cpuBefore) = (step, ProcessCPU.seconds(), cpuSeconds)
    var sums: [Double] = [], count = 0
    var stopAgreed = false
    let stepsPerEpoch = task.stepsPerEpoch
    while step < totalSteps, !stopAgreed, dataParallel != nil || !shouldStop() {
      guard let batch = try feed.next() else { break }
      let learningRate = task.learningRate(at: step)
      let (loss, statistics, stop) = try trainStep(batch, stopRequested: dataParallel != nil && shouldStop())
      stopAgreed = stop
      step += 1
      if let stepsPerEpoch, (step - 1) % stepsPerEpoch == 0 { (sums, count) = ([], 0) }
      let values = [loss] + statistics
      sums = sums.isEmpty ? values : zip(sums, values).map(+)
      count += 1
      var validation: [Double]?
      if let every = task.validateEvery, step % every == 0 || step == totalSteps {
        validation = try withAveragedWeights { try task.validate(step: step) }
      }
      let means = sums.map { $0 / Double(count) }
      let report = task.report(TrainingStep(
        step: step, totalSteps: totalSteps, epoch: stepsPerEpoch.map { (step - 1) / $0 + 1 },
        epochs: stepsPerEpoch.map { (totalSteps + $0 - 1) / $0 }, loss: loss, statistics: statistics,
        meanLoss: means[0], meanStatistics: Array(means.dropFirst()), learningRate: learningRate,
        stepsPerSecond: Double(step - firstStep) / Swift.max(1e-9, Date().timeIntervalSince(start)),
        validation: validation))
      cpuSeconds = cpuBefore + ProcessCPU.seconds() - cpuAtStart
      guard isPrimary else { continue }
      if persists { try log.append(task.logFields(report)) }
      progress(report)
      let checkpoint = step % task.checkpointEvery == 0 || step == totalSteps
      if persists, checkpoint || validation != nil { try cpuLog.append([String(step), String(format: "%.1f", cpuSeconds)]) }
      if persists, checkpoint { try saveCheckpoint() }
    }
    if step < totalSteps, isPrimary, persists { try saveCheckpoint() }
  }
}
