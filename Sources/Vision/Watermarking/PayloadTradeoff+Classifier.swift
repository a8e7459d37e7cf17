import Foundation
import Torch
import Watermarking

extension PayloadTradeoff {
  /// `sweep(_:root:resume:log:shouldStop:train:attackTask:)` on classifiers: every run (the reference and each
  /// method and payload size) trains in its own folder under `root` with the shared budget (`train(_:name:...)`),
  /// and every marked model is attacked on the test split of `data` (`ClassifierAttackTask`).
  /// - Parameters:
  ///   - settings: how marks are made and inserted.
  ///   - data: the dataset's folder; nil: its usual place.
  ///   - evaluationLimit: evaluate and attack on only the first test images.
  ///   - open: the run in the folder it is given (resumed when the sweep resumes and it holds a checkpoint).
  ///   - progress: one line per step; `log`: summaries.
  ///   - shouldStop: polled between steps; the trainer checkpoints and the sweep returns when it says so.
  /// - Throws: what `sweep` and `train` throw.
  /// - Returns: the sweep's report, or nil when it stopped before its end (what was measured is in `root`).
  public static func sweepClassifiers(
    _ plan: SweepPlan, root: URL, resume: Bool, settings: InsertionSettings, data: URL?, evaluationLimit: Int?,
    open: (_ runDirectory: URL) throws -> ClassifierRun, progress: (String) -> Void, log: (String) -> Void,
    shouldStop: () -> Bool
  ) throws -> PayloadTradeoff? {
    try sweep(plan, root: root, resume: resume, log: log, shouldStop: shouldStop, train: { name, mark in
      try train(try open(root.appendingPathComponent(name)), name: name, mark: mark, settings: settings,
                largestPayload: mark == nil ? plan.payloads.max() : nil, evaluationLimit: evaluationLimit,
                progress: progress, log: log, shouldStop: shouldStop)
    }, attackTask: { url in
      try ClassifierAttackTask(modelFile: url, data: data, evalLimit: evaluationLimit, seed: plan.attackSeed)
    })
  }

  /// Trains one classifier run of a payload sweep in `run`'s folder: the unmarked reference when `mark` is nil,
  /// else a model carrying `mark.payload` inserted with `mark.method`; then records the measured cost.
  /// - Parameters:
  ///   - name: the run's name in the log lines.
  ///   - settings: how marks are made and inserted.
  ///   - largestPayload: the reference refuses, before it trains, a payload size its model cannot hold.
  ///   - evaluationLimit: evaluate on only the first test images.
  ///   - progress: one line per step; `log`: summaries.
  ///   - shouldStop: polled between steps; the trainer checkpoints and returns when it says so.
  /// - Throws: `WatermarkError` when the model cannot hold the payload, and what training throws.
  /// - Returns: the run, or nil when it stopped before its last step.
  public static func train(
    _ run: ClassifierRun, name: String, mark: (method: WatermarkMethod, payload: [Bool])?, settings: InsertionSettings,
    largestPayload: Int?, evaluationLimit: Int?, progress: (String) -> Void, log: (String) -> Void,
    shouldStop: () -> Bool
  ) throws -> TrainedRun? {
    let trainer = run.trainer
    let step: WatermarkInsertion
    var key: WatermarkKey?
    var metadata: [String: String] = [:]
    if let (method, payload) = mark.map({ ($0.method, $0.payload) }) {
      let k = try WatermarkInsertion.key(for: payload, method: method, settings: settings, training: trainer,
                                         resumed: run.resumed)
      step = try WatermarkInsertion(method: method, settings: settings, key: k, training: trainer,
                                    seed: trainer.config.seed)
      metadata = [MetadataKey.watermark: "\(step.description) \(settings.strength) code=\(k.code)",
                  MetadataKey.watermarkMethod: method.rawValue]
      key = k
      log("\(name): method \(step.description), \(payload.count) payload bits in \(k.positions.count) weights")
    } else {
      // Refuse a payload the model cannot hold now rather than after the reference's training.
      if let largestPayload {
        _ = try KeyGenerator.generate(for: trainer.model, payloadBits: largestPayload, code: settings.code,
                                      seed: settings.keySeed, alpha: settings.alpha)
      }
      step = WatermarkInsertion(unmarked: trainer)
      log("\(name): reference without a mark")
    }
    let evaluation = try run.train(evaluationLimit: evaluationLimit, metadata: metadata, progress: progress, log: log,
                                   shouldStop: shouldStop)
    let cost = try step.recordCost(runDirectory: trainer.runDirectory, resumed: run.resumed)
    log("\(name) cost: " + cost.summary)
    guard trainer.step >= trainer.totalSteps else { return nil }
    return TrainedRun(modelURL: trainer.runDirectory.appendingPathComponent("model.safetensors"),
                      accuracy: evaluation?.accuracy, cost: cost, key: key)
  }
}
