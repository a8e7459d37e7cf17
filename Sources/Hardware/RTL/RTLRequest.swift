import Foundation

/// Everything `lichen fpga rtl` asks for, before each unit's defaults apply, so
/// the command only parses options and renders the outcome: the widths of every
/// unit kind (activations default to 8 bits for the PE array and the packed MAC,
/// 16 for the GDN unit), the simulation and synthesis settings, the folder and
/// the command line recorded in the reports.
public struct RTLRequest: Sendable {
  /// The unit kinds: one of the three units, or `costs`, every unit the planner's cost model needs.
  public enum Unit: String, Sendable, CaseIterable { case pe, gdn, packed, costs }

  public var inputLanes: Int
  public var outputLanes: Int
  public var weightBits: Int
  /// nil: 8 bits for the PE array and the packed MAC, 16 for the GDN unit.
  public var activationBits: Int?
  /// Packed MAC beats per group (nil: the most that stays exact).
  public var beats: Int?
  /// nil: the activation bits.
  public var outputBits: Int?
  /// nil: activation + weight + 16 bits.
  public var accumulatorBits: Int?
  /// nil: the accumulator bits.
  public var biasBits: Int?
  public var shiftBits: Int
  /// The PE array with a LeakyReLU unit after each requantizer (`lichen_leaky`).
  public var leakyReLU = false
  public var indexBits: Int
  public var fractionBits: Int
  /// Random vectors per unit (0: no simulation).
  public var vectors: Int
  public var seed: UInt64
  public var synthesize: Bool
  public var directory: URL
  /// The command line, recorded in the report (and, for `costs`, in the unit-cost file's source).
  public var command: String

  public init(inputLanes: Int, outputLanes: Int, weightBits: Int, activationBits: Int?, beats: Int?, outputBits: Int?,
              accumulatorBits: Int?, biasBits: Int?, shiftBits: Int, indexBits: Int, fractionBits: Int, vectors: Int,
              seed: UInt64, synthesize: Bool, directory: URL, command: String) {
    self.inputLanes = inputLanes
    self.outputLanes = outputLanes
    self.weightBits = weightBits
    self.activationBits = activationBits
    self.beats = beats
    self.outputBits = outputBits
    self.accumulatorBits = accumulatorBits
    self.biasBits = biasBits
    self.shiftBits = shiftBits
    self.indexBits = indexBits
    self.fractionBits = fractionBits
    self.vectors = vectors
    self.seed = seed
    self.synthesize = synthesize
    self.directory = directory
    self.command = command
  }

  /// What one request produced.
  public enum Outcome: Sendable {
    /// `costs`: the planner's unit costs and every synthesis behind them (`RTLUnitCosts.measure`).
    case unitCosts(UnitCostMeasurement)
    /// One unit kind, compared with the integer engine and synthesized as asked (`RTLReport.run`).
    case unit(RTLReport)
  }

  /// Builds the configurations of `unit` and runs it: writes the Verilog, simulates and synthesizes as asked.
  /// - Parameters:
  ///   - unit: The unit kind.
  ///   - variant: The GDN variant's name, or "all" (`GDNUnitConfig.Variant.named`); read for `pe` and `gdn` only,
  ///     after the PE array's widths are checked.
  ///   - log: Files written, simulation and synthesis summaries.
  /// - Returns: The outcome, or nil when `variant` names no GDN variant (nothing has run then).
  /// - Throws: `RTLError` for widths out of range, a folder that cannot be written or a tool that fails.
  public func run(_ unit: Unit, variant: String, log: (String) -> Void) throws -> Outcome? {
    switch unit {
    case .costs:
      let gdn = try GDNUnitConfig(indexBits: indexBits, fractionBits: fractionBits, activationBits: activationBits ?? 16,
                                  shiftBits: shiftBits)
      return .unitCosts(try RTLUnitCosts.measure(
        inputLanes: inputLanes, outputLanes: outputLanes, gdn: gdn,
        source: "Yosys 0.23 synth_xilinx -family xcup of the generated RTL: \(command)", directory: directory, log: log))
    case .packed:
      let packed = try PackedMACConfig(activationBits: activationBits ?? 8, weightBits: weightBits, beats: beats)
      return .unit(try RTLReport.run(options(.packed, pe: PEArrayConfig(), gdn: [], packed: packed), log: log))
    case .pe, .gdn:
      let pe = try PEArrayConfig(inputLanes: inputLanes, outputLanes: outputLanes, activationBits: activationBits ?? 8,
                                 weightBits: weightBits, accumulatorBits: accumulatorBits, biasBits: biasBits,
                                 shiftBits: shiftBits, outputBits: outputBits, leakyReLU: leakyReLU)
      guard let variants = GDNUnitConfig.Variant.named(variant) else { return nil }
      let gdn = try variants.map {
        try GDNUnitConfig(variant: $0, indexBits: indexBits, fractionBits: fractionBits,
                          activationBits: activationBits ?? 16, outputBits: outputBits, shiftBits: shiftBits)
      }
      return .unit(try RTLReport.run(options(unit == .pe ? .pe : .gdn, pe: pe, gdn: gdn), log: log))
    }
  }

  /// The run options of one unit kind with this request's simulation, synthesis, folder and command line.
  private func options(_ unit: RTLRunOptions.Unit, pe: PEArrayConfig, gdn: [GDNUnitConfig],
                       packed: PackedMACConfig? = nil) -> RTLRunOptions {
    RTLRunOptions(unit: unit, pe: pe, gdn: gdn, packed: packed, vectors: vectors, seed: seed, synthesize: synthesize,
                  directory: directory, command: command)
  }
}
