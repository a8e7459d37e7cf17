import CodecFormat
import Foundation
import LichenSerialization

/// A planned pipeline (the planner's output, `lichen fpga plan --json`; the
/// simulator's input): per-stage parallelism, cycles, resources and buffer
/// sizes, the bottleneck, frames per second, latency, utilization and MAC
/// efficiency. Codable with a format tag so files are checked on load.
public struct PlannedStage: Codable, Sendable, Equatable {
  public var stage: HardwareStage
  public var parallelism: Parallelism
  public var lanes: Int
  /// Cycles per frame of this stage alone.
  public var cycles: Int
  public var cost: StageCost
  /// Estimated fill (latency contribution) in the planned pipeline.
  public var fillCycles: Int
  /// cycles / the bottleneck's cycles (1 for the bottleneck).
  public var busy: Double
  /// Rows of this stage's output FIFO (on top of the consumer's line buffer), as costed in `cost`. Plans
  /// written before per-stage depths lack it: `Plan.load` fills in the plan's uniform `fifoRows`.
  public var fifoRows: Double?
}

/// Use of one resource against the board.
public struct ResourceUsage: Codable, Sendable, Equatable {
  public var resource: String
  public var used: Int
  public var available: Int
  /// What the planner allowed (available x the utilization cap).
  public var budget: Int
  /// used / available.
  public var utilization: Double
}

public struct Plan: Codable, Sendable, Equatable {
  public static let currentFormat = "lichen-fpga-plan-1"

  public var format: String
  public var model: String
  public var n: Int
  public var m: Int
  public var gdnVariant: String
  /// "integer" or "scheme" (see `LayerGraph.bitsSource`).
  public var bitsSource: String
  public var scheme: String?
  public var board: Board
  public var clockMHz: Double
  public var part: PipelinePart
  public var requested: Resolution
  public var padded: Resolution
  public var maxUtilization: Double
  /// The uniform FIFO depth (`--fifo-rows N`); with auto depths the largest per-stage depth. Per stage:
  /// `stages[i].fifoRows` (see `stageFIFORows`).
  public var fifoRows: Double
  /// "auto" (per-edge depths from the simulator's depth search) or "uniform"; nil in older plans (uniform).
  public var fifoDepths: String?
  public var weightMemory: WeightMemory
  /// "estimated" or "measured": where the LUT/FF unit costs came from.
  public var unitCostsStatus: String
  public var stages: [PlannedStage]
  public var bottleneck: String
  public var cyclesPerFrame: Int
  public var fps: Double
  public var latencyCycles: Int
  public var latencyMilliseconds: Double
  public var macsPerFrame: Int
  public var lanes: Int
  public var totals: ResourceVector
  public var utilization: [ResourceUsage]
  /// MACs/s achieved over the DSP peak for this model's mix of products (every DSP busy, packing where the bits allow).
  public var macEfficiency: Double
  /// The DSP peak that `macEfficiency` divides by, in MACs per cycle.
  public var peakMACsPerCycle: Double
  /// MACs/s over the absolute DSP ceiling: two products per DSP48E2 (int8 packing), one per DSP48E1.
  public var efficiencyVsPackedPeak: Double
  /// MACs/s over the allocated lanes (lanes x clock): how busy the planned multipliers are.
  public var laneEfficiency: Double
  public var notes: [String]

  /// Reads a plan file written by `lichen fpga plan --json`.
  public static func load(from url: URL) throws -> Plan {
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw HardwareError("cannot read plan \(url.path): \(error.localizedDescription)") }
    return try decode(data, origin: url.path)
  }

  /// Decodes and validates a plan document; errors name `origin` and the field.
  public static func decode(_ data: Data, origin: String) throws -> Plan {
    let plan: Plan
    do { plan = try JSONDecoder().decode(Plan.self, from: data) } catch {
      let reason = JSONDiagnostics.describe(error, data: data) { _ = try JSONDecoder().decode(Plan.self, from: $0) }
      throw HardwareError("\(origin) is not a plan from `lichen fpga plan --json`: \(reason)")
    }
    guard plan.format == currentFormat else {
      throw HardwareError("\(origin): plan format \(JSONDiagnostics.quoted(plan.format)), expected \(currentFormat)")
    }
    do { try plan.validate() } catch let error as HardwareError { throw HardwareError("\(origin): \(error.message)") }
    return plan.withStageFIFORows()
  }

  /// Largest frame side (as `Resolution(parsing:)` accepts), stage count, cycle count and FIFO depth a plan may
  /// hold: far beyond any real design, small enough that the simulator's and reports' sums cannot overflow.
  public static let maxSide = 1 << 16
  public static let maxStages = 256
  public static let maxCycles = 1 << 40
  public static let maxFIFORows = Double(1 << 20)
  /// Largest bit, block, resource or MAC count of a plan (sums over `maxStages` stages still fit in an Int).
  public static let maxCount = 1 << 52

  /// Throws a `HardwareError` naming the first field outside what the planner can produce (a plan file is
  /// input: the simulator, reports and HLS export read it without further checks).
  public func validate() throws {
    func fail(_ field: String, _ problem: String) -> HardwareError { HardwareError("invalid plan: \(field): \(problem)") }
    func count(_ field: String, _ value: Int, _ range: ClosedRange<Int>) throws {
      guard range.contains(value) else { throw fail(field, "\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
    }
    func real(_ field: String, _ value: Double, max: Double = .greatestFiniteMagnitude, positive: Bool = false) throws {
      guard value.isFinite, value >= 0, value <= max, !positive || value > 0 else {
        throw fail(field, "\(value) is not a finite \(positive ? "positive" : "non-negative") number"
          + (max < .greatestFiniteMagnitude ? " up to \(max)" : ""))
      }
    }
    guard format == Self.currentFormat else { throw fail("format", "\(JSONDiagnostics.quoted(format)), expected \(Self.currentFormat)") }
    try count("n", n, 1...65_536)
    try count("m", m, 1...65_536)
    guard GDNVariant(rawValue: gdnVariant) != nil else { throw fail("gdnVariant", "unknown GDN variant \(JSONDiagnostics.quoted(gdnVariant))") }
    guard ["integer", "scheme"].contains(bitsSource) else { throw fail("bitsSource", "\(JSONDiagnostics.quoted(bitsSource)) is not integer or scheme") }
    do { try board.validate() } catch let error as HardwareError { throw fail("board", error.message) }
    try real("clockMHz", clockMHz, max: Board.maxClockMHz, positive: true)
    for (field, size) in [("requested", requested), ("padded", padded)] {
      try count("\(field).width", size.width, 1...Self.maxSide)
      try count("\(field).height", size.height, 1...Self.maxSide)
    }
    guard padded == requested.padded(to: LayerGraph.sizeMultiple) else {
      throw fail("padded", "\(padded) is not \(requested) rounded up to multiples of \(LayerGraph.sizeMultiple)")
    }
    try real("maxUtilization", maxUtilization, max: 1, positive: true)
    try real("fifoRows", fifoRows, max: Self.maxFIFORows)
    if let fifoDepths, !["auto", "uniform"].contains(fifoDepths) {
      throw fail("fifoDepths", "\(JSONDiagnostics.quoted(fifoDepths)) is not auto or uniform")
    }
    guard ["estimated", "measured"].contains(unitCostsStatus) else {
      throw fail("unitCostsStatus", "\(JSONDiagnostics.quoted(unitCostsStatus)) is not estimated or measured")
    }
    guard !stages.isEmpty, stages.count <= Self.maxStages else {
      throw fail("stages", "\(stages.count) stages (a plan has 1...\(Self.maxStages))")
    }
    var names = Set<String>()
    for (i, planned) in stages.enumerated() {
      let field = "stages[\(i)]"
      try Self.validate(planned.stage, field: "\(field).stage", fail: fail)
      guard names.insert(planned.stage.name).inserted else {
        throw fail("\(field).stage.name", "stage \(JSONDiagnostics.quoted(planned.stage.name)) is listed twice")
      }
      let p = planned.parallelism
      try count("\(field).parallelism.pi", p.pi, 1...65_536)
      try count("\(field).parallelism.po", p.po, 1...65_536)
      try count("\(field).parallelism.pk", p.pk, 1...65_536)
      try count("\(field).parallelism.pp", p.pp, 1...65_536)
      let (piPo, o1) = p.pi.multipliedReportingOverflow(by: p.po)
      let (piPoPk, o2) = piPo.multipliedReportingOverflow(by: p.pk)
      let (lanes, o3) = piPoPk.multipliedReportingOverflow(by: p.pp)
      guard !o1, !o2, !o3, lanes == planned.lanes else {
        throw fail("\(field).lanes", "\(planned.lanes) is not pi x po x pk x pp of the parallelism \(p)")
      }
      try count("\(field).cycles", planned.cycles, 1...Self.maxCycles)
      try count("\(field).fillCycles", planned.fillCycles, 0...Self.maxCycles)
      try real("\(field).busy", planned.busy, max: Double(Self.maxCycles))
      if let rows = planned.fifoRows { try real("\(field).fifoRows", rows, max: Self.maxFIFORows) }
      let c = planned.cost
      try Self.validate(c.resources, field: "\(field).cost.resources", fail: fail)
      try real("\(field).cost.dspPerLane", c.dspPerLane, max: 64)
      for (name, value) in [("weightMemoryBits", c.weightMemoryBits), ("weightBlocks", c.weightBlocks),
                            ("lineBufferBits", c.lineBufferBits), ("lineBufferBlocks", c.lineBufferBlocks),
                            ("fifoBits", c.fifoBits), ("fifoBlocks", c.fifoBlocks), ("outputUnits", c.outputUnits),
                            ("squarers", c.squarers)] {
        try count("\(field).cost.\(name)", value, 0...Self.maxCount)
      }
    }
    guard names.contains(bottleneck) else { throw fail("bottleneck", "\(JSONDiagnostics.quoted(bottleneck)) is not one of the stages") }
    try count("cyclesPerFrame", cyclesPerFrame, 1...Self.maxCycles)
    try count("latencyCycles", latencyCycles, 0...Self.maxCycles)
    try count("macsPerFrame", macsPerFrame, 0...Self.maxCount)
    try count("lanes", lanes, 0...Self.maxCount)
    try Self.validate(totals, field: "totals", fail: fail)
    for (field, value) in [("fps", fps), ("latencyMilliseconds", latencyMilliseconds), ("macEfficiency", macEfficiency),
                           ("peakMACsPerCycle", peakMACsPerCycle), ("efficiencyVsPackedPeak", efficiencyVsPackedPeak),
                           ("laneEfficiency", laneEfficiency)] {
      try real(field, value)
    }
    guard utilization.count <= ResourceVector.names.count else {
      throw fail("utilization", "\(utilization.count) entries for \(ResourceVector.names.count) resources")
    }
    for (i, usage) in utilization.enumerated() {
      guard ResourceVector.names.contains(usage.resource) else {
        throw fail("utilization[\(i)].resource", "\(JSONDiagnostics.quoted(usage.resource)) is not one of \(ResourceVector.names.joined(separator: ", "))")
      }
      try count("utilization[\(i)].used", usage.used, 0...Self.maxCount)
      try count("utilization[\(i)].available", usage.available, 0...Self.maxCount)
      try count("utilization[\(i)].budget", usage.budget, 0...Self.maxCount)
      try real("utilization[\(i)].utilization", usage.utilization)
    }
  }

  /// A stage's geometry: positive and bounded, and the output size the kernel, stride and padding give
  /// (the simulator's row schedules and the reports rely on both).
  static func validate(_ s: HardwareStage, field: String, fail: (String, String) -> HardwareError) throws {
    func count(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
      guard range.contains(value) else { throw fail("\(field).\(name)", "\(value) is outside \(range.lowerBound)...\(range.upperBound)") }
    }
    guard !s.name.isEmpty else { throw fail("\(field).name", "empty") }
    try count("inChannels", s.inChannels, 1...65_536)
    try count("outChannels", s.outChannels, 1...65_536)
    try count("kernel", s.kernel, 1...64)
    try count("stride", s.stride, 1...64)
    try count("padding", s.padding, 0...64)
    try count("outputPadding", s.outputPadding, 0...64)
    try count("inputHeight", s.inputHeight, 1...maxSide)
    try count("inputWidth", s.inputWidth, 1...maxSide)
    try count("outputHeight", s.outputHeight, 1...maxSide)
    try count("outputWidth", s.outputWidth, 1...maxSide)
    try count("weightBits", s.weightBits, 0...64)
    try count("inputBits", s.inputBits, 0...64)
    try count("outputBits", s.outputBits, 0...64)
    try count("macs", s.macs, 0...maxCount)
    try count("tableEntries", s.tableEntries, 0...maxCount)
    let expected: (Int, Int)
    switch s.kind {
    case .convolution:
      expected = ((s.inputHeight + 2 * s.padding - s.kernel) / s.stride + 1, (s.inputWidth + 2 * s.padding - s.kernel) / s.stride + 1)
    case .transposed:
      guard s.outputPadding < s.stride else { throw fail("\(field).outputPadding", "\(s.outputPadding) is not below the stride \(s.stride)") }
      expected = ((s.inputHeight - 1) * s.stride - 2 * s.padding + s.kernel + s.outputPadding,
                  (s.inputWidth - 1) * s.stride - 2 * s.padding + s.kernel + s.outputPadding)
    case .gdn, .igdn:
      guard s.inChannels == s.outChannels else {
        throw fail("\(field).outChannels", "\(s.outChannels) differs from inChannels \(s.inChannels) in a pointwise stage")
      }
      expected = (s.inputHeight, s.inputWidth)
    case .scaleIndex:
      // All of h_s's channels are scales, or the first half (the second: means that pass through).
      guard s.inChannels == s.outChannels || s.inChannels == 2 * s.outChannels else {
        throw fail("\(field).outChannels", "\(s.outChannels) scale indexes from \(s.inChannels) h_s channels (expected all or half of them)")
      }
      expected = (s.inputHeight, s.inputWidth)
    }
    guard expected == (s.outputHeight, s.outputWidth) else {
      throw fail("\(field).outputHeight", "\(s.inputHeight)x\(s.inputWidth) -> \(s.outputHeight)x\(s.outputWidth) does not match "
        + "kernel \(s.kernel), stride \(s.stride), padding \(s.padding) (expected \(expected.0)x\(expected.1))")
    }
  }

  static func validate(_ r: ResourceVector, field: String, fail: (String, String) -> HardwareError) throws {
    for (name, value) in zip(["dsp", "bram36", "uram", "lut", "ff"], r.values) where !(0...maxCount).contains(value) {
      throw fail("\(field).\(name)", "\(value) is outside 0...\(maxCount)")
    }
  }

  /// Each stage's output FIFO rows (a missing per-stage value is the uniform `fifoRows`).
  public var stageFIFORows: [Double] { stages.map { $0.fifoRows ?? fifoRows } }

  /// This plan with every stage's `fifoRows` filled in (older plans: the uniform depth).
  public func withStageFIFORows() -> Plan {
    var copy = self
    for i in copy.stages.indices where copy.stages[i].fifoRows == nil { copy.stages[i].fifoRows = fifoRows }
    return copy
  }

  /// Pretty, sorted JSON.
  public func jsonData() throws -> Data {
    try PrettyJSON.encode(self)
  }

  /// Writes atomically (temporary file, then rename).
  public func write(to url: URL) throws { try jsonData().write(to: url, options: .atomic) }
}

