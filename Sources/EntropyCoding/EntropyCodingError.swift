/// Every failure the entropy coder can report.
///
/// The coder never traps on caller data: bad tables, bad indexes and damaged
/// streams all surface as one of these cases, each with a human-readable message.
public enum EntropyCodingError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A PMF could not be turned into a quantized CDF (negative, non-finite, all zero, too long).
  case invalidPMF(String)
  /// A CDF table is malformed (not 0...65536, not strictly increasing, bad length or offset).
  case invalidTable(String)
  /// A symbol refers to a table that does not exist.
  case invalidIndex(String)
  /// Argument arrays that must line up have different lengths.
  case mismatchedLengths(String)
  /// A symbol lies too far outside its table to be coded (escape value must fit in `Int32`).
  case valueOutOfRange(String)
  /// The stream ended before all symbols were decoded.
  case truncatedStream(String)
  /// The stream is internally inconsistent (impossible state, bad escape, trailing data).
  case corruptStream(String)

  /// The detail message of the error.
  public var message: String {
    switch self {
    case .invalidPMF(let message), .invalidTable(let message), .invalidIndex(let message),
      .mismatchedLengths(let message), .valueOutOfRange(let message),
      .truncatedStream(let message), .corruptStream(let message):
      return message
    }
  }

  public var description: String {
    switch self {
    case .invalidPMF: return "invalid PMF: \(message)"
    case .invalidTable: return "invalid CDF table: \(message)"
    case .invalidIndex: return "invalid table index: \(message)"
    case .mismatchedLengths: return "mismatched lengths: \(message)"
    case .valueOutOfRange: return "value out of range: \(message)"
    case .truncatedStream: return "truncated stream: \(message)"
    case .corruptStream: return "corrupt stream: \(message)"
    }
  }
}
