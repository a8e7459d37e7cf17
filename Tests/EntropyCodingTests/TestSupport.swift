import EntropyCoding
import Foundation
import LichenRandom

enum Fixtures {
  /// Discretised zero-mean Gaussians, built like CompressAI's GaussianConditional
  /// (symbols -center...center plus a tail-mass escape symbol).
  static func gaussianTable(scales: [Double], maxCenter: Int = 40) throws -> CDFTable {
    func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
    var pmfs: [[Float]] = []
    var tails: [Float] = []
    var offsets: [Int32] = []
    for scale in scales {
      let center = min(maxCenter, Int((scale * 6.1).rounded(.up)))
      pmfs.append(
        (-center...center).map { k in
          Float(cdf((Double(k) + 0.5) / scale) - cdf((Double(k) - 0.5) / scale))
        })
      tails.append(Float(2 * cdf((-Double(center) - 0.5) / scale)))
      offsets.append(Int32(-center))
    }
    return try CDFTable(pmfs: pmfs, tailMasses: tails, offsets: offsets)
  }

  /// A table with random shapes: tiny, skewed, single-symbol and large CDFs.
  static func randomTable(using rng: inout SplitMix64) throws -> CDFTable {
    let count = Int.random(in: 1...6, using: &rng)
    var pmfs: [[Float]] = []
    var tails: [Float] = []
    var offsets: [Int32] = []
    for _ in 0..<count {
      let length: Int
      switch Int.random(in: 0..<10, using: &rng) {
      case 0: length = 0
      case 1: length = Int.random(in: 200...1200, using: &rng)
      default: length = Int.random(in: 1...40, using: &rng)
      }
      var pmf = (0..<length).map { _ in
        Float.random(in: 0..<1, using: &rng) < 0.3
          ? Float.random(in: 0..<1e-6, using: &rng) : Float.random(in: 0..<1, using: &rng)
      }
      let sum = pmf.reduce(0, +)
      if sum > 0 { pmf = pmf.map { $0 / sum } }
      pmfs.append(pmf)
      tails.append(length == 0 ? 1 : Float.random(in: 0..<0.01, using: &rng))
      offsets.append(Int32.random(in: -600...600, using: &rng))
    }
    return try CDFTable(pmfs: pmfs, tailMasses: tails, offsets: offsets)
  }

  /// Symbols mostly inside their table, some escaping (a few up to +-2^30).
  static func randomSymbols(
    count: Int, table: CDFTable, escapeRate: Double, using rng: inout SplitMix64
  ) -> (symbols: [Int32], indexes: [Int32]) {
    var symbols: [Int32] = []
    var indexes: [Int32] = []
    for _ in 0..<count {
      let c = Int.random(in: 0..<table.count, using: &rng)
      indexes.append(Int32(c))
      let offset = table.offsets[c]
      let maxValue = table.cdfLengths[c] - 2
      if Double.random(in: 0..<1, using: &rng) < escapeRate {
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: symbols.append(offset - Int32.random(in: 1...1000, using: &rng))
        case 1: symbols.append(offset + maxValue + Int32.random(in: 0...1000, using: &rng))
        default:
          let range = encodableRange(table: table, index: c)
          symbols.append(Int32(Int64.random(in: range, using: &rng)))
        }
      } else if maxValue > 0 {
        symbols.append(offset + Int32.random(in: 0..<maxValue, using: &rng))
      } else {
        symbols.append(offset)
      }
    }
    return (symbols, indexes)
  }

  /// The values a decoder may legally return for table `c`: exactly the
  /// values whose escape code fits in Int32.
  static func encodableRange(table: CDFTable, index c: Int) -> ClosedRange<Int64> {
    let offset = Int64(table.offsets[c])
    let maxValue = Int64(table.cdfLengths[c] - 2)
    let low = max(Int64(Int32.min), offset - (1 << 30))
    let high = min(Int64(Int32.max), offset + maxValue + (1 << 30) - 1)
    return low...high
  }
}
