import Foundation
import LichenSerialization

/// What a results folder claims about its marked models and controls, so that anyone can check
/// the numbers (`lichen watermark check-manifest`): each entry names a model file, its key and
/// payload when it carries a mark, and the test metric claimed clean and after each attack.
public struct VerificationManifest: Codable, Sendable, Equatable {
  public struct Entry: Codable, Sendable, Equatable {
    /// What the model is (e.g. "ResNet18 width 0.5, WaterMAS alpha 10, seed 1").
    public var name: String
    /// Model file, relative to the manifest's folder.
    public var modelFile: String
    /// Key file relative to the manifest (nil: an unmarked control).
    public var keyFile: String?
    /// The payload as UTF-8 text (marked models).
    public var message: String?
    /// How the mark was made (method and settings, as the model file records them).
    public var method: String?
    /// The claimed test metric on the whole test split (a fraction in [0, 1]).
    public var testMetric: Double
    /// Claimed test metric after each attack, by attack spec (`AttackSetting.description`).
    public var attacks: [String: Double]
    /// Claimed detection after each attack (and "none": the unattacked model).
    public var detected: [String: Bool]
    /// Claimed detection by the realigning detector (`ChannelPermutation.realigned`) after the
    /// function-preserving attacks; nil when not claimed.
    public var realignedDetected: [String: Bool]?

    public init(name: String, modelFile: String, keyFile: String?, message: String?, method: String?,
                testMetric: Double, attacks: [String: Double] = [:], detected: [String: Bool] = [:]) {
      self.name = name
      self.modelFile = modelFile
      self.keyFile = keyFile
      self.message = message
      self.method = method
      self.testMetric = testMetric
      self.attacks = attacks
      self.detected = detected
    }
  }

  /// Seed of the attacks' randomness.
  public var attackSeed: UInt64
  /// The command that made the numbers.
  public var command: String
  public var entries: [Entry]

  public init(attackSeed: UInt64, command: String, entries: [Entry]) {
    self.attackSeed = attackSeed
    self.command = command
    self.entries = entries
  }

  public static func read(from url: URL) throws -> VerificationManifest {
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw WatermarkError("\(url.path): cannot be read") }
    do { return try JSONDecoder().decode(VerificationManifest.self, from: data) } catch {
      throw WatermarkError("\(url.path): not a verification manifest (\(error.localizedDescription))")
    }
  }

  public func write(to url: URL) throws {
    try PrettyJSON.write(self, to: url)
  }

  /// One claim against what was measured now.
  public struct Check: Sendable, Equatable {
    public var entry: String
    public var what: String
    public var claimed: String
    public var measured: String
    public var holds: Bool
  }

  /// Compares an entry's claims with the clean metric and sweep rows measured now; metrics within
  /// `tolerance` (absolute, as fractions) hold, detections must be equal.
  public static func compare(_ entry: Entry, measuredMetric: Double, rows: [AttackSweepRow], tolerance: Double) -> [Check] {
    func fraction(_ v: Double) -> String { String(format: "%.4f", v) }
    var checks = [Check(entry: entry.name, what: "test metric", claimed: fraction(entry.testMetric),
                        measured: fraction(measuredMetric), holds: abs(entry.testMetric - measuredMetric) <= tolerance)]
    let bySpec = Dictionary(rows.map { (AttackSetting($0.family, $0.strength).description, $0) }, uniquingKeysWith: { a, _ in a })
    for (spec, claimed) in entry.attacks.sorted(by: { $0.key < $1.key }) {
      let row = bySpec[spec]
      checks.append(Check(entry: entry.name, what: spec, claimed: fraction(claimed),
                          measured: row.map { fraction($0.accuracy) } ?? "not run",
                          holds: row.map { abs($0.accuracy - claimed) <= tolerance } ?? false))
    }
    for (spec, claimed) in entry.detected.sorted(by: { $0.key < $1.key }) {
      let row = bySpec[spec]
      checks.append(Check(entry: entry.name, what: "detected after \(spec)", claimed: "\(claimed)",
                          measured: row.map { "\($0.detected)" } ?? "not run", holds: row?.detected == claimed))
    }
    for (spec, claimed) in (entry.realignedDetected ?? [:]).sorted(by: { $0.key < $1.key }) {
      let measured = bySpec[spec]?.metrics?["realigned_detected"].map { $0 == 1 }
      checks.append(Check(entry: entry.name, what: "realigned detector after \(spec)", claimed: "\(claimed)",
                          measured: measured.map { "\($0)" } ?? "not run", holds: measured == claimed))
    }
    return checks
  }

  /// The attack settings an entry's claims need (always including the unattacked row).
  public static func settings(for entry: Entry) throws -> [AttackSetting] {
    var specs = Set(entry.attacks.keys).union(entry.detected.keys).union((entry.realignedDetected ?? [:]).keys)
    specs.insert("none")
    return try specs.sorted().map { try AttackSetting(spec: $0) }
  }
}
