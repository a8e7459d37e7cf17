import EntropyCoding
import LichenRandom
import XCTest

final class QuantizedCDFTests: XCTestCase {
  func testExactDyadicPMFStealsForZeroTail() throws {
    // Frequencies 32768, 16384, 16384, 0: the zero tail steals from symbol 1
    // (the first of the two smallest), shifting cdf[2...3] down by one.
    XCTAssertEqual(
      try QuantizedCDF.make(pmf: [0.5, 0.25, 0.25], tailMass: 0),
      [0, 32768, 49151, 65535, 65536])
  }

  func testTinyProbabilitiesStealInBothDirections() throws {
    // 1e-6 * 65536 rounds to 0: symbol 0 steals forward from symbol 2
    // (19661, the smallest > 1), the tail then steals backward from it.
    XCTAssertEqual(
      try QuantizedCDF.make(pmf: [0.000001, 0.7, 0.3], tailMass: 0.000001),
      [0, 1, 45876, 65535, 65536])
  }

  func testRescalesWhenPMFDoesNotSumToOne() throws {
    // Total 32768 doubles each frequency; then the tail steals from symbol 0.
    XCTAssertEqual(
      try QuantizedCDF.make(pmf: [0.25, 0.25], tailMass: 0), [0, 32767, 65535, 65536])
  }

  func testRoundsHalfAwayFromZero() throws {
    // tail * 65536 = 2.5 must become 3 (banker's rounding would give 2 and a
    // different table: [0, 32769, 65533, 65536]).
    XCTAssertEqual(
      try QuantizedCDF.make(pmf: [0.5, 0.49993896484375], tailMass: 2.5 / 65536),
      [0, 32768, 65532, 65536])
  }

  func testEmptyPMFGivesSingleEscapeSymbol() throws {
    XCTAssertEqual(try QuantizedCDF.make(pmf: [], tailMass: 1), [0, 65536])
  }

  func testRandomPMFsGiveValidTables() throws {
    var rng = SplitMix64(seed: 7)
    for trial in 0..<300 {
      let count = Int.random(in: 1...(trial % 10 == 0 ? 500 : 50), using: &rng)
      let pmf = (0..<count).map { _ in
        Float.random(in: 0..<1, using: &rng) < 0.4 ? 0 : Float.random(in: 0..<1, using: &rng)
      }
      let tail = Float.random(in: 0..<0.001, using: &rng)
      guard pmf.contains(where: { $0 > 0 }) || tail > 0 else { continue }
      let cdf = try QuantizedCDF.make(pmf: pmf, tailMass: tail)
      XCTAssertEqual(cdf.count, count + 2, "trial \(trial)")
      XCTAssertEqual(cdf.first, 0, "trial \(trial)")
      XCTAssertEqual(cdf.last, 65536, "trial \(trial)")
      XCTAssertTrue(zip(cdf, cdf.dropFirst()).allSatisfy { $0 < $1 }, "trial \(trial): freq 0")
      XCTAssertTrue(QuantizedCDF.isValid(cdf), "trial \(trial)")
    }
  }

  func testRejectsAllZeroNegativeAndNonFinite() {
    XCTAssertThrowsError(try QuantizedCDF.make(pmf: [0, 0, 0], tailMass: 0)) { error in
      guard case .invalidPMF = error as? EntropyCodingError else {
        return XCTFail("unexpected \(error)")
      }
    }
    // Rounds to zero too, so it is "all zero" after quantization.
    XCTAssertThrowsError(try QuantizedCDF.make(pmf: [1e-7], tailMass: 0))
    XCTAssertThrowsError(try QuantizedCDF.make(pmf: [0.5, -0.1], tailMass: 0))
    XCTAssertThrowsError(try QuantizedCDF.make(pmf: [0.5, .nan], tailMass: 0))
    XCTAssertThrowsError(try QuantizedCDF.make(pmf: [0.5], tailMass: .infinity))
    XCTAssertThrowsError(
      try QuantizedCDF.make(pmf: [Float](repeating: 1e-5, count: 65536), tailMass: 0))
  }

  func testValidateAcceptsAndRejects() {
    XCTAssertNoThrow(try QuantizedCDF.validate([0, 65536] as [Int32]))
    XCTAssertNoThrow(try QuantizedCDF.validate([0, 1, 65535, 65536] as [Int32]))
    XCTAssertFalse(QuantizedCDF.isValid([Int32]()))
    XCTAssertFalse(QuantizedCDF.isValid([0] as [Int32]))
    XCTAssertFalse(QuantizedCDF.isValid([1, 65536] as [Int32]))
    XCTAssertFalse(QuantizedCDF.isValid([0, 65535] as [Int32]))
    XCTAssertFalse(QuantizedCDF.isValid([0, 100, 100, 65536] as [Int32]))
    XCTAssertFalse(QuantizedCDF.isValid([0, 200, 100, 65536] as [Int32]))
    XCTAssertFalse(QuantizedCDF.isValid([0, 65536, 65537] as [Int32]))
    XCTAssertThrowsError(try QuantizedCDF.validate([0, 5, 5, 65536] as [Int32])) { error in
      XCTAssertEqual(
        error as? EntropyCodingError, .invalidTable("entry 2 (5) is not above entry 1 (5)"))
    }
  }
}
