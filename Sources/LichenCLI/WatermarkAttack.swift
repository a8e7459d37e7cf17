import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark attack`: every removal attack at several strengths on a
/// marked classifier; one row per setting with task accuracy, BER and the
/// detector's verdict (JSON and CSV). The sweep is `AttackSweep`.
struct WatermarkAttack: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "attack",
    abstract: "Sweep noise, pruning (per layer, global), quantization, fine-tuning, overwriting and key-interception (randomize, flip, zero, fine-tune) attacks on a marked classifier.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var sweep: AttackSweepOptions
  @Option(help: "Write the rows here as JSON.") var json: String?
  @Option(help: "Write the rows here as CSV.") var csv: String?

  func run() throws {
    let (task, key, expected) = try sweep.load()
    let rows = try AttackSweep.run(try sweep.settings(), load: task.load, key: key, expected: expected, seed: sweep.seed,
                                   onRow: { say($0.line) })
    if let json { try PrettyJSON.write(rows, to: URL(fileURLWithPath: json)) }
    if let csv { try Data(AttackSweep.csv(rows).utf8).write(to: URL(fileURLWithPath: csv), options: .atomic) }
  }
}
