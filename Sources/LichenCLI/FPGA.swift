import ArgumentParser
import Foundation
import Hardware
import LichenSerialization

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
struct FPGABoards: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(commandName: "boards", abstract: "List the FPGA boards the planner knows.")

  @OptionGroup var boardOptions: BoardOptions
  @Flag(help: "Print the catalog as JSON.") var json = false

  @OptionGroup var global: GlobalOptions

  func run() throws {
    let boards = try boardOptions.catalog()
    if json {
      print(String(decoding: try PrettyJSON.encode(boards), as: UTF8.self))
      return
    }
    print(BoardCatalog.table(boards))
  }
}
