/// A tiny seeded generator for data order, crops and key positions (SplitMix64, Steele et al.
/// 2014). Cheap to re-create from (seed, step), so a resumed run draws
/// exactly the batches the uninterrupted run would have drawn.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// A generator for one step of one stream, independent of all others.
  public init(seed: UInt64, stream: UInt64, step: Int) {
    var mixer = SplitMix64(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
    for _ in 0..<3 { _ = mixer.next() }
    state = mixer.next() ^ UInt64(truncatingIfNeeded: step) &* 0xD1B5_4A32_D192_ED03
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension SplitMix64 {
  /// A value in 0..<bound (Lemire's multiply-high; the tiny bias is irrelevant
  /// here, and unlike `Int.random(in:using:)` the algorithm is ours, so the
  /// sequence cannot change with the standard library).
  public mutating func below(_ bound: Int) -> Int {
    Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
  }
}

extension SplitMix64 {
  /// A permutation of 0..<n (Fisher-Yates).
  public mutating func permutation(_ n: Int) -> [Int] {
    var order = Array(0..<n)
    var i = n - 1
    while i > 0 {
      order.swapAt(i, below(i + 1))
      i -= 1
    }
    return order
  }
}
