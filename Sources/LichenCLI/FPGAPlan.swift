import ArgumentParser
import Foundation
import Deployment
import Hardware

/// `lichen fpga plan`: the optimal per-stage parallelism of a model on a board.
struct FPGAPlan: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Plan a one-stage-per-layer pipeline: per-layer parallelism, bottleneck, fps, latency, utilization, MAC efficiency.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var boardOptions: BoardOptions
  @Option(help: "Registry name, float model file or integer model file (lichen quantize).") var model: String
  @Option(help: "Board name (lichen fpga boards).") var board: String = "zcu102"
  @Option(help: "Frame size WIDTHxHEIGHT (padded to multiples of 64 like the codec).") var resolution: String = "1280x720"
  @Option(help: "encoder (g_a, h_a, h_s, scale index), decoder (h_s, scale index, g_s) or full.") var part: PipelinePart = .encoder
  @Option(help: "Clock in MHz (default: the board's).") var clock: Double?
  @Option(help: "Quantization scheme for float models (default int8-s16: every product 8x8; integer models carry their own bits).") var scheme: String?
  @Option(help: "Fraction of each resource the plan may use, e.g. 0.9.") var maxUtilization: Double = 1
  @Option(help: "Output FIFO depth per stage in rows, or auto: per edge, the smallest depth the simulator finds for the plan (no deadlock, full throughput).")
  var fifoRows: String = "auto"
  @Option(help: "Weight memory: bram or uram (default: the faster of the two the board has).") var weights: WeightMemory?
  @Option(help: "Write the plan as JSON here.") var json: String?
  @Option(help: "Write an SVG chart (cycles per stage, utilization) here.") var svg: String?

  func run() throws {
    let boards = try boardOptions.catalog()
    let target = try BoardCatalog.board(named: board, in: boards)
    let graph = try HardwareModel.load(model).graph(scheme: scheme, resolution: try Resolution(parsing: resolution), part: part)
    guard let options = PlannerOptions(clockMHz: clock, maxUtilization: maxUtilization, fifoRowsOrAuto: fifoRows,
                                       weightMemory: weights) else {
      throw ValidationError("--fifo-rows must be auto or a number of rows >= 0, got \(fifoRows)")
    }
    let plan = try Planner.plan(graph, board: target, unitCosts: try UnitCosts.bundled(), options: options)
    print(PlanReport.text(plan), terminator: "")
    try writeFile(json) { try plan.write(to: $0) }
    try writeFile(svg) { try PlanReport.writeSVG(plan, to: $0) }
  }
}

extension WeightMemory: ExpressibleByArgument {}
