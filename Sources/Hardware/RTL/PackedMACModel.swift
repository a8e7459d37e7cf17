/// The packed MAC's arithmetic in Swift, step for step as `lichen_packed_mac`
/// does it (pack, one multiply, accumulate in ACCW bits, split the fields),
/// so the packing argument can be checked against plain Int64 sums without a
/// simulator, and so a broken variant (no borrow correction, one beat too
/// many) can be shown to fail.
enum PackedMACModel {
  static let fieldBits = PackedMACConfig.fieldBits

  /// The pre-adder's output: (w1 << 18) + w2, w2 sign-extended.
  static func packedOperand(_ w1: Int64, _ w2: Int64) -> Int64 { (w1 << Int64(fieldBits)) + w2 }

  /// Two's-complement wrap to `bits` bits (the width of a Verilog register).
  static func wrap(_ v: Int64, bits: Int) -> Int64 {
    bits >= 64 ? v : (v << Int64(64 - bits)) >> Int64(64 - bits)
  }

  /// Splits an accumulated packed sum into (sum of a*w1, sum of a*w2). Without
  /// `correction` the upper field is taken as is, which is off by one
  /// whenever the low sum is negative.
  static func extract(_ p: Int64, correction: Bool = true) -> (sum1: Int64, sum2: Int64) {
    let low = wrap(p, bits: fieldBits)
    let borrow: Int64 = correction && low < 0 ? 1 : 0
    return ((p >> Int64(fieldBits)) + borrow, low)
  }

  /// One group through the unit: sum of a * packed in `accumulatorBits`, then the split.
  static func group(a: [Int64], w1: [Int64], w2: [Int64], accumulatorBits: Int = 64, correction: Bool = true)
    -> (sum1: Int64, sum2: Int64)
  {
    var acc: Int64 = 0
    for i in a.indices { acc = wrap(acc &+ a[i] &* packedOperand(w1[i], w2[i]), bits: accumulatorBits) }
    return extract(acc, correction: correction)
  }

  /// The reference: the plain sums the integer engine's dot products compute.
  static func plainSums(a: [Int64], w1: [Int64], w2: [Int64]) -> (sum1: Int64, sum2: Int64) {
    var s1: Int64 = 0, s2: Int64 = 0
    for i in a.indices {
      s1 += a[i] * w1[i]
      s2 += a[i] * w2[i]
    }
    return (s1, s2)
  }
}
