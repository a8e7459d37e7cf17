import Torch

/// Accuracy of a classifier on a labelled set, overall and per class, with
/// the confusion matrix (rows: true class, columns: predicted class).
public struct ClassifierEvaluation: Codable, Sendable, Equatable {
  public var classNames: [String]
  public var count: Int
  public var accuracy: Double
  /// Mean cross-entropy (no label smoothing).
  public var loss: Double
  /// nil for a class with no images in the set.
  public var perClassAccuracy: [Double?]
  public var confusion: [[Int]]

  /// Runs `model` in evaluation mode (restoring its mode after) without gradients.
  public static func evaluate(
    _ model: any Layer, on dataset: ClassificationDataset, normalization: Normalization, batchSize: Int = 256
  ) throws -> ClassifierEvaluation {
    let sampler = try BatchSampler(dataset: dataset, batchSize: batchSize, normalization: normalization)
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer { model.setTraining(wasTraining) }
    let k = dataset.classCount
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
    var lossSum = 0.0
    try withNoGrad {
      for index in 0..<sampler.evaluationBatchCount {
        let batch = sampler.evaluationBatch(index)
        let (images, labels) = try batch.tensors()
        let logits = try model(images)
        guard logits.shape == [batch.count, k] else {
          throw VisionError(.incompatibleModel, "model gives logits \(logits.shape) for \(k) classes")
        }
        lossSum += try Loss.crossEntropy(logits, labels, reduction: .sum).item()
        let predicted = try logits.argmax(dim: 1).scalars(as: Int64.self)
        for (truth, guess) in zip(batch.labels, predicted) { confusion[Int(truth)][Int(guess)] += 1 }
      }
    }
    let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
    return ClassifierEvaluation(
      classNames: dataset.classNames, count: dataset.count, accuracy: Double(correct) / Double(dataset.count),
      loss: lossSum / Double(dataset.count),
      perClassAccuracy: (0..<k).map { c in
        let total = confusion[c].reduce(0, +)
        return total > 0 ? Double(confusion[c][c]) / Double(total) : nil
      },
      confusion: confusion)
  }
}
