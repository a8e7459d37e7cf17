import Foundation
import LichenSerialization
import Reporting

extension SecurityStudy {
  /// Whole-model attacks (noise, pruning, quantization, fine-tuning: the attacks the paper says a sharp
  /// mark resists) on a study's marked models, pooled over seeds: for each setting and attack, what the
  /// attack costs the attacker in accuracy, the bit error rate it leaves (MPAI-NNW's symbol error rate)
  /// and in how many seeds the detector still finds the mark. Read from each run's `robustness.json`.
  public struct Robustness {
    /// One attack at one strength on one setting, over that setting's seeds.
    public struct Entry: Codable, Sendable, Equatable {
      public var setting: String
      public var method: String
      public var alpha: Double
      /// `AttackSetting.description`, e.g. "gaussian-noise:0.3".
      public var attack: String
      public var family: AttackFamily
      public var strength: Double
      /// Test accuracy after the attack, in [0, 1].
      public var accuracy: Spread
      /// Accuracy points the attack costs (marked - attacked; positive: the model got worse).
      public var cost: Spread
      /// BER of the coded bits after the attack.
      public var bitErrorRate: Spread
      /// Seeds in which the detector still found the mark, of `seeds`.
      public var detected: Int
      public var seeds: Int
    }

    /// Settings in the study's cell order.
    public var settings: [String]
    /// Attacks in the order of the first run's sweep.
    public var attacks: [String]
    public var entries: [Entry]

    /// The column of the unmarked controls: the same attacks on the controls, read under a marked run's key
    /// (a detection there is a false alarm).
    public static let controlSetting = "unmarked control"

    /// Pools the robustness rows of a study's runs and controls.
    public init(_ folder: Folder) {
      self.init(folder.runs, controls: folder.controls, controlRobustness: folder.controlRobustness)
    }

    /// Pools the robustness rows of `runs` (runs without any are left out) by setting and attack, then
    /// those of the controls (`controlRobustness` by seed, costs against `controls`' accuracy) as one more
    /// setting, `controlSetting`.
    public init(_ runs: [Run], controls: [UInt64: Double] = [:], controlRobustness: [UInt64: [AttackSweepRow]] = [:]) {
      var runs = runs.filter { !($0.robustness ?? []).isEmpty }
      var settings = SecurityStudy.cells(runs).map(\.setting)
      // A control is a run of its own setting here: its accuracy against the attacked one.
      for (seed, rows) in controlRobustness.sorted(by: { $0.key < $1.key }) {
        guard let accuracy = controls[seed], !rows.isEmpty else { continue }
        runs.append(Run(setting: Self.controlSetting, method: "none", alpha: 0, magnitudes: "-", seed: seed,
                        accuracy: accuracy, controlAccuracy: accuracy, attacks: [], secrecy: [], robustness: rows))
        if !settings.contains(Self.controlSetting) { settings.append(Self.controlSetting) }
      }
      self.settings = settings
      var attacks: [String] = []
      var entries: [Entry] = []
      for row in runs.flatMap({ $0.robustness ?? [] }) where row.family != .none {
        let spec = AttackSetting(row.family, row.strength).description
        if !attacks.contains(spec) { attacks.append(spec) }
      }
      let bySetting = Dictionary(grouping: runs, by: \.setting)
      for setting in settings {
        let group = (bySetting[setting] ?? []).sorted { $0.seed < $1.seed }
        guard let first = group.first else { continue }
        for attack in attacks {
          let rows = group.compactMap { run in
            (run.robustness ?? []).first { $0.family != .none && AttackSetting($0.family, $0.strength).description == attack }
              .map { (run: run, row: $0) }
          }
          guard let row = rows.first?.row else { continue }
          entries.append(Entry(
            setting: setting, method: first.method, alpha: first.alpha, attack: attack, family: row.family,
            strength: row.strength, accuracy: Spread(rows.map(\.row.accuracy)),
            cost: Spread(rows.map { 100 * ($0.run.accuracy - $0.row.accuracy) }),
            bitErrorRate: Spread(rows.map(\.row.bitErrorRate)), detected: rows.filter(\.row.detected).count,
            seeds: rows.count))
        }
      }
      self.attacks = attacks
      self.entries = entries
    }

    public func entry(_ setting: String, _ attack: String) -> Entry? {
      entries.first { $0.setting == setting && $0.attack == attack }
    }

    /// One row per attack, one column per setting: "cost (points) / BER / seeds detected".
    public var markdown: String {
      var lines = [
        "Each cell: accuracy points the attack costs (marked - attacked), the bit error rate it leaves, and in how many seeds the mark is still detected; mean ± std over seeds. The unmarked controls are read under a marked run's key of their seed: a detection there is a false alarm.",
        "",
      ]
      let (labels, common) = Self.labels(settings)
      if !common.isEmpty { lines += ["Every marked column: \(common.joined(separator: " ")).", ""] }
      let header = ["attack"] + labels
      lines.append("| " + header.joined(separator: " | ") + " |")
      lines.append("|" + String(repeating: "---|", count: header.count))
      for attack in attacks {
        let cells = settings.map { setting -> String in
          guard let e = entry(setting, attack) else { return "-" }
          return "\(Self.format(e.cost, "%.2f")) / \(Self.format(e.bitErrorRate, "%.3f")) / \(e.detected)/\(e.seeds)"
        }
        lines.append("| " + ([attack] + cells).joined(separator: " | ") + " |")
      }
      return lines.joined(separator: "\n") + "\n"
    }

    /// One row per setting and attack, mean and std of every spread.
    public var csv: String {
      var lines = ["setting,method,alpha,attack,family,strength,seeds,accuracy,accuracy_std,cost_points,cost_points_std,ber,ber_std,detected"]
      for e in entries {
        lines.append(["\"\(e.setting)\"", e.method, "\(e.alpha)", e.attack, e.family.rawValue, "\(e.strength)", "\(e.seeds)",
                      "\(e.accuracy.mean)", "\(e.accuracy.std)", "\(e.cost.mean)", "\(e.cost.std)",
                      "\(e.bitErrorRate.mean)", "\(e.bitErrorRate.std)", "\(e.detected)"].joined(separator: ","))
      }
      return lines.joined(separator: "\n") + "\n"
    }

    /// Per attack family with two or more strengths, two plots (file name, plot): the mean accuracy cost
    /// and the mean bit error rate against strength, one series per setting.
    public var plots: [(name: String, plot: SVGPlot)] {
      var result: [(name: String, plot: SVGPlot)] = []
      let families = AttackFamily.allCases.filter { family in Set(entries.filter { $0.family == family }.map(\.strength)).count >= 2 }
      for family in families {
        for (suffix, title, value) in [("cost", "accuracy points lost", { (e: Entry) in e.cost.mean }),
                                       ("ber", "bit error rate", { (e: Entry) in e.bitErrorRate.mean })] {
          let labels = Self.labels(settings).labels
          let series = zip(settings, labels).map { setting, label in
            SVGPlot.Series(name: label, points: entries.filter { $0.setting == setting && $0.family == family }
              .map { (x: $0.strength, y: value($0)) }.sorted { $0.x < $1.x })
          }.filter { !$0.points.isEmpty }
          result.append(("robustness-\(family.rawValue)-\(suffix).svg",
                         SVGPlot(title: "\(family.title): \(title)", xLabel: family.strengthLabel, yLabel: title, series: series)))
        }
      }
      return result
    }

    /// Writes robustness.md, robustness.csv, robustness.json and the plots into `folder`.
    /// - Returns: the number of plots written.
    @discardableResult
    public func write(to folder: URL) throws -> Int {
      do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
        throw WatermarkError("cannot create \(folder.path): \(error.localizedDescription)")
      }
      try Data(markdown.utf8).write(to: folder.appendingPathComponent("robustness.md"), options: .atomic)
      try Data(csv.utf8).write(to: folder.appendingPathComponent("robustness.csv"), options: .atomic)
      try PrettyJSON.write(entries, to: folder.appendingPathComponent("robustness.json"))
      let plots = self.plots
      for (name, plot) in plots { try plot.write(to: folder.appendingPathComponent(name)) }
      return plots.count
    }

    /// Column names without the `key=value` words every marked setting shares (e.g. `code=none`), which are
    /// returned once instead: "substitution alpha=30.0" rather than the whole setting string.
    static func labels(_ settings: [String]) -> (labels: [String], common: [String]) {
      let marked = settings.filter { $0 != controlSetting }
      guard marked.count > 1, let first = marked.first else { return (settings, []) }
      let words = marked.map { $0.split(separator: " ").map(String.init) }
      let common = first.split(separator: " ").map(String.init).filter { word in
        word.contains("=") && words.allSatisfy { $0.contains(word) }
      }
      let labels = settings.map { setting in
        setting == controlSetting ? setting : setting.split(separator: " ").map(String.init).filter { !common.contains($0) }.joined(separator: " ")
      }
      return (labels, common)
    }

    static func format(_ s: Spread, _ format: String) -> String {
      s.count > 1 ? String(format: "\(format) ± \(format)", s.mean, s.std) : String(format: format, s.mean)
    }
  }
}
