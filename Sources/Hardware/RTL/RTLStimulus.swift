import Foundation

/// One prepared comparison run: the unit's Verilog, the stimulus lines (one
/// per clock cycle) and, for every test vector, the integer engine's
/// expected output lanes, plus a way to describe a vector's inputs when it
/// mismatches. Produced by `PEArrayVectors` / `GDNVectors`, consumed by
/// `RTLVerification`.
struct RTLStimulus {
  var unit: String
  var module: String
  var verilog: String
  var layout: BitFieldLayout
  /// Hex text, one line per cycle.
  var text: [UInt8]
  var lines: Int
  var outputLanes: Int
  var outputBits: Int
  /// expected[vector][lane], in the order the unit emits results.
  var expected: [[Int64]]
  var describe: (Int) -> String
}

/// A value the RTL got wrong, with the inputs that produced it.
public struct RTLMismatch: Codable, Sendable, Equatable {
  public var vector: Int
  public var lane: Int
  public var expected: Int64
  /// nil: the simulator wrote unknown bits or no output for this vector.
  public var got: Int64?
  public var inputs: String
}

/// Outcome of streaming random vectors through a unit in Icarus Verilog.
public struct RTLVerificationResult: Codable, Sendable {
  public var unit: String
  public var module: String
  public var seed: UInt64
  public var vectors: Int
  /// vectors x output lanes.
  public var comparedValues: Int
  public var mismatches: Int
  /// Output words the simulator wrote (equals `vectors` when the handshake works).
  public var outputWords: Int
  public var firstMismatches: [RTLMismatch]
  /// Simulated clock cycles (stimulus lines).
  public var cycles: Int
  public var prepareSeconds: Double
  public var simulateSeconds: Double
  public var compareSeconds: Double
  public var passed: Bool { mismatches == 0 && outputWords == vectors }

  /// One line for logs.
  public var summary: String {
    "\(unit): \(vectors) vectors (\(comparedValues) values, \(cycles) cycles) -> \(mismatches) mismatches"
      + (outputWords == vectors ? "" : ", \(outputWords) output words for \(vectors) vectors")
  }
}
