import Foundation
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
  public func write(to url: URL) throws { try writePrettyJSON(self, to: url) }
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
  public func write(to url: URL) throws { try writePrettyJSON(self, to: url) }
}

func writePrettyJSON<Value: Encodable>(_ value: Value, to url: URL) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  try encoder.encode(value).write(to: url, options: .atomic)
}
