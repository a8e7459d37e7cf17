import ArgumentParser
import Compression
import Foundation
import Watermarking

/// `lichen watermark security`: the security table of a study's runs (scripts/watermark-security.sh).
struct WatermarkSecurity: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "security",
    abstract: "Tabulate marked runs against their unmarked controls: accuracy cost, key-interception cost, key secrecy; mean +- std over seeds.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "Folder of run folders: unmarked controls (`classify train --init-from`) and marked runs with attack.json and secrecy.json.")
  var runs: String
  @Option(help: "Most accuracy points the mark may cost against its control.") var maximumCost = 1.0
  @Option(help: "Fewest points removing the mark must cost the key holder.") var minimumRemovalCost = 5.0
  @Option(help: "Largest share of the key a key-free ranking may find in its top K = key size.") var maximumKeyFound = 0.05
  @Option(help: "Write the cells (and every run) as JSON here.") var json: String?
  @Option(help: "Write one row per cell as CSV here.") var csv: String?
  @Option(help: "Write the table as Markdown here.") var markdown: String?
  @Option(help: "Write the curves (cost, cheapest removal and key found against the mark's strength, per method) as SVG here.")
  var svg: String?

  func run() throws {
    let folder = try SecurityStudy.load(runsDirectory: URL(fileURLWithPath: runs))
    for (name, missing) in folder.incomplete { say("skipped \(name): no \(missing)") }
    for line in folder.precisionMismatches { say("note: \(line)") }
    guard !folder.runs.isEmpty else { throw WatermarkError("\(runs) holds no finished marked run") }
    let tables = SecurityStudy.Tables(folder, criteria: SecurityStudy.Criteria(
      maximumCost: maximumCost, minimumRemovalCost: minimumRemovalCost, maximumKeyFound: maximumKeyFound))
    print(tables.markdown, terminator: "")
    let url = { (path: String?) in path.map { URL(fileURLWithPath: $0) } }
    try tables.write(markdown: url(markdown), csv: url(csv), svg: url(svg), json: url(json))
  }
}

/// `lichen watermark robustness`: the whole-model attacks on a security study's marked runs, pooled over seeds
/// (scripts/watermark-robustness.sh writes each run's robustness.json).
struct WatermarkRobustness: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "robustness",
    abstract: "Tabulate whole-model attacks (noise, pruning, quantization, fine-tuning) on a study's marked runs: accuracy cost, bit error rate and detections per setting and attack strength; mean +- std over seeds.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "Folder of run folders, as `watermark security` reads it; marked runs with a robustness.json (`watermark attack --json`) are tabulated.")
  var runs: String
  @Option(help: "Output folder (robustness.md, robustness.csv, robustness.json, robustness-<attack family>-{cost,ber}.svg).")
  var out: String

  func run() throws {
    let folder = try SecurityStudy.load(runsDirectory: URL(fileURLWithPath: runs))
    for (name, missing) in folder.incomplete { say("skipped \(name): no \(missing)") }
    for line in folder.precisionMismatches { say("note: \(line)") }
    let robustness = SecurityStudy.Robustness(folder)
    guard !robustness.entries.isEmpty else { throw WatermarkError("\(runs) holds no marked run with a robustness.json") }
    print(robustness.markdown, terminator: "")
    let plots = try robustness.write(to: URL(fileURLWithPath: out))
    say("wrote \(out)/robustness.md, robustness.csv, robustness.json and \(plots) plots")
  }
}
