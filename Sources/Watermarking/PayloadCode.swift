/// Error-correcting code of the payload. Repetition with majority vote: the
/// simplest code that trades capacity for robustness, and enough to show the
/// trade-off (payload x robustness) the paper discusses.
public enum PayloadCode: Codable, Sendable, Equatable {
  case none
  /// Each bit written `copies` times (odd), decoded by majority.
  case repetition(copies: Int)

  public var expansion: Int {
    switch self {
    case .none: return 1
    case .repetition(let copies): return copies
    }
  }

  public func encode(_ bits: [Bool]) -> [Bool] {
    switch self {
    case .none: return bits
    case .repetition(let copies): return bits.flatMap { [Bool](repeating: $0, count: copies) }
    }
  }

  public func decode(_ coded: [Bool]) -> [Bool] {
    switch self {
    case .none: return coded
    case .repetition(let copies):
      return stride(from: 0, to: coded.count - copies + 1, by: copies).map { start in
        coded[start..<(start + copies)].filter { $0 }.count * 2 > copies
      }
    }
  }
}

/// Payloads: raw bits or UTF-8 text.
public enum Payload {
  public static func bits(of text: String) -> [Bool] {
    Array(text.utf8).flatMap { byte in (0..<8).map { byte >> (7 - $0) & 1 == 1 } }
  }

  /// Text from bits (invalid UTF-8 is replaced, never a crash).
  public static func text(from bits: [Bool]) -> String {
    let bytes = stride(from: 0, to: bits.count - 7, by: 8).map { start in
      (0..<8).reduce(UInt8(0)) { $0 << 1 | (bits[start + $1] ? 1 : 0) }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
