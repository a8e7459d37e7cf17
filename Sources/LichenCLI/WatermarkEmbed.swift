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
      let trainer = session.trainer
      let model = trainer.model
      let key = try insertion.key(for: payload, method: method, session: session) {
        if let initFrom {
          let file = try SafeTensors.read(from: URL(fileURLWithPath: initFrom))
          try model.load(stateDict: file.tensors)
          say("fine-tuning from \(initFrom)")
        }
      }
      let step = try WatermarkInsertion(method: method, options: insertion, key: key, trainer: trainer)
      if trainer.isPrimary { say("method \(step.description); key: \(key.positions.count) weights in \(Set(key.positions.map(\.layer)).count) layers -> "
        + "\(session.runURL.appendingPathComponent("key.json").path) (keep it secret)") }
      let evaluation = try session.train(
        options: training,
        extraMetadata: ["watermark": "\(step.description) alpha=\(insertion.alpha) code=\(key.code)",
                        "watermark-method": method.rawValue])
      guard trainer.isPrimary, trainer.step == trainer.totalSteps else { return }
      let cost = try step.recordCost(in: session)
      say("cost: " + costSummary(cost) + " -> \(session.runURL.appendingPathComponent(TrainingCost.fileName).path)")
      let check = try Extractor.extract(from: model, key: key, expected: payload)
      say(String(format: "watermark: BER %.4f, false-positive probability %.3g%@%@",
                 check.bitErrorRate ?? 1, check.falsePositiveProbability ?? 1,
                 step.last.map { String(format: ", %@ %.4f", $0.name, $0.value) } ?? "",
                 evaluation.map { String(format: ", test accuracy %.2f%%", 100 * $0.accuracy) } ?? ""))
    }
  }
}
