import EntropyCoding
import Foundation
import XCTest

final class CDFTableTests: XCTestCase {
  private func assertThrows(
    _ expected: (EntropyCodingError) -> Bool, file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Void
  ) {
    do {
      try body()
      XCTFail("no error thrown", file: file, line: line)
    } catch let error as EntropyCodingError {
      XCTAssertTrue(expected(error), "unexpected \(error)", file: file, line: line)
      XCTAssertFalse(error.message.isEmpty, file: file, line: line)
    } catch {
      XCTFail("untyped \(error)", file: file, line: line)
    }
  }

  private static func isInvalidTable(_ e: EntropyCodingError) -> Bool {
    if case .invalidTable = e { return true } else { return false }
  }
  private static func isInvalidIndex(_ e: EntropyCodingError) -> Bool {
    if case .invalidIndex = e { return true } else { return false }
  }
  private static func isMismatch(_ e: EntropyCodingError) -> Bool {
    if case .mismatchedLengths = e { return true } else { return false }
  }

  func testInvalidTablesAreRejected() {
    let bad: [([Int32], Int32)] = [
      ([1, 65536], 2),  // does not start at 0
      ([0, 65535], 2),  // does not end at 65536
      ([0, 10, 10, 65536], 4),  // zero-frequency symbol
      ([0, 20, 10, 65536], 4),  // decreasing
      ([0], 1),  // too short
      ([0, 65536], 3),  // length beyond the row
      ([0, 65536], -1),  // negative length
    ]
    for (cdf, length) in bad {
      assertThrows(Self.isInvalidTable) {
        _ = try CDFTable(cdfs: [cdf], cdfLengths: [length], offsets: [0])
      }
      assertThrows(Self.isInvalidTable) {
        _ = try RansEncoder.encode(
          symbols: [0], indexes: [0], cdfs: [cdf], cdfLengths: [length], offsets: [0])
      }
      assertThrows(Self.isInvalidTable) {
        _ = try RansDecoder.decode(
          [0, 0, 0, 0x80, 0, 0, 0, 0] as [UInt8], indexes: [0], cdfs: [cdf], cdfLengths: [length],
          offsets: [0])
      }
    }
    // An offset that would make decoded values overflow Int32.
    assertThrows(Self.isInvalidTable) {
      _ = try CDFTable(cdfs: [[0, 100, 65536]], cdfLengths: [3], offsets: [Int32.max])
    }
  }

  func testMismatchedLengths() throws {
    assertThrows(Self.isMismatch) {
      _ = try CDFTable(cdfs: [[0, 65536]], cdfLengths: [2, 2], offsets: [0])
    }
    assertThrows(Self.isMismatch) {
      _ = try CDFTable(cdfs: [[0, 65536]], cdfLengths: [2], offsets: [])
    }
    assertThrows(Self.isMismatch) {
      _ = try CDFTable(pmfs: [[0.5]], tailMasses: [], offsets: [0])
    }
    let table = try CDFTable(cdfs: [[0, 30000, 65536]], cdfLengths: [3], offsets: [0])
    assertThrows(Self.isMismatch) { _ = try table.encode(symbols: [0, 1], indexes: [0]) }
  }

  func testIndexOutOfRange() throws {
    let table = try CDFTable(
      cdfs: [[0, 30000, 65536], [0, 1, 65536]], cdfLengths: [3, 3], offsets: [0, 0])
    for index: Int32 in [-1, 2, Int32.max, Int32.min] {
      assertThrows(Self.isInvalidIndex) {
        _ = try table.encode(symbols: [0, 0], indexes: [0, index])
      }
      let valid = try table.encode(symbols: [0, 0], indexes: [0, 1])
      assertThrows(Self.isInvalidIndex) { _ = try table.decode(valid, indexes: [0, index]) }
    }
  }

  func testCodableRoundTripAndEquality() throws {
    let table = try Fixtures.gaussianTable(scales: [0.7, 2.5])
    let json = try JSONEncoder().encode(table)
    let decoded = try JSONDecoder().decode(CDFTable.self, from: json)
    XCTAssertEqual(decoded, table)
    XCTAssertNotEqual(try Fixtures.gaussianTable(scales: [0.7, 2.6]), table)
    // The rebuilt lookups work.
    let bytes = try table.encode(symbols: [1, -2, 50], indexes: [0, 1, 1])
    XCTAssertEqual(try decoded.decode(bytes, indexes: [0, 1, 1]), [1, -2, 50])

    let invalid = #"{"cdfs":[[0,5,5,65536]],"cdfLengths":[4],"offsets":[0]}"#
    XCTAssertThrowsError(try JSONDecoder().decode(CDFTable.self, from: Data(invalid.utf8))) {
      error in
      XCTAssertTrue(error is DecodingError, "\(error)")
    }
  }

  func testPMFInitializerMatchesQuantizedCDF() throws {
    let table = try CDFTable(
      pmfs: [[0.5, 0.25, 0.25], [0.000001, 0.7, 0.3]], tailMasses: [0, 0.000001], offsets: [-1, 0])
    XCTAssertEqual(table.cdfs, [[0, 32768, 49151, 65535, 65536], [0, 1, 45876, 65535, 65536]])
    XCTAssertEqual(table.cdfLengths, [5, 5])
    XCTAssertEqual(table.count, 2)
  }
}
