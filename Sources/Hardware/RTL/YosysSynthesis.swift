import Foundation

/// Synthesis of the generated Verilog with Yosys `synth_xilinx` (flattened,
/// no I/O buffers, out of context) and the parse of its `stat` cell counts
/// into the LUT/FF/DSP/BRAM numbers the planner's cost model uses.
public struct SynthesisReport: Codable, Sendable, Equatable {
  public var top: String
  public var family: String
  public var parameters: [String: Int]
  /// Every cell type and its count, as `stat` printed them.
  public var cells: [String: Int]
  /// LUT1...LUT6 (logic).
  public var lut: Int
  /// LUTs used as memory: shift registers (SRL16E/SRLC32E) and distributed RAM, in LUT equivalents.
  public var lutAsMemory: Int
  /// FDRE/FDSE/FDCE/FDPE...
  public var ff: Int
  /// DSP48E2 (or DSP48E1).
  public var dsp: Int
  public var ramb36: Int
  public var ramb18: Int
  /// Carry-chain cells (Yosys 0.23 maps UltraScale+ carries to CARRY4 cells; Vivado would use CARRY8).
  public var carry: Int
  /// MUXF7/MUXF8/MUXF9 (slice multiplexers, no LUTs).
  public var muxf: Int
  public var seconds: Double

  /// Block RAM in RAMB36 equivalents (a RAMB18 is half).
  public var bram36: Double { Double(ramb36) + Double(ramb18) / 2 }
  /// LUTs of any use.
  public var lutTotal: Int { lut + lutAsMemory }
}

public enum YosysSynthesis {
  public static let family = "xcup"

  /// The Yosys script: read, set parameters, synthesize, write the cell counts.
  public static func script(file: String, top: String, parameters: [String: Int], family: String = family) -> String {
    let chparam = parameters.keys.sorted().map { "chparam -set \($0) \(parameters[$0] ?? 0) \(top); " }.joined()
    return "read_verilog \(file); \(chparam)synth_xilinx -family \(family) -top \(top) -flatten -noiopad -noclkbuf; "
      + "tee -q -o stat-\(top).txt stat"
  }

  public static func run(verilog: String, top: String, parameters: [String: Int] = [:], family: String = family,
                         directory: URL) throws -> SynthesisReport
  {
    _ = try RTLTools.require(.yosys)
    let file = "synth-\(top).v"
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try Data(verilog.utf8).write(to: directory.appendingPathComponent(file))
    } catch { throw RTLError("cannot write \(file) in \(directory.path): \(error)") }
    let start = Date()
    try RTLTools.run(.yosys, ["-q", "-l", "yosys-\(top).log", "-p", script(file: file, top: top, parameters: parameters, family: family)],
                     in: directory)
    let seconds = Date().timeIntervalSince(start)
    let statURL = directory.appendingPathComponent("stat-\(top).txt")
    guard let stat = try? String(contentsOf: statURL, encoding: .utf8) else {
      throw RTLError("yosys wrote no statistics (\(statURL.path)); see yosys-\(top).log")
    }
    var report = try parseStat(stat, top: top, family: family)
    report.parameters = parameters
    report.seconds = seconds
    return report
  }

  /// LUT equivalents of Xilinx distributed-RAM primitives.
  static let lutRAM: [String: Int] = [
    "RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "RAM512X1S": 8,
    "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8,
    "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8,
  ]

  /// Parses the cell list of the last module (or design hierarchy) block of `stat` output.
  public static func parseStat(_ text: String, top: String, family: String = family) throws -> SynthesisReport {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let start = lines.lastIndex(where: { $0.contains("Number of cells:") }) else {
      throw RTLError("no 'Number of cells' in the Yosys statistics for \(top)")
    }
    var cells: [String: Int] = [:]
    for line in lines[(start + 1)...] {
      let parts = line.split(separator: " ", omittingEmptySubsequences: true)
      guard parts.count == 2, let count = Int(parts[1]) else { break }
      cells[String(parts[0]), default: 0] += count
    }
    var r = SynthesisReport(top: top, family: family, parameters: [:], cells: cells, lut: 0, lutAsMemory: 0, ff: 0,
                            dsp: 0, ramb36: 0, ramb18: 0, carry: 0, muxf: 0, seconds: 0)
    for (name, count) in cells {
      if name.hasPrefix("LUT"), name.count == 4, let d = name.last, ("1"..."6").contains(d) { r.lut += count }
      else if name.hasPrefix("SRL") { r.lutAsMemory += count }
      else if let luts = lutRAM[name] { r.lutAsMemory += luts * count }
      else if name.hasPrefix("FD") { r.ff += count }
      else if name.hasPrefix("DSP48") { r.dsp += count }
      else if name.hasPrefix("RAMB36") { r.ramb36 += count }
      else if name.hasPrefix("RAMB18") { r.ramb18 += count }
      else if name.hasPrefix("CARRY") { r.carry += count }
      else if name.hasPrefix("MUXF") { r.muxf += count }
    }
    return r
  }
}
