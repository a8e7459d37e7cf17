import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

extension CamVid.Split: ExpressibleByArgument {}

/// `lichen segment`: DeepLabV3 on CamVid, plain or carrying a watermark.
struct Segment: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train and evaluate DeepLabV3 (ResNet backbone, ASPP) on CamVid; train one with a watermark (`embed`; attack and evaluate it with `lichen watermark attack|evaluate`).",
    subcommands: [SegmentTrain.self, SegmentEval.self, SegmentEmbed.self])
}

/// `lichen segment train`: one run folder with checkpoint, log.csv, model.safetensors and eval.json.
struct SegmentTrain: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Train DeepLabV3 on CamVid (SGD/AdamW, poly/cosine, checkpoint/resume, mIoU).")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var options: SegmentationTrainingOptions
  @OptionGroup var distributed: DistributedOptions

  func run() throws {
    try options.train(options.makeSession(dataParallel: try distributed.connect()))
  }
}

/// `lichen segment embed`: train DeepLabV3 while inserting a watermark (every `--method`).
struct SegmentEmbed: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Train DeepLabV3 on CamVid from scratch (or fine-tune one) while inserting a watermark (WaterMAS or a baseline).")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var training: SegmentationTrainingOptions
  @OptionGroup var mark: EmbeddingOptions
  @Option(help: "Fine-tune this segmentation model file instead of training from scratch.") var initFrom: String?

  func run() throws {
    let payload = try mark.payload()
    let session = try training.makeSession()
    try mark.embed(payload, into: session.trainer, seed: session.trainer.config.seed, resumed: session.resumed,
                   initFrom: initFrom) { metadata in
      let evaluation = try training.train(session, extraMetadata: metadata)
      return (session.trainer.step == session.trainer.totalSteps,
              evaluation.map { String(format: "test mIoU %.2f%%", 100 * $0.meanIoU) })
    }
  }
}

/// `lichen segment eval`: mIoU, per-class IoU, pixel accuracy of a model file on a CamVid split.
struct SegmentEval: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a trained DeepLabV3 on CamVid.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "A model.safetensors written by `lichen segment train` or `embed`.") var modelFile: String
  @Option(help: "CamVid folder.") var data = CamVid.defaultDirectory.path
  @Option(help: "train | val | test.") var split: CamVid.Split = .test
  @Option(help: "Evaluate on only the first N images.") var limit: Int?
  @Option(help: "Batch size.") var batchSize = 16
  @Option(help: "Write the evaluation (mIoU, per-class IoU, pixel accuracy, confusion matrix) here.") var json: String?

  func run() throws {
    guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    let file = try SegmentationFile.load(from: URL(fileURLWithPath: modelFile))
    let images = try CamVid.load(directory: URL(fileURLWithPath: data), split: split, limit: limit)
    guard file.accepts(images) else {
      throw ValidationError("CamVid does not match the model's input channels or classes")
    }
    let (evaluation, summary) = try file.evaluate(on: images, split: split, batchSize: batchSize)
    say(summary)
    say(evaluation.text)
    try writeFile(json, log: say) { try evaluation.write(to: $0) }
  }
}
