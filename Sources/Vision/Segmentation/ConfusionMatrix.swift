/// Pixel counts by (true class, predicted class) over the pixels that have
/// a class (void pixels are skipped), and the scores read from it.
public struct ConfusionMatrix: Codable, Sendable, Equatable {
  public let classCount: Int
  /// counts[truth][predicted].
  public private(set) var counts: [[Int]]

  public init(classCount: Int) {
    self.classCount = classCount
    counts = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
  }

  /// Adds one batch: `truth` and `predicted` per pixel, in the same order.
  /// Truth outside 0..<classCount (void) is skipped; a prediction outside it is an error.
  public mutating func add(truth: [Int64], predicted: [Int64]) throws {
    guard truth.count == predicted.count else {
      throw VisionError(.invalidArgument, "\(truth.count) labels for \(predicted.count) predictions")
    }
    for (t, p) in zip(truth, predicted) where t >= 0 && t < Int64(classCount) {
      guard p >= 0, p < Int64(classCount) else {
        throw VisionError(.invalidArgument, "prediction \(p) is not a class of 0..<\(classCount)")
      }
      counts[Int(t)][Int(p)] += 1
    }
  }

  public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
  public var correct: Int { (0..<classCount).reduce(0) { $0 + counts[$1][$1] } }

  /// Correct pixels over non-void pixels (nil when there are none).
  public var pixelAccuracy: Double? { total > 0 ? Double(correct) / Double(total) : nil }

  /// TP / (TP + FP + FN) per class; nil for a class neither present nor predicted (0/0).
  public var intersectionOverUnion: [Double?] {
    (0..<classCount).map { c in
      let truePositives = counts[c][c]
      let truth = counts[c].reduce(0, +)
      let predicted = counts.reduce(0) { $0 + $1[c] }
      let union = truth + predicted - truePositives
      return union > 0 ? Double(truePositives) / Double(union) : nil
    }
  }

  /// Mean of the defined per-class IoUs: a class absent from the ground
  /// truth but predicted counts with IoU 0, one absent from both is left out
  /// (torchvision's reference averages with nan for 0/0 and drops nothing;
  /// on a full test split every class is present, so both agree).
  public var meanIntersectionOverUnion: Double? {
    let defined = intersectionOverUnion.compactMap { $0 }
    return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
  }
}
