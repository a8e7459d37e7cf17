import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

extension Watermark {
  /// `lichen watermark embed`: train (or fine-tune) a classifier while inserting a mark.
  struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a classifier from scratch (or fine-tune one) while inserting a watermark (WaterMAS or a baseline).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var training: ClassifierTrainingOptions
    @OptionGroup var distributed: DistributedOptions
    @Option(help: "Payload as UTF-8 text.") var message: String?
    @Option(help: "Payload as a string of 0/1.") var bits: String?
    @Option(help: "watermas | substitution (no sharpening) | replicas (Tartaglione et al. 2020) | laplacian (Tondi et al. 2024).")
    var method: WatermarkMethod = .watermas
    @OptionGroup var insertion: WatermarkInsertionOptions
    @Option(help: "Fine-tune this classifier file instead of training from scratch.") var initFrom: String?

    func run() throws {
      try global.apply()
      let payload = try payloadBits(message: message, bits: bits)
      let session = try training.makeSession(dataParallel: try distributed.connect())
      try embedWhileTraining(
        session.trainer, seed: session.trainer.config.seed, resumed: session.resumed, payload: payload, method: method,
        insertion: insertion, initFrom: initFrom
      ) { metadata in
        let evaluation = try session.train(options: training, extraMetadata: metadata)
        return (session.trainer.step == session.trainer.totalSteps,
                evaluation.map { String(format: "test accuracy %.2f%%", 100 * $0.accuracy) })
      }
    }
  }
}

/// What `watermark embed` and `segment embed` do around the task's training:
/// draw (or, resumed, read) the key and write the payload into the model
/// (after loading `initFrom` when fine-tuning), install the method's step,
/// train through `train` (given the model file's watermark metadata; it says
/// whether the run finished and how the test metric came out), then record
/// the cost and check the mark.
func embedWhileTraining(
  _ trainer: some MarkableTraining, seed: UInt64, resumed: Bool, payload: [Bool], method: WatermarkMethod,
  insertion: WatermarkInsertionOptions, initFrom: String?,
  train: (_ metadata: [String: String]) throws -> (finished: Bool, summary: String?)
) throws {
  let model = trainer.markedModel
  let settings = try insertion.settings()
  let key = try WatermarkInsertion.key(for: payload, method: method, settings: settings, training: trainer, resumed: resumed) {
    if let initFrom { try loadInitialWeights(initFrom, into: model) }
  }
  let step = try WatermarkInsertion(method: method, settings: settings, key: key, training: trainer, seed: seed)
  if trainer.isPrimary {
    say("method \(step.description); key: \(key.positions.count) weights in \(Set(key.positions.map(\.layer)).count) layers -> "
      + "\(trainer.runDirectory.appendingPathComponent("key.json").path) (keep it secret)")
  }
  let (finished, summary) = try train(
    [MetadataKey.watermark: "\(step.description) \(settings.strength) code=\(key.code)", MetadataKey.watermarkMethod: method.rawValue])
  guard trainer.isPrimary, finished else { return }
  // The trained channels' sign signatures go into the key: they let the owner's detector find the
  // channels again after a function-preserving permutation and rescaling.
  var signed = key
  let signatures = try ChannelPermutation.signatures(of: model, seed: key.seed)
  if !signatures.isEmpty {
    signed.alignment = signatures
    try signed.write(to: trainer.runDirectory.appendingPathComponent("key.json"))
  }
  let cost = try step.recordCost(runDirectory: trainer.runDirectory, resumed: resumed)
  say("cost: " + cost.summary + " -> \(trainer.runDirectory.appendingPathComponent(TrainingCost.fileName).path)")
  let check = try Extractor.extract(from: model, key: key, expected: payload)
  say(String(format: "watermark: BER %.4f, false-positive probability %.3g%@%@",
             check.bitErrorRate ?? 1, check.falsePositiveProbability ?? 1,
             step.last.map { String(format: ", %@ %.4f", $0.name, $0.value) } ?? "",
             summary.map { ", " + $0 } ?? ""))
}
