import ArgumentParser
import Compression
import Foundation
import Watermarking

/// `lichen watermark security`: the security table of a study's runs (scripts/watermark-security.sh).
struct WatermarkSecurity: ParsableCommand {
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
    try global.apply()
    let folder = try SecurityStudy.load(runsDirectory: URL(fileURLWithPath: runs))
    for (name, missing) in folder.incomplete { say("skipped \(name): no \(missing)") }
    guard !folder.runs.isEmpty else { throw WatermarkError("\(runs) holds no finished marked run") }
    var criteria = SecurityStudy.Criteria()
    criteria.maximumCost = maximumCost
    criteria.minimumRemovalCost = minimumRemovalCost
    criteria.maximumKeyFound = maximumKeyFound
    let cells = SecurityStudy.cells(folder.runs, criteria: criteria)
    // Attack columns in the order of the first run's sweep.
    var attacks: [String] = []
    for row in folder.runs.flatMap(\.attacks) where row.family != .none {
      let spec = AttackSetting(row.family, row.strength).description
      if !attacks.contains(spec) { attacks.append(spec) }
    }
    let table = markdownTable(cells, attacks: attacks, controls: folder.controls, criteria: criteria)
    print(table, terminator: "")
    if let markdown { try Data(table.utf8).write(to: URL(fileURLWithPath: markdown), options: .atomic) }
    if let csv { try Data(csvTable(cells, attacks: attacks).utf8).write(to: URL(fileURLWithPath: csv), options: .atomic) }
    if let svg { try curves(cells).write(to: URL(fileURLWithPath: svg)) }
    if let json {
      struct Report: Encodable {
        var criteria: SecurityStudy.Criteria
        var controls: [String: Double]
        var cells: [SecurityStudy.Cell]
        var runs: [SecurityStudy.Run]
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let report = Report(criteria: criteria, controls: Dictionary(uniqueKeysWithValues: folder.controls.map { ("\($0.key)", $0.value) }),
                          cells: cells, runs: folder.runs)
      try encoder.encode(report).write(to: URL(fileURLWithPath: json), options: .atomic)
    }
  }

  /// Per method and magnitude spread: what the mark costs, what its cheapest removal costs (both in
  /// accuracy points) and the share of the key a key-free ranking finds (in percent), against alpha.
  private func curves(_ cells: [SecurityStudy.Cell]) -> SVGPlot {
    var series: [SVGPlot.Series] = []
    for group in Dictionary(grouping: cells, by: { "\($0.method), \($0.magnitudes)" }).sorted(by: { $0.key < $1.key }) {
      let sorted = group.value.sorted { $0.alpha < $1.alpha }
      series.append(.init(name: "\(group.key): cost (points)",
                          points: sorted.compactMap { c in c.cost.map { (c.alpha, $0.mean) } }))
      series.append(.init(name: "\(group.key): cheapest removal (points)",
                          points: sorted.compactMap { c in c.cheapestRemoval.map { (c.alpha, $0.mean) } }))
      series.append(.init(name: "\(group.key): key found (%)", points: sorted.map { ($0.alpha, 100 * $0.keyFound.mean) }))
    }
    return SVGPlot(title: "WaterMAS security: cost, removal cost and key secrecy", xLabel: "mark magnitude alpha (layer std)",
                   yLabel: "accuracy points / % of the key found", series: series)
  }

  private func points(_ s: SecurityStudy.Spread?, scale: Double = 1) -> String {
    guard let s else { return "-" }
    return s.count > 1 ? String(format: "%.2f ± %.2f", scale * s.mean, scale * s.std) : String(format: "%.2f", scale * s.mean)
  }

  private func markdownTable(_ cells: [SecurityStudy.Cell], attacks: [String], controls: [UInt64: Double],
                             criteria: SecurityStudy.Criteria) -> String {
    let controlText = controls.sorted { $0.key < $1.key }.map { String(format: "seed %d %.2f %%", $0.key, 100 * $0.value) }
    var lines = [
      "Unmarked controls (test accuracy): " + (controlText.isEmpty ? "none" : controlText.joined(separator: ", ")) + ".",
      String(format: "Secure: every seed costs <= %.1f points, its cheapest removal >= %.1f points, and the key-free ranking finds <= %.0f %% of the key.",
             criteria.maximumCost, criteria.minimumRemovalCost, 100 * criteria.maximumKeyFound),
      "Attack columns: accuracy points the attack costs (marked - attacked), and in how many seeds it removed the mark.", "",
    ]
    let header = ["setting", "seeds", "accuracy %", "cost (points)"] + attacks
      + ["cheapest removal", "key found (top K)", "chance", "missed marks", "false alarms on controls", "secure"]
    lines.append("| " + header.joined(separator: " | ") + " |")
    lines.append("|" + String(repeating: "---|", count: header.count))
    for c in cells {
      let attackCells = attacks.map { a -> String in
        guard let s = c.interceptionCost[a] else { return "-" }
        return points(s) + " (\(c.removals[a] ?? 0)/\(s.count) removed"
          + (c.realignedKept[a].map { "; realigned detector kept \($0)/\(s.count)" } ?? "") + ")"
      }
      let row = [c.setting, "\(c.seeds.count)", points(c.accuracy, scale: 100), points(c.cost)] + attackCells
        + [points(c.cheapestRemoval), points(c.keyFound), String(format: "%.1e", c.keyFoundByChance),
           "\(c.falseNegatives)/\(c.seeds.count)",
           "\(c.falsePositives)/\(c.controlsTested)" + (c.smallestControlFalsePositiveProbability.map { String(format: " (smallest p %.2g)", $0) } ?? ""),
           c.secure ? "yes" : "no"]
      lines.append("| " + row.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  private func csvTable(_ cells: [SecurityStudy.Cell], attacks: [String]) -> String {
    func field(_ s: SecurityStudy.Spread?) -> [String] { s.map { ["\($0.mean)", "\($0.std)"] } ?? ["", ""] }
    let header = ["setting", "method", "alpha", "magnitudes", "seeds", "accuracy", "accuracy_std", "cost_points", "cost_points_std"]
      + attacks.flatMap { ["\($0)_points", "\($0)_points_std", "\($0)_removed"] }
      + ["cheapest_removal_points", "cheapest_removal_points_std", "key_found", "key_found_std", "key_found_chance",
         "false_negatives", "false_positives", "controls_tested", "secure"]
    var lines = [header.joined(separator: ",")]
    for c in cells {
      var row = ["\"\(c.setting)\"", c.method, "\(c.alpha)", c.magnitudes, "\(c.seeds.count)"] + field(c.accuracy) + field(c.cost)
      for a in attacks { row += field(c.interceptionCost[a]) + ["\(c.removals[a] ?? 0)"] }
      row += field(c.cheapestRemoval) + field(c.keyFound)
        + ["\(c.keyFoundByChance)", "\(c.falseNegatives)", "\(c.falsePositives)", "\(c.controlsTested)", c.secure ? "1" : "0"]
      lines.append(row.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
