import ArgumentParser
import Foundation
import Vision
import Watermarking

/// `lichen watermark check-manifest`: re-measure every claim of a results manifest (models, keys,
/// test metric clean and after each attack) and say which hold; `--record` writes the measured
/// numbers into it instead.
struct WatermarkCheckManifest: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-manifest",
    abstract: "Re-measure a verification manifest's claims (test metric, attacks, detection) on its committed models; exit 1 when one does not hold.")

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The manifest (e.g. docs/results/watermarking/verify.json).") var manifest: String
  @Option(help: "Dataset folder (default: the dataset's usual place).") var data: String?
  @Option(help: "Largest absolute difference of a metric (as a fraction) that still holds.") var tolerance = 0.0005
  @Flag(help: "Measure and write the claims into the manifest instead of checking them.") var record = false

  func run() throws {
    try global.apply()
    let url = URL(fileURLWithPath: manifest)
    var document = try VerificationManifest.read(from: url)
    let folder = url.deletingLastPathComponent()
    var failures = 0
    for (index, entry) in document.entries.enumerated() {
      let task = try VisionAttackTask.forModelFile(
        folder.appendingPathComponent(entry.modelFile), data: data.map { URL(fileURLWithPath: $0) }, evalLimit: nil,
        seed: document.attackSeed)
      let measured: Double
      var rows: [AttackSweepRow] = []
      if let keyFile = entry.keyFile {
        let key = try WatermarkKey.read(from: folder.appendingPathComponent(keyFile))
        let expected = Payload.bits(of: entry.message ?? "")
        rows = try AttackSweep.run(try VerificationManifest.settings(for: entry), load: task.load, key: key,
                                   expected: expected, seed: document.attackSeed)
        measured = rows.first { $0.family == .none }?.accuracy ?? .nan
      } else {
        measured = try task.load().evaluate()
      }
      if record {
        var updated = entry
        updated.testMetric = measured
        for row in rows where row.family != .none {
          updated.attacks[AttackSetting(row.family, row.strength).description] = row.accuracy
        }
        for row in rows { updated.detected[AttackSetting(row.family, row.strength).description] = row.detected }
        for row in rows {
          if let realigned = row.metrics?["realigned_detected"] {
            updated.realignedDetected = (updated.realignedDetected ?? [:])
              .merging([AttackSetting(row.family, row.strength).description: realigned == 1]) { _, new in new }
          }
        }
        document.entries[index] = updated
        say(String(format: "%@: %@ %.4f", entry.name, task.metric.rawValue, measured))
        continue
      }
      for check in VerificationManifest.compare(entry, measuredMetric: measured, rows: rows, tolerance: tolerance) {
        if !check.holds { failures += 1 }
        say("\(check.holds ? "holds" : "DIFFERS")  \(check.entry): \(check.what): claimed \(check.claimed), measured \(check.measured)")
      }
    }
    if record {
      try document.write(to: url)
      say("wrote the measured claims into \(manifest)")
    } else if failures > 0 {
      throw WatermarkError("\(failures) claim(s) of \(manifest) do not hold")
    } else {
      say("every claim of \(manifest) holds")
    }
  }
}
