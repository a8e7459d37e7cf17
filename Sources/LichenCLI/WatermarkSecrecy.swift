import ArgumentParser
import Foundation
import Torch
import Watermarking

/// `lichen watermark secrecy`: how much of the key an attacker finds from the model alone.
struct WatermarkSecrecy: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "secrecy",
    abstract: "Rank every markable weight without the key (relative magnitude, robust outlier, repeated magnitude) and count the key positions in the top K against chance.")

  @OptionGroup var options: Watermark.FileOptions
  @Option(help: "K values, comma-separated (default: 1x, 2x and 10x the key's positions).") var k: String?
  @Option(help: "Write the rows as JSON here.") var json: String?

  func run() throws {
    let (entries, key) = try options.load()
    let layers = try KeySecrecy.markable(entries.map { name, record in
      (name, record.dtype.isFloatingPoint ? try record.floats() : try record.integers().map(Float.init), record.shape)
    })
    let positions = key.positions.count
    let ks = try k.map { try parseList($0, "--k") } ?? [positions, 2 * positions, 10 * positions]
    let rows = try KeySecrecy.analyze(layers: layers, key: key, ks: ks)
    let candidates = rows.first?.candidates ?? 0
    print("\(positions) key positions among \(candidates) markable weights (\(layers.count) layers)")
    print("statistic            K        hits   chance   hit rate")
    for r in rows {
      let name = r.statistic.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
      print(name + " " + String(format: "%-8d %-6d %-8.2f %.3f", r.k, r.hits, r.chance, r.hitRate))
    }
    if let json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(rows).write(to: URL(fileURLWithPath: json), options: .atomic)
      print("wrote \(json)")
    }
  }
}
