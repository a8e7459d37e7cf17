import EntropyCoding
import Foundation
import LichenRandom
import XCTest

final class RoundTripTests: XCTestCase {
  /// The dyadic table [0.5, 0.25, 0.25] + zero tail, symbol 0 meaning -1.
  private func smallTable() throws -> CDFTable {
    try CDFTable(cdfs: [[0, 32768, 49151, 65535, 65536]], cdfLengths: [5], offsets: [-1])
  }

  func testGoldenStreamMatchesCompressAILayout() throws {
    // Bytes produced by CompressAI's encode_with_indexes (rans64, little-endian
    // words) for the same table and symbols; locks the format.
    let symbols: [Int32] = [-1, 0, 1, 2, -5, 40, 1 << 30, -(1 << 30)]
    let indexes = [Int32](repeating: 0, count: symbols.count)
    let golden = "913f27ff41001000ffff71ffc2f4ff0fc8ffff0f7fffffd8ffffff07"
    let bytes = try smallTable().encode(symbols: symbols, indexes: indexes)
    XCTAssertEqual(bytes.map { String(format: "%02x", $0) }.joined(), golden)
    XCTAssertEqual(try smallTable().decode(bytes, indexes: indexes), symbols)
  }

  func testEmptyInput() throws {
    let table = try smallTable()
    let bytes = try table.encode(symbols: [], indexes: [])
    XCTAssertEqual(bytes, [0, 0, 0, 0x80, 0, 0, 0, 0])
    XCTAssertEqual(try table.decode(bytes, indexes: []), [])
  }

  func testSingleSymbol() throws {
    let table = try Fixtures.gaussianTable(scales: [1, 4])
    for value: Int32 in [-3, 0, 5, -1000, 123_456] {
      for index: Int32 in [0, 1] {
        let bytes = try table.encode(symbols: [value], indexes: [index])
        XCTAssertEqual(try table.decode(bytes, indexes: [index]), [value])
      }
    }
  }

  func testGaussianTablesRoundTrip() throws {
    let table = try Fixtures.gaussianTable(scales: [0.2, 0.8, 1.5, 2, 3, 8, 30])
    var rng = SplitMix64(seed: 11)
    let (symbols, indexes) = Fixtures.randomSymbols(
      count: 20_000, table: table, escapeRate: 0.01, using: &rng)
    let bytes = try table.encode(symbols: symbols, indexes: indexes)
    XCTAssertEqual(bytes.count % 4, 0)
    XCTAssertEqual(try table.decode(bytes, indexes: indexes), symbols)
  }

  func testEscapeBoundaries() throws {
    // Offsets near zero so that every value up to +-2^30 is representable.
    let table = try Fixtures.gaussianTable(scales: [0.5, 2, 10])
    var symbols: [Int32] = []
    var indexes: [Int32] = []
    for c in 0..<table.count {
      let offset = table.offsets[c]
      let maxValue = table.cdfLengths[c] - 2
      // Escape codes 0, 1, 2, 15, 16, 2^28 - 1, 2^28 (chunk-count edges) and
      // Int32.max (largest allowed), from below and from above the table.
      let below: [Int32] = [-1, -2, -8, -9, -(1 << 27), -(1 << 27) - 1, -(1 << 30)]
      let above: [Int32] = [0, 1, 7, 8, (1 << 27) - 1, 1 << 27, (1 << 30) - 1]
      for delta in below {
        symbols.append(offset + delta)
        indexes.append(Int32(c))
      }
      for delta in above {
        symbols.append(offset + maxValue + delta)
        indexes.append(Int32(c))
      }
      symbols += [offset, offset + maxValue - 1, 1 << 30, -(1 << 30)]
      indexes += [Int32](repeating: Int32(c), count: 4)
    }
    let bytes = try table.encode(symbols: symbols, indexes: indexes)
    XCTAssertEqual(try table.decode(bytes, indexes: indexes), symbols)
  }

  func testSingleSymbolTableEscapesEverything() throws {
    let table = try CDFTable(cdfs: [[0, 65536]], cdfLengths: [2], offsets: [0])
    let symbols: [Int32] = [0, 1, -1, 77, -(1 << 30), (1 << 30) - 1]
    let indexes = [Int32](repeating: 0, count: symbols.count)
    let bytes = try table.encode(symbols: symbols, indexes: indexes)
    XCTAssertEqual(try table.decode(bytes, indexes: indexes), symbols)
  }

  func testValuesBeyondInt32EscapeAreRejected() throws {
    let table = try smallTable()  // offset -1, maxValue 3
    for symbol: Int32 in [Int32.min, Int32.max, -(1 << 30) - 2, (1 << 30) + 2] {
      XCTAssertThrowsError(try table.encode(symbols: [symbol], indexes: [0]), "\(symbol)") {
        error in
        guard case .valueOutOfRange = error as? EntropyCodingError else {
          return XCTFail("unexpected \(error)")
        }
      }
    }
    // The extremes that do fit: escape codes 2^31 - 1 and 2^31 - 2.
    for symbol: Int32 in [-(1 << 30) - 1, (1 << 30) + 1] {
      let bytes = try table.encode(symbols: [symbol], indexes: [0])
      XCTAssertEqual(try table.decode(bytes, indexes: [0]), [symbol])
    }
  }

  func testSeededRandomRoundTrips() throws {
    for seed in UInt64(1)...40 {
      var rng = SplitMix64(seed: seed)
      let table = try Fixtures.randomTable(using: &rng)
      let count = Int.random(in: 0...3000, using: &rng)
      let (symbols, indexes) = Fixtures.randomSymbols(
        count: count, table: table, escapeRate: Double.random(in: 0..<0.2, using: &rng), using: &rng
      )
      do {
        let bytes = try table.encode(symbols: symbols, indexes: indexes)
        let decoded = try table.decode(bytes, indexes: indexes)
        XCTAssertEqual(decoded, symbols, "round trip failed for seed \(seed)")
      } catch {
        XCTFail("seed \(seed): \(error)")
      }
    }
  }

  func testArrayFormsAndByteCollections() throws {
    let table = try Fixtures.gaussianTable(scales: [1, 3])
    var rng = SplitMix64(seed: 5)
    let (symbols, indexes) = Fixtures.randomSymbols(
      count: 500, table: table, escapeRate: 0.05, using: &rng)
    let bytes = try RansEncoder.encode(
      symbols: symbols, indexes: indexes, cdfs: table.cdfs, cdfLengths: table.cdfLengths,
      offsets: table.offsets)
    XCTAssertEqual(bytes, try table.encode(symbols: symbols, indexes: indexes))
    XCTAssertEqual(
      try RansDecoder.decode(
        bytes, indexes: indexes, cdfs: table.cdfs, cdfLengths: table.cdfLengths,
        offsets: table.offsets),
      symbols)
    // Contiguous slices, Foundation Data and a non-contiguous collection.
    let padded = [0xAB] + bytes + [0xCD]
    XCTAssertEqual(try table.decode(padded[1..<(padded.count - 1)], indexes: indexes), symbols)
    XCTAssertEqual(try table.decode(Data(bytes), indexes: indexes), symbols)
    XCTAssertEqual(try table.decode(bytes.lazy.map { $0 }, indexes: indexes), symbols)
  }

  func testPaddedRowsAreAllowed() throws {
    // CompressAI stores CDFs zero-padded to the longest row.
    let table = try CDFTable(
      cdfs: [[0, 40000, 65536, 0, 0], [0, 1000, 30000, 65535, 65536]],
      cdfLengths: [3, 5], offsets: [0, -2])
    let symbols: [Int32] = [0, 1, 2, -2, -1, 0, 1, 9]
    let indexes: [Int32] = [0, 0, 0, 1, 1, 1, 1, 1]
    let bytes = try table.encode(symbols: symbols, indexes: indexes)
    XCTAssertEqual(try table.decode(bytes, indexes: indexes), symbols)
  }
}
