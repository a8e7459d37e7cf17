import Foundation
import Torch

/// What a model says about a key: the bits it carries and how unlikely that is by chance.
public struct ExtractionResult: Codable, Sendable, Equatable {
  /// Raw coded bits read from the key positions (sign of each weight).
  public var codedBits: [Bool]
  /// Payload after error correction.
  public var payload: [Bool]
  /// Coded bits the error-correcting code changed (nil in results written before codes reported it).
  public var correctedBits: Int?
  /// Code blocks the decoder declared uncorrectable (BCH); their payload bits are as read.
  public var failedBlocks: Int?
  /// Bit error rate of the coded bits against the expected payload (nil when none given).
  public var bitErrorRate: Double?
  /// Bit error rate of the decoded payload (after error correction) against the expected one.
  public var payloadBitErrorRate: Double?
  /// Matching coded bits and their count.
  public var matches: Int?
  public var total: Int
  /// P[an unmarked model matches at least this many bits] = binomial tail with p = 1/2.
  public var falsePositiveProbability: Double?
  /// true when the false-positive probability is below the threshold.
  public var detected: Bool?
}

public enum Extractor {
  public static func extract(from model: any Module, key: WatermarkKey, expected: [Bool]? = nil,
                             threshold: Double = 1e-6) throws -> ExtractionResult {
    try key.check(model)
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    return try extract(key: key, expected: expected, threshold: threshold) { layer in
      guard let p = params[layer] else { throw WatermarkError("the model has no layer \(layer)") }
      return try p.floats()
    }
  }

  /// Extraction from a bare state dict (a safetensors or .pth file of any
  /// precision): no model code needed, so exported and quantized copies verify too.
  public static func extract(fromStateDict entries: [String: TensorRecord], key: WatermarkKey, expected: [Bool]? = nil,
                             threshold: Double = 1e-6) throws -> ExtractionResult {
    try key.check(shapes: entries.mapValues(\.shape))
    return try extract(key: key, expected: expected, threshold: threshold) { layer in
      guard let record = entries[layer] else { throw WatermarkError("the model has no layer \(layer)") }
      if record.dtype.isFloatingPoint { return try record.floats() }
      return try record.integers().map(Float.init)  // integer weights: the sign is the bit
    }
  }

  static func extract(key: WatermarkKey, expected: [Bool]?, threshold: Double,
                      values: (String) throws -> [Float]) throws -> ExtractionResult {
    var cache: [String: [Float]] = [:]
    var coded: [Bool] = []
    for position in key.positions {
      if cache[position.layer] == nil { cache[position.layer] = try values(position.layer) }
      guard let layer = cache[position.layer], layer.indices.contains(position.index) else {
        throw WatermarkError("key position \(position.index) is outside layer \(position.layer)")
      }
      coded.append(layer[position.index] > 0)
    }
    let decoded = try key.code.decode(coded, payloadBits: key.payloadBits)
    var result = ExtractionResult(codedBits: coded, payload: decoded.bits, correctedBits: decoded.correctedBits,
                                  failedBlocks: decoded.failedBlocks, total: coded.count)
    if let expected {
      guard expected.count == key.payloadBits else {
        throw WatermarkError("expected payload has \(expected.count) bits, the key carries \(key.payloadBits)")
      }
      let reference = try key.code.encode(expected)
      let matches = zip(reference, coded).filter { $0 == $1 }.count
      result.matches = matches
      result.bitErrorRate = Double(coded.count - matches) / Double(coded.count)
      let payloadErrors = zip(expected, decoded.bits).filter { $0 != $1 }.count
      result.payloadBitErrorRate = Double(payloadErrors) / Double(Swift.max(1, expected.count))
      let p = binomialTail(successes: matches, trials: coded.count)
      result.falsePositiveProbability = p
      result.detected = p < threshold
    }
    return result
  }

  /// P[X >= k] for X ~ Binomial(n, 1/2), computed in log space (exact enough for n in the thousands).
  public static func binomialTail(successes k: Int, trials n: Int) -> Double {
    guard k > 0 else { return 1 }
    guard k <= n else { return 0 }
    func logChoose(_ n: Int, _ k: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1)) }
    let logHalf = Double(n) * Foundation.log(0.5)
    let terms = (k...n).map { logChoose(n, $0) + logHalf }
    guard let top = terms.max() else { return 0 }
    return Swift.min(1, Foundation.exp(top) * terms.reduce(0) { $0 + Foundation.exp($1 - top) })
  }
}
