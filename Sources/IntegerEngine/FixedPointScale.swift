/// Multiplication by a real constant in integer arithmetic:
/// `round_half_up(v * multiplier / 2^shift)`, computed exactly in 128 bits
/// and saturated to Int64. The rounding is `floor(v * m / 2^s + 1/2)`, i.e.
/// add 2^(s-1) then shift arithmetically; halves round towards +infinity for
/// both signs. This is the requantization step of every layer.
public struct FixedPointScale: Equatable, Sendable, Codable {
  /// In [2^30, 2^31) for a normal scale, 0 for a zero scale.
  public var multiplier: Int64
  public var shift: Int

  public init(multiplier: Int64, shift: Int) {
    self.multiplier = multiplier
    self.shift = shift
  }

  /// The closest representation of `scale` (> 0) with a 31-bit multiplier.
  /// This is the only place floating point is used: when a model is built.
  public init(approximating scale: Double) throws {
    guard scale.isFinite, scale >= 0 else { throw IntegerEngineError("cannot represent the scale \(scale)") }
    guard scale > 0 else {
      self.init(multiplier: 0, shift: 0)
      return
    }
    var shift = 0
    var m = scale
    while m < Double(1 << 30) { m *= 2; shift += 1 }
    while m >= Double(1 << 31) { m /= 2; shift -= 1 }
    var rounded = Int64(m.rounded())
    if rounded == Int64(1) << 31 { rounded >>= 1; shift -= 1 }
    guard shift >= -32, shift <= 120 else {
      throw IntegerEngineError("scale \(scale) is out of the representable range (shift \(shift))")
    }
    self.init(multiplier: rounded, shift: shift)
  }

  /// The real value this represents (for reports and tests).
  public var value: Double { Double(multiplier) * pow2(-shift) }

  /// `round_half_up(v * multiplier / 2^(shift + extraShift))`, saturated.
  @inline(__always) public func apply(_ v: Int64, extraShift: Int = 0) -> Int64 {
    Self.roundingShift(v, times: multiplier, by: shift + extraShift)
  }

  /// round_half_up(a * b / 2^s) in 128-bit precision, saturated to Int64; s may be negative.
  @inline(__always) public static func roundingShift(_ a: Int64, times b: Int64, by s: Int) -> Int64 {
    let (high, low) = a.multipliedFullWidth(by: b)
    // Fast path: the product fits in 64 bits.
    if (high == 0 && low >> 63 == 0) || (high == -1 && low >> 63 == 1) {
      let p = Int64(bitPattern: low)
      if s <= 0 {
        if s < -62 { return p == 0 ? 0 : (p > 0 ? .max : .min) }
        let (r, o) = p.multipliedReportingOverflow(by: Int64(1) << -s)
        return o ? (p > 0 ? .max : .min) : r
      }
      if s < 63 {
        let (sum, o) = p.addingReportingOverflow(Int64(1) << (s - 1))
        if !o { return sum >> s }
      }
    }
    return wideRoundingShift(high: high, low: low, by: s)
  }

  static func wideRoundingShift(high: Int64, low: UInt64, by s: Int) -> Int64 {
    let negative = high < 0
    if s <= 0 { return negative ? .min : .max }
    // 128-bit add of 2^(s-1), then arithmetic shift right by s.
    var h = high, l = low
    if s - 1 < 64 {
      let (nl, carry) = l.addingReportingOverflow(UInt64(1) << (s - 1))
      l = nl
      if carry { h &+= 1 }
    } else if s - 1 < 127 {
      h &+= Int64(1) << (s - 1 - 64)
    }
    let shifted: (Int64, UInt64)
    if s >= 128 {
      shifted = (h >> 63, UInt64(bitPattern: h >> 63))
    } else if s >= 64 {
      shifted = (h >> 63, UInt64(bitPattern: h >> (s - 64)))
    } else {
      shifted = (h >> s, (l >> UInt64(s)) | (UInt64(bitPattern: h) << UInt64(64 - s)))
    }
    let (rh, rl) = shifted
    if rh == 0 && rl >> 63 == 0 { return Int64(bitPattern: rl) }
    if rh == -1 && rl >> 63 == 1 { return Int64(bitPattern: rl) }
    return rh < 0 ? .min : .max
  }
}

@inline(__always) func pow2(_ e: Int) -> Double {
  var v = 1.0
  if e >= 0 { for _ in 0..<e { v *= 2 } } else { for _ in 0..<(-e) { v /= 2 } }
  return v
}
