import Foundation
import Reporting
import Torch

/// The payload / imperceptibility / robustness / cost trade-off of one or
/// more insertion methods: for each payload size, a model trained with the
/// same budget and seed as an unmarked reference, its clean accuracy
/// (imperceptibility: the drop against the reference), its BER under a few
/// attacks (robustness) and what its training cost (passes, wall time).
///
/// The sweep is long (one training per method and payload), so the report
/// is rewritten after every run and `lichen watermark tradeoff --resume`
/// skips what it already holds; `settings` records everything that must not
/// change between the runs of one report.
public struct PayloadTradeoff: Codable, Sendable, Equatable {
  /// One marked model of the sweep.
  public struct Entry: Codable, Sendable, Equatable {
    /// The insertion method (`lichen watermark embed --method`).
    public var method: String
    public var payloadBits: Int
    /// Marked weights (payload bits after the error-correcting code).
    public var codedBits: Int
    /// The sweep's rows: the unattacked model first, then each attack setting.
    public var rows: [AttackSweepRow]
    public var cost: TrainingCost
    /// Reading the mark from the loaded model.
    public var extraction: TimingSummary

    public init(method: String, payloadBits: Int, codedBits: Int, rows: [AttackSweepRow], cost: TrainingCost,
                extraction: TimingSummary) {
      self.method = method
      self.payloadBits = payloadBits
      self.codedBits = codedBits
      self.rows = rows
      self.cost = cost
      self.extraction = extraction
    }

    /// Test accuracy of the unattacked marked model.
    public var accuracy: Double? { rows.first { $0.family == .none }?.accuracy }
    /// Coded-bit BER of the unattacked marked model (0 unless the training broke the mark).
    public var bitErrorRate: Double? { rows.first { $0.family == .none }?.bitErrorRate }

    /// The row of one attack setting.
    public func row(_ setting: AttackSetting) -> AttackSweepRow? {
      rows.first { $0.family == setting.family && $0.strength == setting.strength }
    }
  }

  /// The unmarked model trained with the same budget and seed.
  public struct Reference: Codable, Sendable, Equatable {
    public var accuracy: Double
    public var cost: TrainingCost
    public init(accuracy: Double, cost: TrainingCost) {
      self.accuracy = accuracy
      self.cost = cost
    }
  }

  public var version = 1
  /// What defines the runs (model, data, budget, seeds, code, method options, attacks), as the
  /// command's option names and values; a resumed sweep must match it.
  public var settings: [String: String]
  /// The attack settings each entry was measured under, as `AttackSetting` specs.
  public var attacks: [String]
  public var reference: Reference?
  public var entries: [Entry]

  public init(settings: [String: String], attacks: [AttackSetting]) {
    self.settings = settings
    self.attacks = attacks.map(\.description)
    reference = nil
    entries = []
  }

  public func entry(method: String, payloadBits: Int) -> Entry? {
    entries.first { $0.method == method && $0.payloadBits == payloadBits }
  }

  /// Adds an entry, replacing one of the same method and payload; entries stay grouped by method
  /// (in order of first appearance) and sorted by payload.
  public mutating func record(_ entry: Entry) {
    entries.removeAll { $0.method == entry.method && $0.payloadBits == entry.payloadBits }
    entries.append(entry)
    var methods: [String] = []
    for e in entries where !methods.contains(e.method) { methods.append(e.method) }
    entries.sort { a, b in
      let (i, j) = (methods.firstIndex(of: a.method) ?? 0, methods.firstIndex(of: b.method) ?? 0)
      return i != j ? i < j : a.payloadBits < b.payloadBits
    }
  }

  /// Throws unless a sweep with `settings` may continue this report (lists what differs).
  public func checkResumable(settings other: [String: String]) throws {
    let keys = Set(settings.keys).union(other.keys).sorted()
    let differing = keys.filter { settings[$0] != other[$0] }
    guard differing.isEmpty else {
      let list = differing.map { "\($0): \(settings[$0] ?? "-") -> \(other[$0] ?? "-")" }.joined(separator: "; ")
      throw WatermarkError("the report was made with other settings (\(list)); choose another output folder")
    }
  }

  /// Accuracy lost to the mark: reference accuracy minus the marked model's (positive = worse).
  public func accuracyDrop(_ entry: Entry) -> Double? {
    guard let reference, let accuracy = entry.accuracy else { return nil }
    return reference.accuracy - accuracy
  }

  /// Wall time per step of the marked training over the unmarked one.
  public func slowdown(_ entry: Entry) -> Double? {
    guard let marked = entry.cost.secondsPerStep, let plain = reference?.cost.secondsPerStep, plain > 0 else { return nil }
    return marked / plain
  }

  /// A random payload of `bits` bits, the same for every method and run with one seed.
  public static func randomPayload(bits: Int, seed: UInt64) throws -> [Bool] {
    guard bits > 0 else { throw WatermarkError("a payload needs at least one bit (got \(bits))") }
    var rng = SplitMix64(seed: seed, stream: 0x7061_796C_6F61_64, step: bits)  // "payload"
    return (0..<bits).map { _ in rng.next() >> 63 == 1 }
  }

  /// What a plot of the trade-off shows on its y axis.
  public enum Metric: Sendable, Equatable {
    /// Clean test accuracy (the reference is a flat series).
    case accuracy
    /// Reference accuracy minus marked accuracy.
    case accuracyDrop
    /// Coded-bit BER after one attack setting.
    case bitErrorRate(AttackSetting)
    /// Test accuracy after one attack setting.
    case attackedAccuracy(AttackSetting)
    /// Wall time of a training step (the reference is a flat series).
    case secondsPerStep
    /// Backward passes per training step (the reference: 1).
    case backwardPassesPerStep

    public var title: String {
      switch self {
      case .accuracy: return "test accuracy"
      case .accuracyDrop: return "accuracy drop vs unmarked"
      case .bitErrorRate(let s): return "bit error rate after \(s)"
      case .attackedAccuracy(let s): return "test accuracy after \(s)"
      case .secondsPerStep: return "seconds per training step"
      case .backwardPassesPerStep: return "backward passes per step"
      }
    }
  }

  /// Label of the unmarked reference in plots and tables.
  public static let referenceLabel = "unmarked"

  /// One series per method against log2(payload bits); for accuracy and cost metrics also the
  /// unmarked reference as a flat series over the same payloads.
  public func curves(_ metric: Metric) -> [(label: String, points: [(x: Double, y: Double)])] {
    var methods: [String] = []
    for e in entries where !methods.contains(e.method) { methods.append(e.method) }
    func value(_ e: Entry) -> Double? {
      switch metric {
      case .accuracy: return e.accuracy
      case .accuracyDrop: return accuracyDrop(e)
      case .bitErrorRate(let s): return e.row(s)?.bitErrorRate
      case .attackedAccuracy(let s): return e.row(s)?.accuracy
      case .secondsPerStep: return e.cost.secondsPerStep
      case .backwardPassesPerStep: return e.cost.backwardPassesPerStep
      }
    }
    var result = methods.map { method in
      (label: method, points: entries.filter { $0.method == method }.compactMap { e in
        value(e).map { (x: Foundation.log2(Double(e.payloadBits)), y: $0) }
      })
    }
    let flat: Double?
    switch metric {
    case .accuracy: flat = reference?.accuracy
    case .secondsPerStep: flat = reference?.cost.secondsPerStep
    case .backwardPassesPerStep: flat = reference?.cost.backwardPassesPerStep
    default: flat = nil
    }
    if let flat {
      let xs = Set(entries.map { Foundation.log2(Double($0.payloadBits)) }).sorted()
      result.append((Self.referenceLabel, xs.map { (x: $0, y: flat) }))
    }
    return result.filter { !$0.points.isEmpty }
  }

  /// One line per run: the reference (payload 0), then every entry; per attack setting its BER and accuracy.
  public func csv() -> String {
    let settings = attacks.compactMap { try? AttackSetting(spec: $0) }
    var header = "method,payload_bits,coded_bits,accuracy,reference_accuracy,accuracy_drop,ber,"
      + "forward_passes_per_step,backward_passes_per_step,seconds_per_step,pass_seconds_per_step,slowdown,extraction_ms"
    for s in settings { header += ",ber@\(s),accuracy@\(s)" }
    func field(_ v: Double?) -> String { v.map { "\($0)" } ?? "" }
    func costFields(_ c: TrainingCost) -> String {
      [c.forwardPassesPerStep, c.backwardPassesPerStep, c.secondsPerStep, c.passSecondsPerStep].map(field).joined(separator: ",")
    }
    var lines = [header]
    if let reference {
      lines.append("\(Self.referenceLabel),0,0,\(reference.accuracy),\(reference.accuracy),0,,\(costFields(reference.cost)),1,"
        + String(repeating: ",", count: 2 * settings.count))
    }
    for e in entries {
      var line = "\(CSV.field(e.method)),\(e.payloadBits),\(e.codedBits),\(field(e.accuracy)),"
        + "\(field(reference?.accuracy)),\(field(accuracyDrop(e))),\(field(e.bitErrorRate)),\(costFields(e.cost)),"
        + "\(field(slowdown(e))),\(1000 * e.extraction.median)"
      for s in settings { line += ",\(field(e.row(s)?.bitErrorRate)),\(field(e.row(s)?.accuracy))" }
      lines.append(line)
    }
    return lines.joined(separator: "\n") + "\n"
  }

  public func write(to url: URL) throws {
    try PrettyJSON.write(self, to: url)
  }

  public static func read(from url: URL) throws -> PayloadTradeoff {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw WatermarkError("cannot read trade-off report \(url.path): \(error.localizedDescription)")
    }
    do {
      return try JSONDecoder().decode(PayloadTradeoff.self, from: data)
    } catch {
      throw WatermarkError("\(url.path) is not a `lichen watermark tradeoff` report: \(error)")
    }
  }
}
