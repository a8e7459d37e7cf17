import Torch

/// Scores of a segmentation model on a labelled set: mean IoU, per-class
/// IoU, pixel accuracy and mean cross-entropy, all over non-void pixels,
/// with the confusion matrix.
public struct SegmentationEvaluation: Codable, Sendable, Equatable {
  public var classNames: [String]
  public var images: Int
  /// Non-void pixels scored.
  public var pixels: Int
  public var meanIoU: Double
  /// nil for a class neither present nor predicted.
  public var perClassIoU: [Double?]
  public var pixelAccuracy: Double
  /// Mean cross-entropy per non-void pixel.
  public var loss: Double
  public var confusion: ConfusionMatrix

  /// Runs `model` in evaluation mode (restoring its mode after), without gradients, on full-size images.
  public static func evaluate(
    _ model: any Layer, on dataset: SegmentationDataset, normalization: Normalization, batchSize: Int = 16
  ) throws -> SegmentationEvaluation {
    let sampler = try SegmentationBatchSampler(dataset: dataset, batchSize: batchSize, normalization: normalization)
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer { model.setTraining(wasTraining) }
    let k = dataset.classCount
    var confusion = ConfusionMatrix(classCount: k)
    var lossSum = 0.0
    try withNoGrad {
      for index in 0..<sampler.evaluationBatchCount {
        let batch = sampler.evaluationBatch(index)
        let (images, labels) = try batch.tensors()
        let logits = try model(images)
        guard logits.shape == [batch.count, k, batch.height, batch.width] else {
          throw VisionError(
            .incompatibleModel, "model gives logits \(logits.shape) for \(k) classes at \(batch.height)x\(batch.width)")
        }
        lossSum += try Loss.crossEntropy(
          logits, labels, reduction: .sum, ignoreIndex: Int(SegmentationDataset.ignoreLabel)
        ).item()
        try confusion.add(truth: batch.labels, predicted: try logits.argmax(dim: 1).scalars(as: Int64.self))
      }
    }
    let pixels = confusion.total
    return SegmentationEvaluation(
      classNames: dataset.classNames, images: dataset.count, pixels: pixels,
      meanIoU: confusion.meanIntersectionOverUnion ?? 0, perClassIoU: confusion.intersectionOverUnion,
      pixelAccuracy: confusion.pixelAccuracy ?? 0, loss: pixels > 0 ? lossSum / Double(pixels) : 0, confusion: confusion)
  }
}
