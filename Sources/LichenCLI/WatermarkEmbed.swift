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
      try WatermarkInsertion.embedWhileTraining(
        session.trainer, payload: payload, method: method, settings: try insertion.settings(),
        seed: session.trainer.config.seed, resumed: session.resumed,
        beforeMarking: { if let initFrom { try loadInitialWeights(initFrom, into: session.trainer.model) } },
        log: primarySay(session.trainer.isPrimary)
      ) { metadata in
        let evaluation = try session.train(options: training, extraMetadata: metadata)
        return (session.trainer.step == session.trainer.totalSteps,
                evaluation.map { String(format: "test accuracy %.2f%%", 100 * $0.accuracy) })
      }
    }
  }
}
