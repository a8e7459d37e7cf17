import Foundation

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
    let plan: Plan
    do { plan = try JSONDecoder().decode(Plan.self, from: data) } catch {
      throw HardwareError("\(url.path) is not a plan from `lichen fpga plan --json`: \(error)")
    }
    guard plan.format == currentFormat else {
      throw HardwareError("\(url.path): plan format \(plan.format), expected \(currentFormat)")
    }
    return plan.withStageFIFORows()
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
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// Writes atomically (temporary file, then rename).
  public func write(to url: URL) throws { try jsonData().write(to: url, options: .atomic) }
}
