import ArgumentParser
import Foundation
import Hardware

/// `lichen fpga ...`: board catalog, pipeline planner, auto-dimensioning and
/// HLS export (docs/fpga.md).
struct FPGA: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fpga", abstract: "Plan a pipelined FPGA design for a codec model (docs/fpga.md).",
    subcommands: [FPGABoards.self, FPGAPlan.self, FPGADimension.self, FPGAExportHLS.self, FPGASimulate.self, FPGARTL.self])
}

/// `--boards FILE`: the catalog with the user's boards added.
struct BoardOptions: ParsableArguments {
  @Option(help: "Extra board catalog (JSON, same format as the bundled one); its boards replace bundled ones of the same name.")
  var boards: String?

  func catalog() throws -> [Board] { try BoardCatalog.catalog(userFile: boards.map { URL(fileURLWithPath: $0) }) }
}

extension PipelinePart: ExpressibleByArgument {}

/// `lichen fpga boards`.
struct FPGABoards: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "boards", abstract: "List the FPGA boards the planner knows.")

  @OptionGroup var boardOptions: BoardOptions
  @Flag(help: "Print the catalog as JSON.") var json = false

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try global.apply()
    let boards = try boardOptions.catalog()
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(boards), as: UTF8.self))
      return
    }
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    print(pad("name", 12) + pad("part", 22) + pad("DSP", 14) + pad("BRAM36", 8) + pad("URAM", 6) + pad("LUT", 9) + pad("FF", 9)
      + pad("clock", 9) + "description")
    for b in boards {
      print(pad(b.name, 12) + pad(b.part, 22) + pad("\(b.dsp) \(b.dspKind.rawValue)", 14) + pad("\(b.bram36)", 8)
        + pad("\(b.uram)", 6) + pad("\(b.lut)", 9) + pad("\(b.ff)", 9) + pad(String(format: "%.0f MHz", b.clockMHz), 9)
        + b.description)
    }
    print("sources:")
    for b in boards { print("  \(b.name): \(b.source)") }
  }
}
