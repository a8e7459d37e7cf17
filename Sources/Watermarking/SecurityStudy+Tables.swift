import Foundation
import LichenSerialization
import Reporting

extension SecurityStudy {
  /// The tables of a study's runs: one cell per setting (mean +- std over seeds) with the attacks as columns,
  /// rendered as Markdown, CSV, SVG curves and JSON (cells and every run).
  public struct Tables {
    public var criteria: Criteria
    public var controls: [UInt64: Double]
    public var cells: [Cell]
    public var runs: [Run]
    /// Attack settings (`AttackSetting.description`) in the order of the first run's sweep.
    public var attacks: [String]

    public init(_ folder: Folder, criteria: Criteria) {
      self.criteria = criteria
      controls = folder.controls
      runs = folder.runs
      cells = SecurityStudy.cells(folder.runs, criteria: criteria)
      var attacks: [String] = []
      for row in folder.runs.flatMap(\.attacks) where row.family != .none {
        let spec = AttackSetting(row.family, row.strength).description
        if !attacks.contains(spec) { attacks.append(spec) }
      }
      self.attacks = attacks
    }

    /// Writes each rendering that is given a place (atomically, except the SVG); nil skips it.
    /// - Parameters:
    ///   - markdown: `markdown`; csv: `csv`; svg: `curves`; json: `json()`.
    /// - Throws: the file system's error when a file cannot be written.
    public func write(markdown: URL?, csv: URL?, svg: URL?, json: URL?) throws {
      if let markdown { try Data(self.markdown.utf8).write(to: markdown, options: .atomic) }
      if let csv { try Data(self.csv.utf8).write(to: csv, options: .atomic) }
      if let svg { try curves.write(to: svg) }
      if let json { try self.json().write(to: json, options: .atomic) }
    }

    /// Criteria, controls (by seed), cells and runs as pretty, sorted JSON.
    public func json() throws -> Data {
      struct Report: Encodable {
        var criteria: Criteria
        var controls: [String: Double]
        var cells: [Cell]
        var runs: [Run]
      }
      return try PrettyJSON.encode(Report(criteria: criteria, controls: Dictionary(uniqueKeysWithValues: controls.map { ("\($0.key)", $0.value) }),
                                       cells: cells, runs: runs))
    }

    /// Per method and magnitude spread: what the mark costs, what its cheapest removal costs (both in
    /// accuracy points) and the share of the key a key-free ranking finds (in percent), against alpha.
    public var curves: SVGPlot {
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

    func points(_ s: SecurityStudy.Spread?, scale: Double = 1) -> String {
      guard let s else { return "-" }
      return s.count > 1 ? String(format: "%.2f ± %.2f", scale * s.mean, scale * s.std) : String(format: "%.2f", scale * s.mean)
    }

    /// The table as Markdown: controls, the criteria, then one row per setting.
    public var markdown: String {
      let controlText = controls.sorted { $0.key < $1.key }.map { String(format: "seed %d %.2f %%", $0.key, 100 * $0.value) }
      var lines = [
        "Unmarked controls (test accuracy): " + (controlText.isEmpty ? "none" : controlText.joined(separator: ", ")) + ".",
        String(format: "Secure: every seed costs <= %.1f points, its cheapest removal >= %.1f points, and the key-free ranking finds <= %.0f %% of the key.",
               criteria.maximumCost, criteria.minimumRemovalCost, 100 * criteria.maximumKeyFound),
        "Attack columns: accuracy points the attack costs (marked - attacked), and in how many seeds it removed the mark.", "",
      ]
      let header = ["setting", "seeds", "accuracy %", "cost (points)"] + attacks
        + ["cheapest removal", "key found (top K)", "key found by ranking", "chance", "missed marks", "false alarms on controls",
           "secure"]
      lines.append("| " + header.joined(separator: " | ") + " |")
      lines.append("|" + String(repeating: "---|", count: header.count))
      for c in cells {
        let attackCells = attacks.map { a -> String in
          guard let s = c.interceptionCost[a] else { return "-" }
          return points(s) + " (\(c.removals[a] ?? 0)/\(s.count) removed"
            + (c.realignedKept[a].map { "; realigned detector kept \($0)/\(s.count)" } ?? "") + ")"
        }
        let row = [c.setting, "\(c.seeds.count)", points(c.accuracy, scale: 100), points(c.cost)] + attackCells
          + [points(c.cheapestRemoval), points(c.keyFound),
             c.keyFoundByStatistic.sorted { $0.key < $1.key }.map { String(format: "%@ %.0f %%", $0.key, 100 * $0.value.mean) }
               .joined(separator: ", "),
             String(format: "%.1e", c.keyFoundByChance),
             "\(c.falseNegatives)/\(c.seeds.count)",
             "\(c.falsePositives)/\(c.controlsTested)" + (c.smallestControlFalsePositiveProbability.map { String(format: " (smallest p %.2g)", $0) } ?? ""),
             c.secure ? "yes" : "no"]
        lines.append("| " + row.joined(separator: " | ") + " |")
      }
      return lines.joined(separator: "\n") + "\n"
    }

    /// One row per setting as CSV, mean and std of every spread.
    public var csv: String {
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
}
