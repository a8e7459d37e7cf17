import ArgumentParser
import Compression
import Foundation
import Deployment
import Hardware
import Torch

/// `lichen fpga dimension`: the widest student N that meets a frame rate on a board.
struct FPGADimension: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "dimension",
    abstract: "Plan the teacher at several student widths N on every board; report the widest N meeting --fps on --board.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var boardOptions: BoardOptions
  @Option(help: "Teacher: registry name, float model file or integer model file.") var teacher: String
  @Option(help: "Target board.") var board: String = "zcu102"
  @Option(help: "Frame size WIDTHxHEIGHT.") var resolution: String = "1280x720"
  @Option(help: "Frames per second to meet.") var fps: Double
  @Option(help: "Student widths N, comma-separated.") var widths: String = "16,32,48,64,96,128"
  @Option(help: "encoder, decoder or full.") var part: PipelinePart = .encoder
  @Option(help: "Quantization scheme (default: the teacher's recorded scheme, else int8-s16).") var scheme: String?
  @Option(help: "Clock in MHz on the target board (default: the board's).") var clock: Double?
  @Option(help: "Fraction of each resource a plan may use.") var maxUtilization: Double = 1
  @Option(help: "distill-sweep result (runs/.../sweep.json) for the RD columns.") var rd: String?
  @Option(help: "BD-rate table of the schemes against float (lichen rd-plot --table, e.g. docs/results/integer/bd-vs-float.csv): prints what the scheme's bits cost.")
  var bitsPrice: String?
  @Option(help: "Write the result as JSON here.") var json: String?

  func run() throws {
    let boards = try boardOptions.catalog()
    let target = try BoardCatalog.board(named: board, in: boards)
    let ns = try parseList(widths, "--widths")
    guard !ns.isEmpty, !ns.contains(0) else { throw ValidationError("--widths expects positive integers, got '\(widths)'") }
    let model = try HardwareModel.load(teacher)
    let (studentRD, warnings) = try StudentRD.forDimensioning(
      sweepFile: rd.map { URL(fileURLWithPath: $0) }, teacher: model, widths: ns, scheme: scheme)
    warnings.forEach { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }
    let (result, _) = try Dimensioning.run(
      teacher: model, widths: ns, board: target, boards: boards, resolution: try Resolution(parsing: resolution), part: part,
      fps: fps, scheme: scheme, unitCosts: try UnitCosts.bundled(),
      options: PlannerOptions(clockMHz: clock, maxUtilization: maxUtilization), rd: studentRD,
      bitsPriceTable: bitsPrice)
    print(Dimensioning.text(result), terminator: "")
    try writeFile(json) { try PrettyJSON.write(result, to: $0) }
  }
}
