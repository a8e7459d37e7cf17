import Foundation
import Reporting
import Torch

extension WatermarkEvaluation {
  /// Extraction time from the loaded model and from the model file (read and parsed every time).
  /// - Parameters:
  ///   - model: the marked model, loaded.
  ///   - file: its safetensors file.
  ///   - repetitions: timed runs of each; the summaries report their median.
  public static func timeExtraction(model: any Module, file: URL, key: WatermarkKey, expected: [Bool],
                                    repetitions: Int) throws -> (fromModel: TimingSummary, fromFile: TimingSummary) {
    let fromModel = try TimingSummary.measure(repetitions: repetitions) {
      _ = try Extractor.extract(from: model, key: key, expected: expected)
    }
    let fromFile = try TimingSummary.measure(repetitions: repetitions) {
      _ = try Extractor.extract(fromStateDict: SafeTensors.read(from: file).tensors, key: key, expected: expected)
    }
    return (fromModel, fromFile)
  }

  /// Writes evaluation.json, evaluation.csv and the plots of every attack family into `folder`: the task metric
  /// and the bit error rate in one plot (`FAMILY.svg`), or, given `rowMetrics` (a codec's "psnr", "bpp"), one
  /// plot per row metric (`FAMILY-KEY.svg`) and one of the bit error rate (`FAMILY-ber.svg`).
  /// - Returns: the number of plots written.
  @discardableResult
  public func writeFiles(to folder: URL, rowMetrics: [(key: String, title: String)] = []) throws -> Int {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try write(to: folder.appendingPathComponent("evaluation.json"))
    try Data(AttackSweep.csv(rows).utf8).write(to: folder.appendingPathComponent("evaluation.csv"), options: .atomic)
    var plots = 0
    for family in plottableFamilies {
      if rowMetrics.isEmpty {
        let plot = SVGPlot(
          title: "\(label): \(family.title)", xLabel: family.strengthLabel, yLabel: "test \(metricName) / bit error rate",
          series: Metric.allCases.map { .init(name: $0 == .accuracy ? "test \(metricName)" : $0.title, points: curve(family, $0)) })
        try plot.write(to: folder.appendingPathComponent("\(family.rawValue).svg"))
        plots += 1
        continue
      }
      for (key, title) in rowMetrics {
        let plot = SVGPlot(title: "\(label): \(family.title)", xLabel: family.strengthLabel, yLabel: title,
                           series: [.init(name: title, points: curve(family) { $0.metrics?[key] })])
        try plot.write(to: folder.appendingPathComponent("\(family.rawValue)-\(key).svg"))
      }
      let ber = SVGPlot(title: "\(label): \(family.title)", xLabel: family.strengthLabel, yLabel: "bit error rate",
                        series: [.init(name: "BER", points: curve(family, .bitErrorRate))])
      try ber.write(to: folder.appendingPathComponent("\(family.rawValue)-ber.svg"))
      plots += rowMetrics.count + 1
    }
    return plots
  }

  /// Several evaluations side by side: comparison.csv and, per attack family and metric, one plot with a
  /// series per evaluation (`FAMILY-METRIC.svg`). Repeated labels get " (2)", " (3)" so the legend keeps them apart.
  /// - Returns: the evaluations as labelled and the number of plots written.
  public static func writeComparison(_ evaluations: [WatermarkEvaluation], to folder: URL) throws -> (evaluations: [WatermarkEvaluation], plots: Int) {
    var labelled = evaluations
    var seen: [String: Int] = [:]
    for i in labelled.indices {
      let count = seen[labelled[i].label, default: 0] + 1
      seen[labelled[i].label] = count
      if count > 1 { labelled[i].label += " (\(count))" }
    }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data(csv(labelled).utf8).write(to: folder.appendingPathComponent("comparison.csv"), options: .atomic)
    var plots = 0
    // The task metric of the results ("accuracy", "mIoU"); mixed tasks plot under both names.
    let taskMetric = Set(labelled.map(\.metricName)).sorted().joined(separator: " / ")
    let families = AttackFamily.allCases.filter { family in labelled.contains { $0.plottableFamilies.contains(family) } }
    for family in families {
      for metric in Metric.allCases {
        let series = curves(labelled, family: family, metric: metric)
        let title = metric == .accuracy ? "test " + taskMetric : metric.title
        let plot = SVGPlot(title: "\(family.title): \(title)", xLabel: family.strengthLabel, yLabel: title,
                           series: series.map { .init(name: $0.label, points: $0.points) })
        try plot.write(to: folder.appendingPathComponent("\(family.rawValue)-\(metric.rawValue).svg"))
        plots += 1
      }
    }
    return (labelled, plots)
  }
}
