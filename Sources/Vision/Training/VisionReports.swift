import Foundation
import Torch
import Training

extension ClassifierTrainingProgress: ProgressLine {
  /// "epoch 3/30  step 1200/11730  loss 0.8123  acc 71.2%  lr 9.70e-02  4.10 steps/s  eta 42m48s".
  public var line: String {
    String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.1f%%  lr %.2e  %.2f steps/s  eta %@", epoch, epochs, step,
           totalSteps, epochLoss, 100 * epochAccuracy, learningRate, stepsPerSecond, formatDuration(etaSeconds))
  }
}

extension SegmentationTrainingProgress: ProgressLine {
  /// "epoch 3/30  step 120/1100  loss 0.9  pixel acc 71.2%  lr 9.70e-03  1.10 steps/s  eta 14m51s".
  public var line: String {
    String(format: "epoch %d/%d  step %d/%d  loss %.4f  pixel acc %.1f%%  lr %.2e  %.2f steps/s  eta %@", epoch, epochs, step,
           totalSteps, epochLoss, 100 * epochPixelAccuracy, learningRate, stepsPerSecond, formatDuration(etaSeconds))
  }
}

extension ClassifierEvaluation {
  /// Accuracy and loss, then one line per class.
  public var text: String {
    var lines = [String(format: "accuracy %.2f%%  loss %.4f  (%d images)", 100 * accuracy, loss, count)]
    for (name, accuracy) in zip(classNames, perClassAccuracy) {
      lines.append("  " + name.padding(toLength: 12, withPad: " ", startingAt: 0)
        + (accuracy.map { String(format: "%6.2f%%", 100 * $0) } ?? "     -"))
    }
    return lines.joined(separator: "\n")
  }

  /// Pretty, sorted JSON, written atomically.
  public func write(to url: URL) throws { try PrettyJSON.write(self, to: url) }
}

extension SegmentationEvaluation {
  /// mIoU, pixel accuracy and loss, then one line per class.
  public var text: String {
    var lines = [String(format: "mIoU %.2f%%  pixel accuracy %.2f%%  loss %.4f  (%d images, %d labelled pixels)",
                        100 * meanIoU, 100 * pixelAccuracy, loss, images, pixels)]
    for (name, iou) in zip(classNames, perClassIoU) {
      lines.append("  " + name.padding(toLength: 12, withPad: " ", startingAt: 0)
        + (iou.map { String(format: "%6.2f%%", 100 * $0) } ?? "     -"))
    }
    return lines.joined(separator: "\n")
  }

  /// Pretty, sorted JSON, written atomically.
  public func write(to url: URL) throws { try PrettyJSON.write(self, to: url) }
}


/// The end of a vision run folder: OUT/model.safetensors with the dataset and the seconds trained recorded,
/// then the evaluation of the saved model in OUT/eval.json. Logs each file.
enum VisionRunEnd {
  static func finish<Evaluation: Encodable>(
    runDirectory: URL, dataset: String, seconds: Double, metadata: [String: String], log: (String) -> Void,
    save: (URL, [String: String]) throws -> Void, evaluate: () throws -> (Evaluation, text: String)?
  ) throws -> Evaluation? {
    let modelURL = runDirectory.appendingPathComponent("model.safetensors")
    var metadata = metadata
    metadata[MetadataKey.dataset] = dataset
    metadata[MetadataKey.trainSeconds] = String(format: "%.1f", seconds)
    try save(modelURL, metadata)
    log("wrote \(modelURL.path) (\(formatDuration(seconds)) of training in this run)")
    guard let (evaluation, text) = try evaluate() else { return nil }
    let evalURL = runDirectory.appendingPathComponent("eval.json")
    try PrettyJSON.write(evaluation, to: evalURL)
    log(text)
    log("wrote \(evalURL.path)")
    return evaluation
  }
}

extension Trainer where Task == ClassificationTask {
  /// Saves the trained classifier (`saveModel`, with the dataset, seconds trained and `metadata` recorded) and
  /// evaluates it on `test` (nil: no test split, no evaluation), writing OUT/eval.json.
  public func finishRun(dataset: String, classNames: [String], seconds: Double, metadata: [String: String],
                        test: ClassificationDataset?, log: (String) -> Void) throws -> ClassifierEvaluation? {
    try VisionRunEnd.finish(
      runDirectory: runDirectory, dataset: dataset, seconds: seconds, metadata: metadata, log: log,
      save: { try saveModel(to: $0, classNames: classNames, extraMetadata: $1) },
      evaluate: { try test.map { let e = try evaluate(on: $0); return (e, e.text) } })
  }
}

extension Trainer where Task == SegmentationTask {
  /// Saves the trained segmentation model (dataset "camvid", seconds trained and `metadata` recorded) and
  /// evaluates it on `split`, writing OUT/eval.json.
  public func finishRun(classNames: [String], seconds: Double, metadata: [String: String], evaluation split: SegmentationDataset,
                        splitName: String, log: (String) -> Void) throws -> SegmentationEvaluation? {
    try VisionRunEnd.finish(
      runDirectory: runDirectory, dataset: "camvid", seconds: seconds, metadata: metadata, log: log,
      save: { try saveModel(to: $0, classNames: classNames, extraMetadata: $1) },
      evaluate: { let e = try evaluate(on: split); return (e, "CamVid \(splitName):\n" + e.text) })
  }
}
