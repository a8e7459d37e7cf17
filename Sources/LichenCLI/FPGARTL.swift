import ArgumentParser
import Foundation
import Hardware

extension GDNUnitConfig.Variant: ExpressibleByArgument {}
extension RTLRequest.Unit: ExpressibleByArgument {}

/// `lichen fpga rtl`: Verilog for the PE array, the GDN unit or the packed
/// two-product MAC, checked bit for bit against the integer engine in Icarus
/// Verilog and sized with Yosys (docs/fpga-rtl.md). `--unit costs` measures every unit the planner's cost
/// model needs and writes them in its unit-cost format.
struct FPGARTL: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "rtl",
    abstract: "Generate Verilog for a PE array, the GDN unit or the packed MAC, compare it with the integer engine (Icarus Verilog), synthesize it (Yosys).",
    discussion: """
      --unit pe: a PI x PO convolution PE array with per-lane requantizers (--leaky-relu: and a LeakyReLU \
      unit after each); --unit gdn: the GDN normalization \
      unit (--variant standard, inverse, simplified, inverse-simplified or all); --unit packed: two products \
      a*w1 and a*w2 with one DSP48E2 multiply (WP486 int8 packing), groups of up to --beats beats; \
      --unit costs: synthesize the 8x8, 16x8 and 16x16 PE lanes, the requantizer, the standard GDN unit and \
      the stage controller and write the planner's unit-cost file to --json. Needs iverilog/vvp (Debian package iverilog) and yosys.
      """)

  @Option(help: "pe, gdn, packed or costs.") var unit: RTLRequest.Unit
  @Option(help: "GDN variant: standard, inverse, simplified, inverse-simplified or all.") var variant: String = "standard"
  @Option(help: "PE array input lanes.") var pi = 4
  @Option(help: "PE array output lanes.") var po = 4
  @Option(help: "Weight bits (PE array, packed MAC).") var weightBits = 8
  @Option(help: "Activation bits (PE array input; GDN x; packed MAC a; default 8 for pe and packed, 16 for gdn).")
  var activationBits: Int?
  @Option(help: "Packed MAC: beats accumulated per group (default: the most that stays exact, 7 at 8x8).") var beats: Int?
  @Option(help: "Output activation bits (default: the activation bits).") var outputBits: Int?
  @Option(help: "Accumulator bits (default: activation + weight + 16).") var accBits: Int?
  @Option(help: "Bias bits (default: the accumulator bits; 64 = the engine's full Int64).") var biasBits: Int?
  @Option(help: "Signed bits of the requantization shift.") var shiftBits = 8
  @Flag(help: "PE array: a LeakyReLU unit after each requantizer (the mean-scale hyperprior's h_a and h_s).")
  var leakyRelu = false
  @Option(help: "GDN table index bits.") var indexBits = 6
  @Option(help: "GDN table fraction bits.") var fractionBits = 16
  @Option(help: "Folder for the Verilog, testbench, simulation and synthesis files.") var out: String
  @Option(help: "Random vectors per unit (0: no simulation).") var vectors = 100_000
  @Option(help: "Seed of the random vectors.") var seed: UInt64 = 1
  @Flag(help: "Also synthesize with Yosys synth_xilinx (UltraScale+) and report LUT/FF/DSP/BRAM.") var synthesize = false
  @Option(help: "Write the report (or, for --unit costs, the unit-cost file) as JSON here.") var json: String?
  @Option(help: "--unit costs: also write the full synthesis details as JSON here.") var details: String?

  @OptionGroup var global: GlobalOptions

  func run() throws {
    let command = (["lichen", "fpga", "rtl"] + CommandLine.arguments.dropFirst().drop { $0 == "fpga" || $0 == "rtl" })
      .joined(separator: " ")
    var request = RTLRequest(
      inputLanes: pi, outputLanes: po, weightBits: weightBits, activationBits: activationBits, beats: beats,
      outputBits: outputBits, accumulatorBits: accBits, biasBits: biasBits, shiftBits: shiftBits, indexBits: indexBits,
      fractionBits: fractionBits, vectors: vectors, seed: seed, synthesize: synthesize,
      directory: URL(fileURLWithPath: out), command: command)
    request.leakyReLU = leakyRelu
    guard let outcome = try request.run(unit, variant: variant, log: { print($0) }) else {
      throw ValidationError("--variant must be standard, inverse, simplified, inverse-simplified or all, got \(variant)")
    }
    switch outcome {
    case .unitCosts(let measurement):
      if let json { try write(RTLReport.json(measurement.costs), to: json) }
      if let details { try write(RTLReport.json(measurement), to: details) }
    case .unit(let report):
      if let json { try write(RTLReport.json(report), to: json) }
      report.mismatchLines().forEach { print($0) }
      guard report.passed else { throw ExitCode(1) }
      if vectors > 0 { print("bit-exact with the integer engine") }
    }
  }

  func write(_ data: Data, to path: String) throws {
    do { try data.write(to: URL(fileURLWithPath: path)) } catch { throw ValidationError("cannot write \(path): \(error)") }
    print("wrote \(path)")
  }
}
