import ArgumentParser
import Foundation
import Deployment
import Hardware
import Imaging

/// `lichen fpga simulate`: streams an image through a planned pipeline with
/// the integer engine's arithmetic and times it row by row (docs/fpga.md,
/// "Simulator").
struct FPGASimulate: ParsableCommand {
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
    try global.apply()
    let planned = try Plan.load(from: URL(fileURLWithPath: plan))
    let options = SimulationOptions(frames: frames, fifoRows: fifoRows, paced: paced, searchDepths: !noDepthSearch,
                                    threads: global.threads ?? 1)
    let report: SimulationReport
    if let image {
      let name = model ?? planned.model
      let loaded: HardwareModel
      do { loaded = try HardwareModel.load(name) } catch {
        throw HardwareError("cannot load the model \(name)\(model == nil ? " the plan was made from" : ""): \(error). "
          + "Pass --model with an integer model of the same architecture.")
      }
      guard case .integer(let weights) = loaded.weights else {
        throw HardwareError("\(name) is a float model; the simulator computes with the integer engine. Plan an integer model "
          + "(lichen fpga plan --model hyperprior-q4-hybrid ...) or pass --model with an integer model file from `lichen quantize`.")
      }
      try PipelineSimulator.checkModel(weights, configuration: loaded.configuration, source: loaded.source, plan: planned)
      let pixels = try PipelineSimulator.pixels(try PNGDecoder.read(fromFile: image).image, plan: planned, name: image)
      report = try PipelineSimulator.simulate(plan: planned, model: weights, pixels: pixels, imageName: image, options: options)
    } else {
      report = try PipelineSimulator.simulate(plan: planned, model: nil, pixels: nil, imageName: nil, options: options)
    }
    print(report.text, terminator: "")
    if image == nil { print("note: no --image: timing only, values not simulated") }
    if let json {
      try report.jsonData().write(to: URL(fileURLWithPath: json), options: .atomic)
      print("wrote \(json)")
    }
    if report.bitIdentical == false { throw ExitCode(1) }
  }
}
