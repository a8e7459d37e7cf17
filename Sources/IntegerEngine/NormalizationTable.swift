/// The GDN's division in hardware: f(P) for a positive integer pool P, where
/// f is P^(-1/2) (GDN), P^(1/2) (inverse GDN) or 1/P (simplified GDN), as a
/// mantissa value times a power of two.
///
/// P is normalised to a mantissa m in [1, 4) (square-root kinds, even
/// exponent) or [1, 2) (reciprocal) held with 30 fraction bits (low bits
/// truncated when P is larger). The table has `2^indexBits` equal segments
/// per unit of m; entries are f(knot) rounded to `fractionBits` fraction bits;
/// between knots the value is interpolated linearly with a floor shift.
/// Hardware: a count-leading-zeros, a shifter, one small ROM, one multiplier.
public struct NormalizationTable: Equatable, Sendable {
  public enum Function: String, Sendable, Codable {
    case inverseSquareRoot, squareRoot, reciprocal
  }

  public let function: Function
  public let indexBits: Int
  public let fractionBits: Int
  /// Knot values, `segments + 1` entries.
  public let entries: [Int64]

  static let mantissaBits = 30

  public init(function: Function, indexBits: Int = 6, fractionBits: Int = 16) throws {
    guard (1...12).contains(indexBits), (4...30).contains(fractionBits) else {
      throw IntegerEngineError("normalisation table needs 1...12 index bits and 4...30 fraction bits, got \(indexBits), \(fractionBits)")
    }
    self.function = function
    self.indexBits = indexBits
    self.fractionBits = fractionBits
    let span = function == .reciprocal ? 1 : 3
    let segments = span << indexBits
    let scale = pow2(fractionBits)
    entries = (0...segments).map { i in
      let m = 1 + Double(i) / Double(1 << indexBits)
      let f: Double
      switch function {
      case .inverseSquareRoot: f = 1 / m.squareRoot()
      case .squareRoot: f = m.squareRoot()
      case .reciprocal: f = 1 / m
      }
      return Int64((f * scale).rounded())
    }
  }

  /// f(P) ~= value * 2^(-fractionBits) * 2^exponent. P <= 0 is treated as 1.
  @inline(__always) public func evaluate(_ pool: Int64) -> (value: Int64, exponent: Int) {
    let p = UInt64(Swift.max(pool, 1))
    let log2 = 63 - p.leadingZeroBitCount
    let normaliser = function == .reciprocal ? log2 : log2 & ~1
    let mb = Self.mantissaBits
    let mantissa = normaliser <= mb ? p << UInt64(mb - normaliser) : p >> UInt64(normaliser - mb)
    let offset = mantissa - (UInt64(1) << UInt64(mb))
    let segmentShift = UInt64(mb - indexBits)
    let index = Int(offset >> segmentShift)
    let fraction = Int64(offset & ((UInt64(1) << segmentShift) - 1))
    let a = entries[index], b = entries[index + 1]
    let value = a + (((b - a) * fraction) >> Int64(segmentShift))
    let exponent: Int
    switch function {
    case .inverseSquareRoot: exponent = -(normaliser / 2)
    case .squareRoot: exponent = normaliser / 2
    case .reciprocal: exponent = -normaliser
    }
    return (value, exponent)
  }

  /// The real value represented (for tests and reports).
  public func approximate(_ pool: Int64) -> Double {
    let (v, e) = evaluate(pool)
    return Double(v) * pow2(e - fractionBits)
  }
}
