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
