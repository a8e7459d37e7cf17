import ArgumentParser
import Foundation
import Deployment
import Hardware

/// `lichen fpga simulate`: streams an image through a planned pipeline with
/// the integer engine's arithmetic and times it row by row (docs/fpga.md,
/// "Simulator").
struct FPGASimulate: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Cycle-level pipeline simulation of a plan: bit-exactness vs the integer engine, cycles vs the planner, stalls, FIFO depths.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "A plan from `lichen fpga plan --json`.") var plan: String
  @Option(help: "PNG image of the plan's resolution (its size padded to multiples of 64 must be the plan's).") var image: String?
  @Option(help: "Integer model (registry name or file) to compute with (default: the plan's model).") var model: String?
  @Option(help: "Frames streamed back to back (the steady state is the interval between the last two).") var frames: Int = 3
  @Option(help: "FIFO rows on every edge on top of the line buffers, overriding the plan's per-edge depths (default: the plan's, rounded up).") var fifoRows: Int?
  @Flag(help: "Input rows arrive from a camera at the planned frame rate (default: from memory, as fast as taken).") var paced = false
  @Flag(help: "Skip the search for the smallest FIFO depths.") var noDepthSearch = false
  @Option(help: "Write the report as JSON here.") var json: String?

  func run() throws {
    let planned = try Plan.load(from: URL(fileURLWithPath: plan))
    let options = SimulationOptions(frames: frames, fifoRows: fifoRows, paced: paced, searchDepths: !noDepthSearch,
                                    threads: global.threads ?? 1)
    let report = try PipelineSimulator.simulate(plan: planned, imagePath: image, model: model, options: options)
    print(report.text, terminator: "")
    if image == nil { print("note: no --image: timing only, values not simulated") }
    try writeFile(json) { try report.jsonData().write(to: $0, options: .atomic) }
    if report.bitIdentical == false { throw ExitCode(1) }
  }
}
