import ArgumentParser
import Compression
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark evaluate`: the attack sweep of `attack` plus the cost of
/// reading the mark, written as evaluation.json, evaluation.csv and one SVG
/// per attack family (accuracy and BER against strength).
struct WatermarkEvaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract: "Attack sweep + extraction time for one marked classifier or segmentation model: JSON, CSV and SVG plots (compare several with `watermark compare`).")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var sweep: AttackSweepOptions
  @Option(help: "Method name in comparisons (default: the method the model file records, else its file name).")
  var label: String?
  @Option(help: "Repetitions of each extraction timing (median reported).") var timingRepetitions = 5
  @Option(help: "Output folder (evaluation.json, evaluation.csv, <attack family>.svg).") var out: String

  func validate() throws {
    guard timingRepetitions >= 1 else { throw ValidationError("--timing-repetitions must be at least 1") }
  }

  func run() throws {
    try global.apply()
    let keyURL = URL(fileURLWithPath: sweep.key)
    let key = try WatermarkKey.read(from: keyURL)
    let expected = try payloadBits(message: sweep.message, bits: sweep.bits)
    let task = try makeAttackTask(options: sweep)
    let outURL = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)

    let subject = try task.load()
    let extraction = try TimingSummary.measure(repetitions: timingRepetitions) {
      _ = try Extractor.extract(from: subject.model, key: key, expected: expected)
    }
    let extractionFromFile = try TimingSummary.measure(repetitions: timingRepetitions) {
      let entries = try SafeTensors.read(from: task.url).tensors
      _ = try Extractor.extract(fromStateDict: entries, key: WatermarkKey.read(from: keyURL), expected: expected)
    }
    say(String(format: "extraction: %.3f ms from the loaded model, %.3f ms from the files (median of %d)",
               1000 * extraction.median, 1000 * extractionFromFile.median, timingRepetitions))

    let settings = try sweep.settings()
    let rows = try AttackSweep.run(settings, load: task.load, key: key, expected: expected, seed: sweep.seed,
                                   onRow: { sayRow($0) })
    let name = label ?? task.metadata[MetadataKey.watermarkMethod] ?? task.url.deletingPathExtension().lastPathComponent
    // `embed` keeps the training's measured cost beside the model.
    let cost = try TrainingCost.readIfPresent(
      from: task.url.deletingLastPathComponent().appendingPathComponent(TrainingCost.fileName))
    if let cost { say("embedding cost: " + costSummary(cost)) }
    let evaluation = WatermarkEvaluation(
      label: name, modelFile: sweep.modelFile, watermark: task.metadata[MetadataKey.watermark], key: key,
      extraction: extraction, extractionFromFile: extractionFromFile, rows: rows, cost: cost, metric: task.metric.rawValue)
    try evaluation.write(to: outURL.appendingPathComponent("evaluation.json"))
    try Data(AttackSweep.csv(rows).utf8).write(to: outURL.appendingPathComponent("evaluation.csv"), options: .atomic)
    for family in evaluation.plottableFamilies {
      let plot = SVGPlot(
        title: "\(name): \(family.title)", xLabel: family.strengthLabel,
        yLabel: "test \(task.metric.rawValue) / bit error rate",
        series: WatermarkEvaluation.Metric.allCases.map {
          .init(name: $0 == .accuracy ? "test \(task.metric.rawValue)" : $0.title, points: evaluation.curve(family, $0))
        })
      try plot.write(to: outURL.appendingPathComponent("\(family.rawValue).svg"))
    }
    say("wrote \(outURL.path)/evaluation.json, evaluation.csv and \(evaluation.plottableFamilies.count) plots")
  }
}

/// `lichen watermark compare`: side-by-side plots of several `evaluate` results (WaterMAS vs the baselines).
struct WatermarkCompare: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Side-by-side accuracy and BER plots and one CSV from several `watermark evaluate` results.")

  @Option(name: .customLong("result"), help: "An evaluation.json from `watermark evaluate` (repeat the option).")
  var results: [String] = []
  @Option(help: "Output folder (comparison.csv, <attack family>-accuracy.svg, <attack family>-ber.svg).") var out: String

  func validate() throws {
    guard !results.isEmpty else { throw ValidationError("give at least one --result evaluation.json") }
  }

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try global.apply()
    var evaluations = try results.map { try WatermarkEvaluation.read(from: URL(fileURLWithPath: $0)) }
    // Two results with one label (say two WaterMAS runs) stay apart in the legend.
    var seen: [String: Int] = [:]
    for i in evaluations.indices {
      let count = seen[evaluations[i].label, default: 0] + 1
      seen[evaluations[i].label] = count
      if count > 1 { evaluations[i].label += " (\(count))" }
    }
    let outURL = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
    try Data(WatermarkEvaluation.csv(evaluations).utf8)
      .write(to: outURL.appendingPathComponent("comparison.csv"), options: .atomic)
    var plots = 0
    // The task metric of the results ("accuracy", "mIoU"); mixed tasks plot under both names.
    let taskMetric = Set(evaluations.map(\.metricName)).sorted().joined(separator: " / ")
    let families = AttackFamily.allCases.filter { family in evaluations.contains { $0.plottableFamilies.contains(family) } }
    for family in families {
      for metric in WatermarkEvaluation.Metric.allCases {
        let series = WatermarkEvaluation.curves(evaluations, family: family, metric: metric)
        let title = metric == .accuracy ? "test " + taskMetric : metric.title
        let plot = SVGPlot(title: "\(family.title): \(title)", xLabel: family.strengthLabel, yLabel: title,
                           series: series.map { .init(name: $0.label, points: $0.points) })
        try plot.write(to: outURL.appendingPathComponent("\(family.rawValue)-\(metric.rawValue).svg"))
        plots += 1
      }
    }
    for e in evaluations {
      let interception = e.rows.filter { $0.family.rawValue.hasPrefix("key-interception") }
        .map { row in
          (row.family.takesNoStrength ? row.family.rawValue : "\(row.family.rawValue) \(Int(row.strength))")
            + String(format: " %@ %.2f%% BER %.3f", e.metricName, 100 * row.accuracy, row.bitErrorRate)
        }
      say(String(format: "%@: clean %@ %.2f%%, extraction %.3f ms; ", e.label, e.metricName, 100 * (e.cleanAccuracy ?? .nan),
                 1000 * e.extraction.median) + interception.joined(separator: "; "))
      if let cost = e.cost { say("  embedding cost: " + costSummary(cost)) }
    }
    say("wrote \(outURL.path)/comparison.csv and \(plots) plots")
  }
}
