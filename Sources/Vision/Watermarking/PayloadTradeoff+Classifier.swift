import Foundation
import Torch
import Watermarking

extension PayloadTradeoff {
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
