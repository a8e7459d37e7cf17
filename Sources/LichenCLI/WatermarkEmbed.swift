import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

extension Watermark {
  /// `lichen watermark embed`: train (or fine-tune) a classifier while inserting a mark.
  struct Embed: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a classifier from scratch (or fine-tune one) while inserting a watermark (WaterMAS or a baseline).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var training: ClassifierTrainingOptions
    @OptionGroup var distributed: DistributedOptions
    @OptionGroup var mark: EmbeddingOptions
    @Option(help: "Fine-tune this classifier file instead of training from scratch.") var initFrom: String?

    func run() throws {
      let payload = try mark.payload()
      let session = try training.makeSession(dataParallel: try distributed.connect())
      try mark.embed(payload, into: session.trainer, seed: session.trainer.config.seed, resumed: session.resumed,
                     initFrom: initFrom) { metadata in
        let evaluation = try training.train(session, extraMetadata: metadata)
        return (session.trainer.step == session.trainer.totalSteps,
                evaluation.map { String(format: "test accuracy %.2f%%", 100 * $0.accuracy) })
      }
    }
  }
}
