import ArgumentParser
import Foundation
import Vision
import Watermarking

/// `lichen watermark check-manifest`: re-measure every claim of a results manifest (models, keys,
/// test metric clean and after each attack) and say which hold; `--record` writes the measured
/// numbers into it instead.
struct WatermarkCheckManifest: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "check-manifest",
    abstract: "Re-measure a verification manifest's claims (test metric, attacks, detection) on its committed models; exit 1 when one does not hold.")

  @OptionGroup var global: GlobalOptions
  @Argument(help: "The manifest (e.g. docs/results/watermarking/verify.json).") var manifest: String
  @Option(help: "Dataset folder (default: the dataset's usual place).") var data: String?
  @Option(help: "Largest absolute difference of a metric (as a fraction) that still holds.") var tolerance = 0.0005
  @Flag(help: "Measure and write the claims into the manifest instead of checking them.") var record = false

  func run() throws {
    let url = URL(fileURLWithPath: manifest)
    var document = try VerificationManifest.read(from: url)
    let failures = try document.verify(
      folder: url.deletingLastPathComponent(), data: data.map { URL(fileURLWithPath: $0) }, tolerance: tolerance,
      record: record, onRecorded: { entry, metric, measured in
        say(String(format: "%@: %@ %.4f", entry.name, metric.rawValue, measured))
      }, onCheck: { check in
        say("\(check.holds ? "holds" : "DIFFERS")  \(check.entry): \(check.what): claimed \(check.claimed), measured \(check.measured)")
      })
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
