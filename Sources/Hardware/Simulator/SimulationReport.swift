import Foundation
import LichenSerialization

/// What `lichen fpga simulate` reports: bit-exactness against the integer
/// engine, simulated vs planned cycles per frame and latency, per-stage busy
/// and stall cycles, per-edge FIFO occupancy and the smallest FIFO depths
/// that keep the throughput. Codable (`--json`) and printable.
public struct SimulationReport: Codable, Sendable, Equatable {
  public static let currentFormat = "lichen-fpga-simulation-1"

  public struct Stage: Codable, Sendable, Equatable {
    public var name: String
    public var shape: String
    public var rowSteps: Int
    public var cyclesPerStep: Int
    /// Cycles of work over all simulated frames.
    public var busyCycles: Int
    /// busy / (frames x steady-state cycles per frame).
    public var utilization: Double
    public var inputStallCycles: Int
    public var backPressureStallCycles: Int
  }

  public struct Edge: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    /// The consumer's line buffer rows (as the planner costs them).
    public var lineBufferRows: Int
    public var fifoRows: Int
    /// Line buffer + FIFO rows.
    public var capacityRows: Int
    /// Most input rows the consumer's window needs at once.
    public var windowRows: Int
    public var maxOccupancyRows: Int
    /// Most rows beyond the line buffer (the FIFO's share).
    public var maxFIFORows: Int
    /// The smallest FIFO depth keeping the steady-state throughput (nil when not searched).
    public var minimalFIFORows: Int?
  }

  public var format: String
  public var model: String
  public var board: String
  public var part: PipelinePart
  public var clockMHz: Double
  public var resolution: Resolution
  public var image: String?
  public var frames: Int
  /// "free" (input from memory) or "paced" (a camera at the planned frame rate).
  public var source: String
  /// nil when values were not simulated.
  public var bitIdentical: Bool?
  public var comparisons: [ValueComparison]
  public var cyclesPerFrame: Int
  public var plannedCyclesPerFrame: Int
  /// (simulated - planned) / planned x 100.
  public var cycleGapPercent: Double
  public var frameCompletions: [Int]
  /// Cycle the first frame's last output row is written, from cycle 0 (the first input row).
  public var latencyCycles: Int
  public var plannedLatencyCycles: Int
  public var latencyGapPercent: Double
  public var fps: Double
  public var plannedFPS: Double
  public var stages: [Stage]
  public var edges: [Edge]
  public var minimalDepths: FIFODepths?
  public var notes: [String]
  public var valueSeconds: Double
  public var timingSeconds: Double

  public func jsonData() throws -> Data {
    try PrettyJSON.encode(self)
  }

  public var text: String {
    func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    var out = "simulated \(model) \(part.rawValue) on \(board) at \(f(clockMHz, 0)) MHz, \(resolution)"
      + (image.map { ", image \($0)" } ?? "") + ", \(frames) frames, \(source) input\n"
    if let bitIdentical {
      out += "bit-identical to the integer engine: \(bitIdentical ? "yes" : "no")\n"
      for c in comparisons {
        out += "  \(pad(c.name, 14)) \(c.elements) values: " + (c.identical ? "identical" : "\(c.mismatches) differ, first at \(c.firstMismatch ?? "?")") + "\n"
      }
    }
    out += "cycles per frame (steady state): \(cyclesPerFrame), planner \(plannedCyclesPerFrame) (\(cycleGapPercent >= 0 ? "+" : "")\(f(cycleGapPercent, 2))%)\n"
    out += "frames per second: \(f(fps, 2)), planner \(f(plannedFPS, 2))\n"
    out += "first-frame latency: \(latencyCycles) cycles, planner \(plannedLatencyCycles) (\(latencyGapPercent >= 0 ? "+" : "")\(f(latencyGapPercent, 2))%)\n"
    out += "frame completions: " + frameCompletions.map(String.init).joined(separator: " ") + "\n"
    out += pad("stage", 13) + pad("shape", 22) + pad("steps", 7) + pad("cyc/step", 10) + pad("busy", 7) + pad("input stall", 13) + "back-pressure stall\n"
    for s in stages {
      out += pad(s.name, 13) + pad(s.shape, 22) + pad("\(s.rowSteps)", 7) + pad("\(s.cyclesPerStep)", 10) + pad(f(s.utilization * 100) + "%", 7)
        + pad("\(s.inputStallCycles)", 13) + "\(s.backPressureStallCycles)\n"
    }
    out += pad("edge", 26) + pad("line", 6) + pad("fifo", 6) + pad("window", 8) + pad("max held", 10) + pad("max fifo", 10) + "min fifo\n"
    for e in edges {
      out += pad("\(e.from) -> \(e.to)", 26) + pad("\(e.lineBufferRows)", 6) + pad("\(e.fifoRows)", 6) + pad("\(e.windowRows)", 8)
        + pad("\(e.maxOccupancyRows)", 10) + pad("\(e.maxFIFORows)", 10) + (e.minimalFIFORows.map(String.init) ?? "-") + "\n"
    }
    if let m = minimalDepths {
      out += "smallest FIFO depths keeping the throughput: \(m.fifoRows.reduce(0, +)) rows in all, \(m.cyclesPerFrame) cycles per frame "
        + "(ample FIFOs: \(m.ampleCyclesPerFrame))\n"
    }
    for n in notes { out += "note: \(n)\n" }
    out += "time: values \(f(valueSeconds, 2)) s, timing \(f(timingSeconds, 2)) s\n"
    return out
  }
}
