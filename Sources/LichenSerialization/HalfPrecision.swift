/// IEEE half and bfloat16 conversions written out by hand.
///
/// Swift's `Float16` is missing on Intel macOS, so these bit-level versions keep
/// the serialization code portable; tests check them against `Float16` where it exists.
enum HalfPrecision {
  /// Widens IEEE 754 binary16 bits to a `Float` (exact: every half is a float).
  static func float(fromHalfBits bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = UInt32((bits >> 10) & 0x1F)
    let mantissa = UInt32(bits & 0x03FF)
    switch exponent {
    case 0:
      // Zero or subnormal: mantissa * 2^-24, exactly representable in a float.
      let magnitude = Float(mantissa) * 0x1p-24
      return sign == 0 ? magnitude : -magnitude
    case 0x1F:
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
      return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
  }

  /// Narrows a `Float` to binary16 bits, rounding to nearest, ties to even
  /// (what PyTorch's `.half()` does); overflow gives infinity, NaN stays NaN.
  static func halfBits(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x007F_FFFF
    if exponent == 0xFF {
      guard mantissa != 0 else { return sign | 0x7C00 }
      return sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 31 { return sign | 0x7C00 }
    if halfExponent <= 0 {
      // Subnormal half (or zero): round mantissa-with-implicit-bit / 2^shift.
      if halfExponent < -10 { return sign }
      let full = mantissa | 0x0080_0000
      let shift = UInt32(14 - halfExponent)
      var result = full >> shift
      let remainder = full & ((1 << shift) - 1)
      let halfway = UInt32(1) << (shift - 1)
      if remainder > halfway || (remainder == halfway && result & 1 == 1) { result += 1 }
      return sign | UInt16(truncatingIfNeeded: result)
    }
    var result = (UInt32(halfExponent) << 10) | (mantissa >> 13)
    let remainder = mantissa & 0x1FFF
    if remainder > 0x1000 || (remainder == 0x1000 && result & 1 == 1) {
      result += 1  // A carry into the exponent is correct, up to infinity.
    }
    return sign | UInt16(truncatingIfNeeded: result)
  }

  /// Widens bfloat16 bits (the top half of a float) to a `Float`.
  static func float(fromBFloat16Bits bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }
}
