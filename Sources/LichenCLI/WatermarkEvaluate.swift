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
    let subject = try task.load()
    let (extraction, extractionFromFile) = try WatermarkEvaluation.timeExtraction(
      model: subject.model, file: task.url, key: key, expected: expected, repetitions: timingRepetitions)
    say(String(format: "extraction: %.3f ms from the loaded model, %.3f ms from the files (median of %d)",
               1000 * extraction.median, 1000 * extractionFromFile.median, timingRepetitions))

    let settings = try sweep.settings()
    let rows = try AttackSweep.run(settings, load: task.load, key: key, expected: expected, seed: sweep.seed,
                                   onRow: { say($0.line) })
    let name = label ?? task.metadata[MetadataKey.watermarkMethod] ?? task.url.deletingPathExtension().lastPathComponent
    // `embed` keeps the training's measured cost beside the model.
    let cost = try TrainingCost.readIfPresent(
      from: task.url.deletingLastPathComponent().appendingPathComponent(TrainingCost.fileName))
    if let cost { say("embedding cost: " + cost.summary) }
    let evaluation = WatermarkEvaluation(
      label: name, modelFile: sweep.modelFile, watermark: task.metadata[MetadataKey.watermark], key: key,
      extraction: extraction, extractionFromFile: extractionFromFile, rows: rows, cost: cost, metric: task.metric.rawValue)
    let plots = try evaluation.writeFiles(to: URL(fileURLWithPath: out))
    say("wrote \(out)/evaluation.json, evaluation.csv and \(plots) plots")
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
    let (evaluations, plots) = try WatermarkEvaluation.writeComparison(
      try results.map { try WatermarkEvaluation.read(from: URL(fileURLWithPath: $0)) }, to: URL(fileURLWithPath: out))
    for e in evaluations {
      let interception = e.rows.filter { $0.family.rawValue.hasPrefix("key-interception") }
        .map { row in
          (row.family.takesNoStrength ? row.family.rawValue : "\(row.family.rawValue) \(Int(row.strength))")
            + String(format: " %@ %.2f%% BER %.3f", e.metricName, 100 * row.accuracy, row.bitErrorRate)
        }
      say(String(format: "%@: clean %@ %.2f%%, extraction %.3f ms; ", e.label, e.metricName, 100 * (e.cleanAccuracy ?? .nan),
                 1000 * e.extraction.median) + interception.joined(separator: "; "))
      if let cost = e.cost { say("  embedding cost: " + cost.summary) }
    }
    say("wrote \(out)/comparison.csv and \(plots) plots")
  }
}
