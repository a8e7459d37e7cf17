/// SplitMix64 (Steele et al. 2014), re-created from (seed, stream, step) so
/// that any batch of any epoch can be drawn without replaying earlier ones:
/// a resumed run sees exactly the data order and crops an uninterrupted run
/// would have. Same algorithm and mixing as Compression's `SplitMix64`
/// (kept private here because Vision does not depend on Compression).
struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  init(seed: UInt64, stream: UInt64, step: Int) {
    var mixer = SeededGenerator(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
    for _ in 0..<3 { _ = mixer.next() }
    state = mixer.next() ^ UInt64(truncatingIfNeeded: step) &* 0xD1B5_4A32_D192_ED03
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A value in 0..<bound (Lemire's multiply-high; the tiny bias is irrelevant
  /// here, and unlike `Int.random(in:using:)` the algorithm is ours, so the
  /// sequence cannot change with the standard library).
  mutating func below(_ bound: Int) -> Int {
    Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
  }

  /// A permutation of 0..<n (Fisher-Yates).
  mutating func permutation(_ n: Int) -> [Int] {
    var order = Array(0..<n)
    var i = n - 1
    while i > 0 {
      order.swapAt(i, below(i + 1))
      i -= 1
    }
    return order
  }
}

/// The independent random streams of a run.
enum RandomStream: UInt64 {
  case epochOrder = 11, augmentation = 12, dropout = 13, initialization = 14
}
