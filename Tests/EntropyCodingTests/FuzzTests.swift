import EntropyCoding
import LichenRandom
import XCTest

/// Arbitrary, truncated and mutated streams must never crash, hang or yield a
/// value the encoder could not have produced; they either decode or throw.
final class FuzzTests: XCTestCase {
  /// Decodes and checks the result is well formed; returns whether it threw.
  @discardableResult
  private func decodeChecked(
    _ bytes: [UInt8], indexes: [Int32], table: CDFTable, context: @autoclosure () -> String
  ) -> Bool {
    do {
      let values = try table.decode(bytes, indexes: indexes)
      XCTAssertEqual(values.count, indexes.count, context())
      for (value, index) in zip(values, indexes) {
        let range = Fixtures.encodableRange(table: table, index: Int(index))
        if !range.contains(Int64(value)) {
          XCTFail("\(context()): value \(value) outside \(range)")
          break
        }
      }
      return false
    } catch {
      return true
    }
  }

  func testRandomBytes() throws {
    let table = try Fixtures.gaussianTable(scales: [0.3, 1.2, 2.5, 9])
    let clock = ContinuousClock()
    let start = clock.now
    for seed in UInt64(0)..<3000 {
      var rng = SplitMix64(seed: seed)
      let length = Int.random(in: 0...50, using: &rng) * (seed % 7 == 0 ? 1 : 4)
      var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
      if bytes.count >= 8, seed % 2 == 0 {
        bytes[7] &= 0x7F  // a plausible initial state gets past the first check
        bytes[3] |= 0x80
      }
      let indexes = (0..<Int.random(in: 0...80, using: &rng)).map { _ in
        Int32.random(in: 0..<Int32(table.count), using: &rng)
      }
      decodeChecked(bytes, indexes: indexes, table: table, context: "seed \(seed)")
    }
    XCTAssertLessThan(clock.now - start, .seconds(20))
  }

  func testMutatedAndTruncatedStreams() throws {
    let clock = ContinuousClock()
    let start = clock.now
    var thrown = 0
    var total = 0
    for seed in UInt64(0)..<80 {
      var rng = SplitMix64(seed: seed)
      let table = try Fixtures.randomTable(using: &rng)
      let (symbols, indexes) = Fixtures.randomSymbols(
        count: Int.random(in: 1...200, using: &rng), table: table, escapeRate: 0.1, using: &rng)
      let valid = try table.encode(symbols: symbols, indexes: indexes)
      for trial in 0..<60 {
        var bytes = valid
        switch trial % 6 {
        case 0:  // flip one bit
          let bit = Int.random(in: 0..<(bytes.count * 8), using: &rng)
          bytes[bit / 8] ^= UInt8(1 << (bit % 8))
        case 1:  // overwrite a few bytes
          for _ in 0..<Int.random(in: 1...4, using: &rng) {
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(
              in: 0...255, using: &rng)
          }
        case 2:  // truncate anywhere
          bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
        case 3:  // append garbage
          bytes += (0..<Int.random(in: 1...12, using: &rng)).map { _ in
            UInt8.random(in: 0...255, using: &rng)
          }
        case 4:  // swap two words
          let words = bytes.count / 4
          let a = Int.random(in: 0..<words, using: &rng) * 4
          let b = Int.random(in: 0..<words, using: &rng) * 4
          for k in 0..<4 { bytes.swapAt(a + k, b + k) }
        default:  // decode with the wrong tables
          let wrong = indexes.map { _ in Int32.random(in: 0..<Int32(table.count), using: &rng) }
          total += 1
          if decodeChecked(
            bytes, indexes: wrong, table: table, context: "seed \(seed) trial \(trial)")
          {
            thrown += 1
          }
          continue
        }
        total += 1
        if decodeChecked(
          bytes, indexes: indexes, table: table, context: "seed \(seed) trial \(trial)")
        {
          thrown += 1
        }
      }
    }
    // The end-of-stream checks catch most damage even without a checksum.
    XCTAssertGreaterThan(thrown, total / 2)
    XCTAssertLessThan(clock.now - start, .seconds(20))
  }

  func testTruncationAlwaysThrows() throws {
    let table = try Fixtures.gaussianTable(scales: [1, 5])
    var rng = SplitMix64(seed: 99)
    let (symbols, indexes) = Fixtures.randomSymbols(
      count: 400, table: table, escapeRate: 0.05, using: &rng)
    let valid = try table.encode(symbols: symbols, indexes: indexes)
    for length in 0..<valid.count {
      XCTAssertThrowsError(
        try table.decode(valid[0..<length], indexes: indexes), "length \(length)")
    }
    XCTAssertThrowsError(try table.decode(valid + [0, 0, 0, 0], indexes: indexes)) { error in
      guard case .corruptStream = error as? EntropyCodingError else {
        return XCTFail("unexpected \(error)")
      }
    }
  }

  func testShortAndMisalignedStreamsReportTruncation() throws {
    let table = try Fixtures.gaussianTable(scales: [1])
    for bytes: [UInt8] in [[], [0, 0, 0, 0x80], [0, 0, 0, 0x80, 0, 0, 0, 0, 1]] {
      XCTAssertThrowsError(try table.decode(bytes, indexes: [0])) { error in
        guard case .truncatedStream = error as? EntropyCodingError else {
          return XCTFail("unexpected \(error)")
        }
      }
    }
    // Initial state outside [2^31, 2^63).
    for bytes: [UInt8] in [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0x80]] {
      XCTAssertThrowsError(try table.decode(bytes, indexes: [0])) { error in
        guard case .corruptStream = error as? EntropyCodingError else {
          return XCTFail("unexpected \(error)")
        }
      }
    }
  }

  func testEndlessEscapeChunkCountIsRejected() throws {
    // State 2^63 - 1: slot 0xFFFF selects the escape symbol, after which every
    // bypass chunk reads 15 ("more chunks follow"). CompressAI would keep
    // reading; here it must stop with an error.
    let table = try CDFTable(cdfs: [[0, 100, 65536]], cdfLengths: [3], offsets: [0])
    let bytes: [UInt8] =
      [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + [UInt8](repeating: 0xFF, count: 64)
    XCTAssertThrowsError(try table.decode(bytes, indexes: [0, 0, 0])) { error in
      guard case .corruptStream = error as? EntropyCodingError else {
        return XCTFail("unexpected \(error)")
      }
    }
  }
}
