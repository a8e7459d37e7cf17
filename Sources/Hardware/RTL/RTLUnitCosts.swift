import Foundation

/// Measured unit costs for the planner's cost model: synthesizes the
/// building blocks with Yosys and writes them in the planner's unit-cost
/// format (`lichen-unit-costs-1`, as Resources/unit-costs.json):
/// - peLane (per lane class "AxW"): `lichen_pe_mac` of PI x PO lanes divided
///   by PI * PO (multiplier, its share of the adder chain and accumulator;
///   no requantizer);
/// - requantizer: one `lichen_requant` (bias add, 31-bit product, rounding
///   shift, clamp), the widest of the lane classes' configurations;
/// - gdnNormalizer: the standard GDN unit (table ROM, interpolation, x * f,
///   its requantizer);
/// - stageControl: `lichen_stage_control`;
/// - leakyReLU: `lichen_leaky` at 16-bit outputs (a requantizer of the OB-bit value beside its delay line).
/// "lut" counts every LUT (logic, shift registers, distributed RAM).
public struct MeasuredUnitCosts: Codable, Sendable {
  public struct Cost: Codable, Sendable, Equatable {
    public var lut: Double
    public var ff: Double
    public var dsp: Double?
    public var bram36: Double?

    init(_ r: SynthesisReport, per lanes: Int = 1, dsp: Bool = true, bram: Bool = false) {
      let n = Double(lanes)
      lut = Self.round(Double(r.lutTotal) / n)
      ff = Self.round(Double(r.ff) / n)
      self.dsp = dsp ? Self.round(Double(r.dsp) / n) : nil
      bram36 = bram ? Self.round(r.bram36 / n) : nil
    }

    static func round(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
  }

  public var format = "lichen-unit-costs-1"
  public var status = "measured"
  public var source: String
  public var peLane: [String: Cost]
  public var requantizer: Cost
  public var gdnNormalizer: Cost
  public var stageControl: Cost
  public var leakyReLU: Cost?
}

/// Everything behind a unit-cost measurement: each synthesis and the tools.
public struct UnitCostMeasurement: Codable, Sendable {
  public var costs: MeasuredUnitCosts
  public var inputLanes: Int
  public var outputLanes: Int
  public var synthesis: [String: SynthesisReport]
  public var tools: [String: String]
}

public enum RTLUnitCosts {
  /// What the numbers are, appended to the `source` field.
  public static let sourceNote =
    "; lut = every LUT (logic + shift registers); peLane = lichen_pe_mac 4x4 / 16 lanes (Yosys maps one product per DSP48E2, no int8 pair packing); "
    + "requantizer = the widest lichen_requant (16x16 lanes: 49-bit acc + bias); gdnNormalizer = lichen_gdn_standard (x16, table 6/16, its requantizer included); "
    + "stageControl = lichen_stage_control; leakyReLU = lichen_leaky (16-bit outputs; the mean-scale h_a / h_s LeakyReLU after a requantizer)"

  /// Lane classes measured: (activation bits, weight bits).
  public static let laneClasses = [(8, 8), (16, 8), (16, 16)]

  public static func measure(inputLanes: Int = 4, outputLanes: Int = 4, gdn: GDNUnitConfig? = nil, source: String,
                             directory: URL, log: (String) -> Void = { _ in }) throws -> UnitCostMeasurement
  {
    var synthesis: [String: SynthesisReport] = [:]
    var lanes: [String: MeasuredUnitCosts.Cost] = [:]
    var requantizers: [MeasuredUnitCosts.Cost] = []
    for (a, w) in laneClasses {
      let c = try PEArrayConfig(inputLanes: inputLanes, outputLanes: outputLanes, activationBits: a, weightBits: w)
      let dir = directory.appendingPathComponent("pe-\(c.laneClass)")
      let mac = try YosysSynthesis.run(verilog: PEArrayVerilog.source(c), top: PEArrayConfig.macModuleName, directory: dir)
      log("\(c.laneClass) \(inputLanes)x\(outputLanes) MAC: \(describe(mac))")
      let rq = try YosysSynthesis.run(verilog: PEArrayVerilog.source(c), top: RequantizerVerilog.moduleName,
                                      parameters: requantizerParameters(c), directory: dir)
      log("\(c.laneClass) requantizer: \(describe(rq))")
      synthesis["pe-mac-\(c.laneClass)"] = mac
      synthesis["requantizer-\(c.laneClass)"] = rq
      lanes[c.laneClass] = MeasuredUnitCosts.Cost(mac, per: c.lanes)
      requantizers.append(MeasuredUnitCosts.Cost(rq))
    }
    let g = try gdn ?? GDNUnitConfig()
    let gdnReport = try YosysSynthesis.run(verilog: GDNUnitVerilog.source(g), top: g.moduleName,
                                           directory: directory.appendingPathComponent("gdn-\(g.variant.rawValue)"))
    log("GDN \(g.variant.rawValue): \(describe(gdnReport))")
    synthesis["gdn-\(g.variant.rawValue)"] = gdnReport
    let control = try YosysSynthesis.run(verilog: StageControlVerilog.source, top: StageControlVerilog.moduleName,
                                         directory: directory.appendingPathComponent("control"))
    log("stage control: \(describe(control))")
    synthesis["stage-control"] = control
    let leakyArray = try PEArrayConfig(inputLanes: inputLanes, outputLanes: outputLanes, activationBits: 16, weightBits: 16,
                                       leakyReLU: true)
    let leaky = try YosysSynthesis.run(verilog: PEArrayVerilog.source(leakyArray), top: LeakyReLUVerilog.moduleName,
                                       parameters: leakyReLUParameters(leakyArray),
                                       directory: directory.appendingPathComponent("leaky"))
    log("LeakyReLU: \(describe(leaky))")
    synthesis["leaky-relu"] = leaky
    // the widest requantizer (by LUTs, then DSPs) stands for all: conservative
    let widest = requantizers.max { ($0.lut, $0.dsp ?? 0) < ($1.lut, $1.dsp ?? 0) } ?? requantizers[0]
    let costs = MeasuredUnitCosts(
      source: source + sourceNote, peLane: lanes, requantizer: widest,
      gdnNormalizer: MeasuredUnitCosts.Cost(gdnReport, bram: true),
      stageControl: MeasuredUnitCosts.Cost(control, dsp: false), leakyReLU: MeasuredUnitCosts.Cost(leaky))
    return UnitCostMeasurement(costs: costs, inputLanes: inputLanes, outputLanes: outputLanes, synthesis: synthesis,
                               tools: RTLReport.toolVersions())
  }

  /// `lichen_leaky`'s parameters for the output lanes of `c`.
  static func leakyReLUParameters(_ c: PEArrayConfig) -> [String: Int] { ["SW": c.shiftBits, "OB": c.outputBits] }

  static func requantizerParameters(_ c: PEArrayConfig) -> [String: Int] {
    ["ACCW": c.accumulatorBits, "BIASW": c.biasBits, "VW": c.valueBits, "SW": c.shiftBits, "OB": c.outputBits]
  }

  public static func describe(_ r: SynthesisReport) -> String {
    "LUT \(r.lut)+\(r.lutAsMemory) (as memory), FF \(r.ff), DSP \(r.dsp), BRAM36 \(r.bram36), CARRY \(r.carry) [\(String(format: "%.1f", r.seconds)) s]"
  }
}
