import LichenRandom

/// The seeded generator behind the random test vectors: the package's
/// SplitMix64 (not the standard library's generators) so that a seed gives the
/// same vectors on every machine and Swift version, and the measured results
/// in docs/results/fpga can be reproduced exactly.
struct RTLRandom: Sendable {
  private var generator: SplitMix64

  init(seed: UInt64) { generator = SplitMix64(seed: seed ^ 0x5151_4C49_4348_454E) }

  mutating func next() -> UInt64 { generator.next() }

  /// Uniform in 0..<bound (bound > 0).
  mutating func below(_ bound: UInt64) -> UInt64 { next().multipliedFullWidth(by: bound).high }

  /// Uniform in the closed range.
  mutating func int(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + Int(below(UInt64(range.upperBound - range.lowerBound) + 1))
  }

  /// True with probability `p`.
  mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1p-53 < p }

  /// Uniform in the signed range of `bits` bits: [-2^(bits-1), 2^(bits-1) - 1].
  mutating func signed(bits: Int) -> Int64 {
    let half = Int64(1) << (bits - 1)
    return Int64(bitPattern: below(UInt64(2 * half))) - half
  }

  /// A value whose magnitude is log-uniform in [0, 2^bits): first a bit
  /// length, then the bits below it. Covers small and huge values alike.
  mutating func logUniform(bits: Int) -> UInt64 {
    let length = int(0...bits)
    if length == 0 { return 0 }
    let top = UInt64(1) << UInt64(length - 1)
    return top | below(top)
  }
}
