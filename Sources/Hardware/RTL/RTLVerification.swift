import Foundation

/// Checks generated RTL against the integer engine: draws seeded random
/// vectors with their engine outputs, writes the unit's Verilog, a
/// testbench and the stimulus into a folder, compiles with `iverilog`, runs
/// `vvp`, and compares every output bit for bit. The folder keeps
/// everything (unit.v, tb.v, stim.hex, out.hex, tool logs) so a failure can
/// be rerun by hand.
public enum RTLVerification {
  public static func verifyPEArray(_ config: PEArrayConfig, vectors: Int, seed: UInt64 = 1, directory: URL) throws
    -> RTLVerificationResult
  {
    try verify(vectors: vectors, seed: seed, directory: directory) {
      try PEArrayVectors.make(config, vectors: vectors, seed: seed)
    }
  }

  public static func verifyGDN(_ config: GDNUnitConfig, vectors: Int, seed: UInt64 = 1, directory: URL) throws
    -> RTLVerificationResult
  {
    try verify(vectors: vectors, seed: seed, directory: directory) {
      try GDNVectors.make(config, vectors: vectors, seed: seed)
    }
  }

  public static func verifyPackedMAC(_ config: PackedMACConfig, vectors: Int, seed: UInt64 = 1, directory: URL) throws
    -> RTLVerificationResult
  {
    try verify(vectors: vectors, seed: seed, directory: directory) {
      PackedMACVectors.make(config, vectors: vectors, seed: seed)
    }
  }

  static func verify(vectors: Int, seed: UInt64, directory: URL, prepare: () throws -> RTLStimulus) throws
    -> RTLVerificationResult
  {
    guard vectors > 0 else { throw RTLError("the number of vectors must be positive, got \(vectors)") }
    _ = try RTLTools.require(.iverilog)
    _ = try RTLTools.require(.vvp)
    let t0 = Date()
    let stimulus = try prepare()
    let t1 = Date()
    let output = try simulate(stimulus, in: directory)
    let t2 = Date()
    let outcome = RTLComparison.compare(
      output: output, expected: stimulus.expected, lanes: stimulus.outputLanes, bits: stimulus.outputBits,
      describe: stimulus.describe)
    let t3 = Date()
    return RTLVerificationResult(
      unit: stimulus.unit, module: stimulus.module, seed: seed, vectors: stimulus.expected.count,
      comparedValues: outcome.compared, mismatches: outcome.mismatches, outputWords: outcome.outputWords,
      firstMismatches: outcome.first, cycles: stimulus.lines, prepareSeconds: t1.timeIntervalSince(t0),
      simulateSeconds: t2.timeIntervalSince(t1), compareSeconds: t3.timeIntervalSince(t2))
  }

  /// Writes unit.v, tb.v and stim.hex, runs iverilog + vvp, returns out.hex.
  static func simulate(_ s: RTLStimulus, in directory: URL) throws -> String {
    let fm = FileManager.default
    do { try fm.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
      throw RTLError("cannot create \(directory.path): \(error)")
    }
    let unitFile = directory.appendingPathComponent("unit.v")
    let tbFile = directory.appendingPathComponent("tb.v")
    let outFile = directory.appendingPathComponent(TestbenchVerilog.outputFile)
    let tb = TestbenchVerilog.source(
      unit: s.module, layout: s.layout, lines: s.lines, outputBits: s.outputLanes * s.outputBits)
    do {
      try Data(s.verilog.utf8).write(to: unitFile)
      try Data(tb.utf8).write(to: tbFile)
      try Data(s.text).write(to: directory.appendingPathComponent(TestbenchVerilog.stimulusFile))
      try? fm.removeItem(at: outFile)
    } catch { throw RTLError("cannot write the testbench files in \(directory.path): \(error)") }
    try RTLTools.run(.iverilog, ["-g2001", "-o", "sim.vvp", "-s", TestbenchVerilog.moduleName, "tb.v", "unit.v"],
                     in: directory)
    try RTLTools.run(.vvp, ["-n", "sim.vvp"], in: directory)
    guard let output = try? String(contentsOf: outFile, encoding: .utf8) else {
      throw RTLError("the simulation wrote no \(TestbenchVerilog.outputFile) in \(directory.path) (see vvp.log)")
    }
    return output
  }
}
