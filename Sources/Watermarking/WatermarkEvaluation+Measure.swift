import Foundation
import Torch

extension WatermarkEvaluation {
  /// Evaluates one marked model: times reading the mark (from the loaded model and from its files), sweeps the
  /// attack settings and reads back the training cost `embed` keeps beside the model (cost.json), if any.
  /// - Parameters:
  ///   - task: the marked model's task (classifier, segmentation model or codec).
  ///   - modelFile: the model's path as the evaluation records it.
  ///   - label: the method's name in comparisons; nil: the method the model file records, else its file name.
  ///   - timingRepetitions: timed runs of each extraction; the summaries report their median.
  ///   - recordsMetric: record the task's metric name (accuracy, mIoU) in the evaluation.
  ///   - timed: called with the two extraction timings before the sweep starts.
  ///   - onRow: called with each row as soon as it is measured.
  /// - Throws: `WatermarkError` when the payload does not fit the key, and what loading and attacking throw.
  /// - Returns: the evaluation (`writeFiles` writes it).
  public static func measure(
    _ task: some AttackTask, modelFile: String, key: WatermarkKey, expected: [Bool], settings: [AttackSetting],
    seed: UInt64, label: String?, timingRepetitions: Int, recordsMetric: Bool,
    timed: (_ fromModel: TimingSummary, _ fromFile: TimingSummary) -> Void = { _, _ in },
    onRow: (AttackSweepRow) -> Void
  ) throws -> WatermarkEvaluation {
    let subject = try task.load()
    let (extraction, extractionFromFile) = try timeExtraction(
      model: subject.model, file: task.url, key: key, expected: expected, repetitions: timingRepetitions)
    timed(extraction, extractionFromFile)
    let rows = try AttackSweep.run(settings, load: task.load, key: key, expected: expected, seed: seed, onRow: onRow)
    let name = label ?? task.metadata[MetadataKey.watermarkMethod] ?? task.url.deletingPathExtension().lastPathComponent
    let cost = try TrainingCost.readIfPresent(
      from: task.url.deletingLastPathComponent().appendingPathComponent(TrainingCost.fileName))
    return WatermarkEvaluation(
      label: name, modelFile: modelFile, watermark: task.metadata[MetadataKey.watermark], key: key,
      extraction: extraction, extractionFromFile: extractionFromFile, rows: rows, cost: cost,
      metric: recordsMetric ? task.metric.rawValue : nil)
  }
}

extension WatermarkEvaluation {
  /// One line of `watermark compare`: the clean task metric, the extraction time and each key-interception row's
  /// metric and bit error rate.
  public var comparisonLine: String {
    let interception = rows.filter { $0.family.rawValue.hasPrefix("key-interception") }
      .map { row in
        (row.family.takesNoStrength ? row.family.rawValue : "\(row.family.rawValue) \(Int(row.strength))")
          + String(format: " %@ %.2f%% BER %.3f", metricName, 100 * row.accuracy, row.bitErrorRate)
      }
    return String(format: "%@: clean %@ %.2f%%, extraction %.3f ms; ", label, metricName, 100 * (cleanAccuracy ?? .nan),
                  1000 * extraction.median) + interception.joined(separator: "; ")
  }
}
