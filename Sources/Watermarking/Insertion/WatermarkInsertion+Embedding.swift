import Foundation
import Torch

extension WatermarkInsertion {
  /// What every training command that inserts a mark does around its training (`watermark embed`,
  /// `segment embed`, codec `train` / `distill` with `--watermark-*`): draw the key (or, resumed, read it back)
  /// and write the payload into the model, install the method's step on the trainer, train, then store the
  /// trained channels' signatures in the key, record the measured cost and check the mark.
  /// - Parameters:
  ///   - beforeMarking: runs before the payload is written (loading the weights a fine-tune starts from).
  ///   - log: progress lines (the primary rank's).
  ///   - train: trains to the end given the model file's watermark metadata; says whether the run finished
  ///     and, optionally, a summary of the task metric for the last line.
  /// - Returns: whether the run finished.
  @discardableResult
  public static func embedWhileTraining(
    _ trainer: some MarkableTraining, payload: [Bool], method: WatermarkMethod, settings: InsertionSettings, seed: UInt64,
    resumed: Bool, beforeMarking: () throws -> Void = {}, log: (String) -> Void,
    train: (_ metadata: [String: String]) throws -> (finished: Bool, summary: String?)
  ) throws -> Bool {
    let model = trainer.markedModel
    let keyURL = trainer.runDirectory.appendingPathComponent("key.json")
    let key = try Self.key(for: payload, method: method, settings: settings, training: trainer, resumed: resumed,
                           beforeMarking: beforeMarking)
    let step = try WatermarkInsertion(method: method, settings: settings, key: key, training: trainer, seed: seed)
    if trainer.isPrimary {
      log("watermark: \(step.description), \(key.positions.count) weights in \(Set(key.positions.map(\.layer)).count) layers; "
        + "key -> \(keyURL.path) (keep it secret)")
    }
    let (finished, summary) = try train(
      [MetadataKey.watermark: "\(step.description) \(settings.strength) code=\(key.code)", MetadataKey.watermarkMethod: method.rawValue])
    guard trainer.isPrimary, finished else { return finished }
    // The trained channels' sign signatures go into the key: they let the owner's detector find the
    // channels again after a function-preserving permutation and rescaling.
    var signed = key
    let signatures = try ChannelPermutation.signatures(of: model, seed: key.seed)
    if !signatures.isEmpty {
      signed.alignment = signatures
      try signed.write(to: keyURL)
    }
    let cost = try step.recordCost(runDirectory: trainer.runDirectory, resumed: resumed)
    log("cost: " + cost.summary + " -> \(trainer.runDirectory.appendingPathComponent(TrainingCost.fileName).path)")
    let check = try Extractor.extract(from: model, key: key, expected: payload)
    // With a hinge, how often it let the sharpness term act (the rest of the run it was off).
    let hinge = settings.sharpnessTarget == nil ? nil : try step.sharpenedSteps()
    log(String(format: "watermark: BER %.4f, false-positive probability %.3g%@%@%@",
               check.bitErrorRate ?? 1, check.falsePositiveProbability ?? 1,
               step.last.map { String(format: ", %@ %.4f", $0.name, $0.value) } ?? "",
               hinge.map { ", sharpened on \($0.sharpened) of \($0.steps) steps" } ?? "", summary.map { ", " + $0 } ?? ""))
    return true
  }
}
