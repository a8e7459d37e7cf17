import ArgumentParser
import Foundation
import Torch
import Watermarking

/// `lichen watermark secrecy`: how much of the key an attacker finds from the model alone.
struct WatermarkSecrecy: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "secrecy",
    abstract: "Rank every markable weight without the key (relative magnitude, robust outlier, repeated magnitude) and count the key positions in the top K against chance.")

  @OptionGroup var options: Watermark.FileOptions
  var global: GlobalOptions { options.global }
  @Option(help: "K values, comma-separated (default: 1x, 2x and 10x the key's positions).") var k: String?
  @Option(help: "Write the rows as JSON here.") var json: String?

  func run() throws {
    let (entries, key) = try options.load()
    let layers = try KeySecrecy.markable(stateDict: entries)
    let (rows, summary) = try KeySecrecy.report(layers: layers, key: key, ks: k.map { try parseList($0, "--k") })
    print(summary)
    print(KeySecrecy.table(rows))
    try writeFile(json) { try PrettyJSON.write(rows, to: $0) }
  }
}
