import Reporting
import Foundation

/// A plan as text (the per-stage table and summary `lichen fpga plan`
/// prints) and as an SVG chart: per-stage cycles against the bottleneck and
/// resource utilization bars (palette and escaping shared with SVGPlot).
public enum PlanReport {
  public static func text(_ plan: Plan) -> String {
    var s = "\(plan.model) (N=\(plan.n), M=\(plan.m), \(plan.bitsSource == "integer" ? "integer model" : "scheme \(plan.scheme ?? "?")")) "
    s += "-> \(plan.board.name) (\(plan.board.part)) at \(fmt(plan.clockMHz)) MHz, \(plan.part.rawValue), \(plan.padded)"
    s += plan.requested == plan.padded ? "\n" : " (requested \(plan.requested))\n"
    s += pad("stage", 12) + pad("layer", 22) + pad("out", 14) + pad("a x w", 7) + pad("pi x po x pk x pp", 18)
      + lpad("lanes", 6) + lpad("cycles", 11) + lpad("busy", 6) + lpad("DSP", 6) + lpad("BRAM", 6) + lpad("URAM", 5)
      + lpad("LUT", 8) + lpad("FF", 8) + lpad("FIFO", 6) + "\n"
    for p in plan.stages {
      let st = p.stage
      s += pad(st.name, 12) + pad(st.shapeSummary, 22) + pad("\(st.outChannels)x\(st.outputHeight)x\(st.outputWidth)", 14)
        + pad("\(st.inputBits)x\(st.weightBits)", 7) + pad(p.parallelism.description, 18) + lpad("\(p.lanes)", 6)
        + lpad("\(p.cycles)", 11) + lpad(String(format: "%.2f", p.busy), 6) + lpad("\(p.cost.resources.dsp)", 6)
        + lpad("\(p.cost.resources.bram36)", 6) + lpad("\(p.cost.resources.uram)", 5) + lpad("\(p.cost.resources.lut)", 8)
        + lpad("\(p.cost.resources.ff)", 8) + lpad(fmt(p.fifoRows ?? plan.fifoRows), 6) + (st.name == plan.bottleneck ? "  <- bottleneck" : "") + "\n"
    }
    s += "bottleneck \(plan.bottleneck): \(plan.cyclesPerFrame) cycles/frame -> \(String(format: "%.2f", plan.fps)) fps"
    s += ", latency \(plan.latencyCycles) cycles = \(String(format: "%.2f", plan.latencyMilliseconds)) ms\n"
    s += "MACs/frame \(String(format: "%.2f", Double(plan.macsPerFrame) / 1e9)) G; "
    s += String(format: "MAC efficiency %.1f%% of the DSP peak for these bit widths (%.0f MACs/cycle), %.1f%% of the packed-int8 peak, %.1f%% of the %d allocated lanes\n",
                plan.macEfficiency * 100, plan.peakMACsPerCycle, plan.efficiencyVsPackedPeak * 100, plan.laneEfficiency * 100, plan.lanes)
    s += "utilization:"
    for u in plan.utilization where u.available > 0 {
      s += " \(u.resource) \(u.used)/\(u.available) (\(String(format: "%.1f", u.utilization * 100))%)"
    }
    let fifoBlocks = plan.stages.reduce(0) { $0 + $1.cost.fifoBlocks }
    s += "; weights in \(plan.weightMemory.rawValue.uppercased()), FIFOs "
      + (plan.fifoDepths == "auto" ? "auto (per stage, FIFO column)" : "\(fmt(plan.fifoRows)) row(s) per stage")
      + " = \(fmt(plan.stageFIFORows.reduce(0, +))) rows, \(fifoBlocks) BRAM36\n"
    for note in plan.notes { s += "note: \(note)\n" }
    return s
  }

  /// Two panels: cycles per stage (bottleneck line) and utilization per resource.
  public static func svg(_ plan: Plan) -> String {
    // The right margin holds the value labels printed after the longest bars.
    let labels = plan.stages.map { "\($0.cycles) (\($0.parallelism))" }
      + plan.utilization.map { String(format: "%.1f%% (%d/%d)", $0.utilization * 100, $0.used, $0.available) }
    let labelWidth = (labels.map { SVGPlot.textWidth($0, fontSize: 10) }.max() ?? 0) + 12
    let width = 900.0, rowH = 18.0, left = 110.0, right = Swift.max(40, labelWidth)
    let top1 = 50.0
    let panel1 = Double(plan.stages.count) * rowH
    let top2 = top1 + panel1 + 70
    let usages = plan.utilization.filter { $0.available > 0 }
    let height = top2 + Double(usages.count) * rowH + 40
    let barW = width - left - right
    let maxCycles = Double(plan.stages.map(\.cycles).max() ?? 1)
    let color = SVGPlot.palette
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    let title = "\(plan.model) on \(plan.board.name), \(plan.part.rawValue) \(plan.padded): \(String(format: "%.2f", plan.fps)) fps at \(fmt(plan.clockMHz)) MHz"
    s += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(SVGPlot.escape(title))</text>\n"
    s += "<text x=\"\(left)\" y=\"\(top1 - 8)\">cycles per frame by stage (line: bottleneck \(SVGPlot.escape(plan.bottleneck)))</text>\n"
    for (i, p) in plan.stages.enumerated() {
      let y = top1 + Double(i) * rowH
      let w = barW * Double(p.cycles) / maxCycles
      let fill = p.stage.name == plan.bottleneck ? color[1] : color[0]
      s += "<text x=\"\(left - 6)\" y=\"\(y + 13)\" text-anchor=\"end\">\(SVGPlot.escape(p.stage.name))</text>\n"
      s += "<rect x=\"\(left)\" y=\"\(y + 2)\" width=\"\(fmt(w))\" height=\"\(rowH - 4)\" fill=\"\(fill)\"/>\n"
      s += "<text x=\"\(left + w + 4)\" y=\"\(y + 13)\" font-size=\"10\">\(p.cycles) (\(p.parallelism))</text>\n"
    }
    s += "<line x1=\"\(left + barW)\" y1=\"\(top1)\" x2=\"\(left + barW)\" y2=\"\(top1 + panel1)\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n"
    s += "<text x=\"\(left)\" y=\"\(top2 - 8)\">resource utilization (line: 100%)</text>\n"
    for (i, u) in usages.enumerated() {
      let y = top2 + Double(i) * rowH
      let w = barW * Swift.min(u.utilization, 1.2) / 1.2
      s += "<text x=\"\(left - 6)\" y=\"\(y + 13)\" text-anchor=\"end\">\(u.resource)</text>\n"
      s += "<rect x=\"\(left)\" y=\"\(y + 2)\" width=\"\(fmt(w))\" height=\"\(rowH - 4)\" fill=\"\(color[2 + i % 5])\"/>\n"
      s += "<text x=\"\(left + w + 4)\" y=\"\(y + 13)\" font-size=\"10\">\(String(format: "%.1f", u.utilization * 100))% (\(u.used)/\(u.available))</text>\n"
    }
    let full = left + barW / 1.2
    s += "<line x1=\"\(full)\" y1=\"\(top2)\" x2=\"\(full)\" y2=\"\(top2 + Double(usages.count) * rowH)\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n"
    return s + "</svg>\n"
  }

  public static func writeSVG(_ plan: Plan, to url: URL) throws {
    try Data(svg(plan).utf8).write(to: url, options: .atomic)
  }

  static func fmt(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }
  static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
  static func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
}
