import ArgumentParser
import Compression
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark evaluate`: the attack sweep of `attack` plus the cost of
/// reading the mark, written as evaluation.json, evaluation.csv and one SVG
/// per attack family (accuracy and BER against strength).
struct WatermarkEvaluate: GlobalOptionsCommand {
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
    let (task, key, expected) = try sweep.load()
    let evaluation = try WatermarkEvaluation.measure(
      task, modelFile: sweep.modelFile, key: key, expected: expected, settings: try sweep.settings(), seed: sweep.seed,
      label: label, timingRepetitions: timingRepetitions, recordsMetric: true,
      timed: { extraction, extractionFromFile in
        say(String(format: "extraction: %.3f ms from the loaded model, %.3f ms from the files (median of %d)",
                   1000 * extraction.median, 1000 * extractionFromFile.median, timingRepetitions))
      }, onRow: { say($0.line) })
    // `embed` keeps the training's measured cost beside the model.
    if let cost = evaluation.cost { say("embedding cost: " + cost.summary) }
    let plots = try evaluation.writeFiles(to: URL(fileURLWithPath: out))
    say("wrote \(out)/evaluation.json, evaluation.csv and \(plots) plots")
  }
}

/// `lichen watermark compare`: side-by-side plots of several `evaluate` results (WaterMAS vs the baselines).
struct WatermarkCompare: GlobalOptionsCommand {
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
    let (evaluations, plots) = try WatermarkEvaluation.writeComparison(
      try results.map { try WatermarkEvaluation.read(from: URL(fileURLWithPath: $0)) }, to: URL(fileURLWithPath: out))
    for e in evaluations {
      say(e.comparisonLine)
      if let cost = e.cost { say("  embedding cost: " + cost.summary) }
    }
    say("wrote \(out)/comparison.csv and \(plots) plots")
  }
}
