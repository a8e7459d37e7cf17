import Foundation
import Watermarking

extension VerificationManifest {
  /// Measures an entry again on its model file (next to the manifest in `folder`): the clean task metric and,
  /// for a marked model, the attack rows of its claims.
  /// - Parameter data: the dataset folder (default: the dataset's usual place).
  public func measure(_ entry: Entry, folder: URL, data: URL?) throws
    -> (metric: TaskMetric, measured: Double, rows: [AttackSweepRow])
  {
    let task = try VisionAttackTask.forModelFile(folder.appendingPathComponent(entry.modelFile), data: data, evalLimit: nil,
                                                 seed: attackSeed)
    guard let keyFile = entry.keyFile else { return (task.metric, try task.load().evaluate(), []) }
    let key = try WatermarkKey.read(from: folder.appendingPathComponent(keyFile))
    let rows = try AttackSweep.run(try Self.settings(for: entry), load: task.load, key: key,
                                   expected: Payload.bits(of: entry.message ?? ""), seed: attackSeed)
    return (task.metric, rows.first { $0.family == .none }?.accuracy ?? .nan, rows)
  }
}

extension VerificationManifest.Entry {
  /// The entry with what was measured as its claims: the clean metric, each attack's metric, whether the mark
  /// was detected after it and, where the realigning detector ran, whether it kept the mark.
  public func recording(measured: Double, rows: [AttackSweepRow]) -> Self {
    var updated = self
    updated.testMetric = measured
    for row in rows {
      let setting = AttackSetting(row.family, row.strength).description
      if row.family != .none { updated.attacks[setting] = row.accuracy }
      updated.detected[setting] = row.detected
      if let realigned = row.metrics?["realigned_detected"] {
        updated.realignedDetected = (updated.realignedDetected ?? [:]).merging([setting: realigned == 1]) { _, new in new }
      }
    }
    return updated
  }
}

extension VerificationManifest {
  /// Measures every entry again (`measure`, model files next to the manifest in `folder`): with `record` the
  /// measurements become the entries' claims (`Entry.recording`), otherwise each claim is compared with its
  /// measurement (`compare`).
  /// - Parameters:
  ///   - data: the dataset folder (default: the dataset's usual place).
  ///   - onRecorded: each entry recorded, with its task metric and the value measured.
  ///   - onCheck: each claim compared.
  /// - Returns: the number of claims that do not hold (0 when recording).
  public mutating func verify(folder: URL, data: URL?, tolerance: Double, record: Bool,
                              onRecorded: (Entry, TaskMetric, Double) -> Void, onCheck: (Check) -> Void) throws -> Int {
    var failures = 0
    for (index, entry) in entries.enumerated() {
      let (metric, measured, rows) = try measure(entry, folder: folder, data: data)
      if record {
        entries[index] = entry.recording(measured: measured, rows: rows)
        onRecorded(entry, metric, measured)
        continue
      }
      for check in Self.compare(entry, measuredMetric: measured, rows: rows, tolerance: tolerance) {
        if !check.holds { failures += 1 }
        onCheck(check)
      }
    }
    return failures
  }
}
