import XCTest

@testable import IntegerEngine

final class FixedPointTests: XCTestCase {
  func testRoundHalfUpForBothSigns() {
    let half = FixedPointScale(multiplier: 1 << 30, shift: 31)  // 0.5
    XCTAssertEqual(half.apply(5), 3)  // 2.5 -> 3
    XCTAssertEqual(half.apply(-5), -2)  // -2.5 -> -2 (half up)
    XCTAssertEqual(half.apply(-7), -3)  // -3.5 -> -3
    XCTAssertEqual(half.apply(4), 2)
    XCTAssertEqual(half.apply(0), 0)
  }

  func testApproximationIsWithinOneUlpOfThirtyOneBits() throws {
    for scale in [1e-9, 3.7e-5, 0.011, 0.5, 1, 1.3, 255, 9.99e5] {
      let f = try FixedPointScale(approximating: scale)
      XCTAssertGreaterThanOrEqual(f.multiplier, 1 << 30)
      XCTAssertLessThan(f.multiplier, 1 << 31)
      XCTAssertEqual(f.value, scale, accuracy: scale * 1e-9)
    }
    XCTAssertThrowsError(try FixedPointScale(approximating: -1))
    XCTAssertThrowsError(try FixedPointScale(approximating: .nan))
  }

  func testWideProductsAreExact() {
    // 2^40 * (2^30 + 1) / 2^40 = 2^30 + 1 exactly: the product needs 71 bits.
    XCTAssertEqual(FixedPointScale.roundingShift(1 << 40, times: (1 << 30) + 1, by: 40), (1 << 30) + 1)
    XCTAssertEqual(FixedPointScale.roundingShift(-(1 << 40), times: (1 << 30) + 1, by: 40), -((1 << 30) + 1))
    // Half of an odd 2^70-scale value rounds up.
    XCTAssertEqual(FixedPointScale.roundingShift(3 << 40, times: 1 << 30, by: 71), 2)  // 1.5 -> 2
    XCTAssertEqual(FixedPointScale.roundingShift(-(3 << 40), times: 1 << 30, by: 71), -1)  // -1.5 -> -1
    // Saturation instead of wrap-around.
    XCTAssertEqual(FixedPointScale.roundingShift(.max, times: .max, by: 0), .max)
    XCTAssertEqual(FixedPointScale.roundingShift(.min, times: .max, by: 1), .min)
    XCTAssertEqual(FixedPointScale.roundingShift(1 << 40, times: 1 << 30, by: -10), .max)
    XCTAssertEqual(FixedPointScale.roundingShift(7, times: 3, by: 200), 0)
  }

  func testWidePathAgreesWithNarrowPathOnRandomValues() {
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<10_000 {
      let a = Int64.random(in: -(1 << 31)...(1 << 31), using: &rng)
      let b = Int64.random(in: 0...(1 << 31), using: &rng)
      let s = Int.random(in: 1...62, using: &rng)
      let (high, low) = a.multipliedFullWidth(by: b)
      XCTAssertEqual(FixedPointScale.roundingShift(a, times: b, by: s), FixedPointScale.wideRoundingShift(high: high, low: low, by: s))
      // Reference with exact decimal arithmetic through Double where the product is small enough.
      if Swift.abs(a) < 1 << 20, b < 1 << 20 {
        XCTAssertEqual(Double(FixedPointScale.roundingShift(a, times: b, by: s)), (Double(a * b) / pow(2, Double(s)) + 0.5).rounded(.down))
      }
    }
  }

  func testNormalizationTablesAreAccurate() throws {
    for function in [NormalizationTable.Function.inverseSquareRoot, .squareRoot, .reciprocal] {
      let table = try NormalizationTable(function: function)
      var worst = 0.0
      var rng = SystemRandomNumberGenerator()
      for _ in 0..<20_000 {
        let p = Int64.random(in: 1...(1 << 50), using: &rng) >> Int64.random(in: 0...49, using: &rng)
        let x = Double(max(p, 1))
        let exact: Double
        switch function {
        case .inverseSquareRoot: exact = 1 / x.squareRoot()
        case .squareRoot: exact = x.squareRoot()
        case .reciprocal: exact = 1 / x
        }
        worst = max(worst, Swift.abs(table.approximate(p) / exact - 1))
      }
      XCTAssertLessThan(worst, 1e-4, "\(function)")
    }
    XCTAssertThrowsError(try NormalizationTable(function: .reciprocal, indexBits: 0))
  }
}
