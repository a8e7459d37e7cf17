import Foundation

/// Error-correcting code of the payload, stored in the key. Repetition with
/// majority vote is the simplest trade of capacity for robustness; BCH
/// corrects more errors for the same number of marked weights (BCHCode).
public enum PayloadCode: Codable, Sendable, Equatable, CustomStringConvertible {
  case none
  /// Each bit written `copies` times (odd), decoded by majority.
  case repetition(copies: Int)
  /// Binary primitive BCH code of length 2^m - 1 correcting t errors per block (shortened for the last block).
  case bch(m: Int, t: Int)

  /// Parses a code spec: `none`, `rep:N` (N odd copies) or `bch:N:tT`
  /// (block length N = 2^m - 1 with 3 <= m <= 10, i.e. 7, 15, 31, 63, 127,
  /// 255, 511 or 1023, correcting T errors per block), e.g. `bch:63:t5`.
  public init(spec: String) throws {
    let parts = spec.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    switch parts.first {
    case "none" where parts.count == 1:
      self = .none
    case "rep", "repetition":
      guard parts.count == 2, let copies = Int(parts[1]) else {
        throw WatermarkError("malformed code '\(spec)': write rep:N with N odd copies, e.g. rep:3")
      }
      self = .repetition(copies: copies)
    case "bch":
      guard parts.count == 3, let n = Int(parts[1]), parts[2].hasPrefix("t"), let t = Int(parts[2].dropFirst()) else {
        throw WatermarkError("malformed code '\(spec)': write bch:N:tT, e.g. bch:63:t5 (N = 2^m - 1, T errors per block)")
      }
      guard n > 0, (n &+ 1) & n == 0 else {
        throw WatermarkError("BCH block length \(n) in '\(spec)' is not 2^m - 1 (7, 15, 31, 63, 127, 255, 511, 1023)")
      }
      self = .bch(m: (n &+ 1).trailingZeroBitCount, t: t)
    default:
      throw WatermarkError("unknown code '\(spec)': use none, rep:N or bch:N:tT (e.g. bch:63:t5)")
    }
    try validate()
  }

  /// The spec `init(spec:)` reads back.
  public var description: String {
    switch self {
    case .none: return "none"
    case .repetition(let copies): return "rep:\(copies)"
    case .bch(let m, let t): return "bch:\((1 << m) - 1):t\(t)"
    }
  }

  /// Throws on parameters no code exists for (also guards keys read from JSON).
  public func validate() throws {
    switch self {
    case .none: return
    case .repetition(let copies):
      guard copies >= 1, copies % 2 == 1 else {
        throw WatermarkError("a repetition code needs an odd number of copies (got \(copies))")
      }
    case .bch(let m, let t): _ = try BCHCode(m: m, t: t)
    }
  }

  /// Number of coded bits (marked weights) a payload of `payloadBits` bits needs.
  /// Throws when the count does not fit in an Int (a hostile key, not a crash).
  public func codedLength(payloadBits: Int) throws -> Int {
    guard payloadBits >= 0 else { throw WatermarkError("a payload cannot have \(payloadBits) bits") }
    switch self {
    case .none: return payloadBits
    case .repetition(let copies):
      try validate()
      let (length, overflow) = payloadBits.multipliedReportingOverflow(by: copies)
      guard !overflow else {
        throw WatermarkError("\(payloadBits) payload bits x \(copies) copies overflows the number of coded bits")
      }
      return length
    case .bch(let m, let t):
      let code = try BCHCode(m: m, t: t)
      guard let length = code.checkedCodedLength(payloadBits: payloadBits) else {
        throw WatermarkError("\(payloadBits) payload bits in BCH(\(code.n),\(code.k)) blocks overflow the number of coded bits")
      }
      return length
    }
  }

  public func encode(_ bits: [Bool]) throws -> [Bool] {
    switch self {
    case .none: return bits
    case .repetition(let copies):
      _ = try codedLength(payloadBits: bits.count)
      return bits.flatMap { [Bool](repeating: $0, count: copies) }
    case .bch(let m, let t): return try BCHCode(m: m, t: t).encode(bits)
    }
  }

  /// Decodes `coded` (as read from the weights) back to `payloadBits` bits.
  public func decode(_ coded: [Bool], payloadBits: Int) throws -> DecodedPayload {
    let expected = try codedLength(payloadBits: payloadBits)
    guard coded.count == expected else {
      throw WatermarkError("code \(self) needs \(expected) coded bits for \(payloadBits) payload bits, got \(coded.count)")
    }
    switch self {
    case .none:
      return DecodedPayload(bits: coded, correctedBits: 0, failedBlocks: 0, blocks: 0)
    case .repetition(let copies):
      var result = DecodedPayload(bits: [], correctedBits: 0, failedBlocks: 0, blocks: payloadBits)
      for start in stride(from: 0, to: coded.count, by: copies) {
        let ones = coded[start..<(start + copies)].filter { $0 }.count
        let bit = ones * 2 > copies
        result.bits.append(bit)
        result.correctedBits += bit ? copies - ones : ones
      }
      return result
    case .bch(let m, let t): return try BCHCode(m: m, t: t).decode(coded, payloadBits: payloadBits)
    }
  }
}

/// What a decoder made of the coded bits.
public struct DecodedPayload: Codable, Sendable, Equatable {
  public var bits: [Bool]
  /// Coded bits the decoder changed (BCH: errors located; repetition: outvoted copies).
  public var correctedBits: Int
  /// Blocks the decoder declared uncorrectable (BCH only); their payload bits are returned as read.
  public var failedBlocks: Int
  /// Code blocks (BCH) or repetition groups; 0 without a code.
  public var blocks: Int
}

/// Payloads: raw bits or UTF-8 text.
public enum Payload {
  public static func bits(of text: String) -> [Bool] {
    Array(text.utf8).flatMap { byte in (0..<8).map { byte >> (7 - $0) & 1 == 1 } }
  }

  /// Bits from a string of 0/1; throws on anything else or an empty string.
  public static func bits(parsing text: String) throws -> [Bool] {
    guard !text.isEmpty, text.allSatisfy({ $0 == "0" || $0 == "1" }) else {
      throw WatermarkError("a bit payload must be a non-empty string of 0 and 1")
    }
    return text.map { $0 == "1" }
  }

  /// Text from bits (invalid UTF-8 is replaced, never a crash).
  public static func text(from bits: [Bool]) -> String {
    let bytes = stride(from: 0, to: bits.count - 7, by: 8).map { start in
      (0..<8).reduce(UInt8(0)) { $0 << 1 | (bits[start + $1] ? 1 : 0) }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
