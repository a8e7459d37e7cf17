import Foundation
import LichenSerialization

/// Wall time of a repeated operation (seconds).
public struct TimingSummary: Codable, Sendable, Equatable {
  public var median: Double
  public var minimum: Double
  public var repetitions: Int

  /// Runs `body` `repetitions` times (at least once) and summarises the wall times.
  public static func measure(repetitions: Int, _ body: () throws -> Void) rethrows -> TimingSummary {
    var times: [Double] = []
    for _ in 0..<Swift.max(1, repetitions) {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    let mid = times.count / 2
    let median = times.count % 2 == 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2
    return TimingSummary(median: median, minimum: times[0], repetitions: times.count)
  }
}

/// What `lichen watermark evaluate` writes for one marked model: the attack
/// sweep and the cost of reading the mark. Several of them (WaterMAS and
/// each baseline) make a side-by-side comparison (`curves(_:family:metric:)`).
public struct WatermarkEvaluation: Codable, Sendable, Equatable {
  public var version = 1
  /// Name of the method in comparisons (e.g. "WaterMAS", "substitution", "replicas").
  public var label: String
  public var modelFile: String
  /// How the mark was inserted, as the model file records it.
  public var watermark: String?
  public var code: String
  public var payloadBits: Int
  public var codedBits: Int
  /// Extraction from the loaded model (positions read, decoded, compared).
  public var extraction: TimingSummary
  /// Extraction as `lichen watermark verify` does it: read the model file and key, then extract.
  public var extractionFromFile: TimingSummary
  public var rows: [AttackSweepRow]
  /// What inserting the mark cost during training (passes and time per step), when the run folder
  /// of the model kept it (`cost.json`, written by `lichen watermark embed`).
  public var cost: TrainingCost?
  /// What the rows' `accuracy` holds: nil or "accuracy" for classifiers, "mIoU" for segmentation.
  public var metric: String?

  public init(label: String, modelFile: String, watermark: String?, key: WatermarkKey, extraction: TimingSummary,
              extractionFromFile: TimingSummary, rows: [AttackSweepRow], cost: TrainingCost? = nil,
              metric: String? = nil) {
    self.label = label
    self.modelFile = modelFile
    self.watermark = watermark
    code = key.code.description
    payloadBits = key.payloadBits
    codedBits = key.positions.count
    self.extraction = extraction
    self.extractionFromFile = extractionFromFile
    self.rows = rows
    self.cost = cost
    self.metric = metric
  }

  /// The task metric's name in tables and plots.
  public var metricName: String { metric ?? "accuracy" }

  /// Task accuracy of the unattacked model (the sweep's "none" row).
  public var cleanAccuracy: Double? { rows.first { $0.family == .none }?.accuracy }

  public enum Metric: String, Sendable, CaseIterable {
    case accuracy
    /// BER of the coded bits (what the detector sees).
    case bitErrorRate = "ber"

    public var title: String { self == .accuracy ? "test accuracy" : "bit error rate" }
    func value(_ row: AttackSweepRow) -> Double { self == .accuracy ? row.accuracy : row.bitErrorRate }
  }

  /// Families with a strength axis worth plotting (two or more strengths).
  public var plottableFamilies: [AttackFamily] {
    AttackFamily.allCases.filter { family in Set(rows.filter { $0.family == family }.map(\.strength)).count >= 2 }
  }

  /// metric against strength for one family, by strength; the clean model is
  /// the strength-0 point where strength 0 means no attack.
  public func curve(_ family: AttackFamily, _ metric: Metric) -> [(x: Double, y: Double)] {
    curve(family) { metric.value($0) }
  }

  /// Any value of the rows (e.g. a named metric) against strength for one family, as above.
  public func curve(_ family: AttackFamily, value: (AttackSweepRow) -> Double?) -> [(x: Double, y: Double)] {
    var points = rows.filter { $0.family == family }.compactMap { row in value(row).map { (x: row.strength, y: $0) } }
    if family.zeroIsClean, !points.contains(where: { $0.x == 0 }), let clean = rows.first(where: { $0.family == .none }),
      let y = value(clean)
    {
      points.append((0, y))
    }
    return points.sorted { $0.x < $1.x }
  }

  /// One series per evaluation (its label) for a family and metric: the side-by-side comparison.
  public static func curves(_ evaluations: [WatermarkEvaluation], family: AttackFamily,
                            metric: Metric) -> [(label: String, points: [(x: Double, y: Double)])] {
    evaluations.map { ($0.label, $0.curve(family, metric)) }.filter { !$0.points.isEmpty }
  }

  /// CSV of several evaluations: a method column, then the sweep columns.
  public static func csv(_ evaluations: [WatermarkEvaluation]) -> String {
    var lines: [String] = []
    for (i, evaluation) in evaluations.enumerated() {
      let table = AttackSweep.csv(evaluation.rows, label: evaluation.label).split(separator: "\n").map(String.init)
      lines += i == 0 ? table : Array(table.dropFirst())
    }
    return lines.joined(separator: "\n") + "\n"
  }

  public func write(to url: URL) throws {
    try PrettyJSON.write(self, to: url)
  }

  public static func read(from url: URL) throws -> WatermarkEvaluation {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw WatermarkError("cannot read evaluation \(url.path): \(error.localizedDescription)")
    }
    do {
      return try JSONDecoder().decode(WatermarkEvaluation.self, from: data)
    } catch {
      throw WatermarkError("\(url.path) is not a `lichen watermark evaluate` result: \(error)")
    }
  }
}
