import XCTest

@testable import Hardware

/// What `lichen fpga rtl` reads and prints: the GDN variants a name selects and the mismatch lines.
final class RTLTextTests: XCTestCase {
  func testVariantNames() {
    XCTAssertEqual(GDNUnitConfig.Variant.named("all"), GDNUnitConfig.Variant.allCases)
    XCTAssertEqual(GDNUnitConfig.Variant.named("inverse-simplified"), [.inverseSimplified])
    XCTAssertNil(GDNUnitConfig.Variant.named("fast"))
  }

  func testMismatchLinesTakeTheFirstOfEachUnit() {
    func result(_ mismatches: [RTLMismatch]) -> RTLVerificationResult {
      RTLVerificationResult(unit: "pe", module: "m", seed: 1, vectors: 9, comparedValues: 9, mismatches: mismatches.count,
                            outputWords: 9, firstMismatches: mismatches, cycles: 9, prepareSeconds: 0, simulateSeconds: 0,
                            compareSeconds: 0)
    }
    let bad = (0..<7).map { RTLMismatch(vector: $0, lane: 1, expected: 5, got: $0 == 0 ? nil : 4, inputs: "a=1") }
    let report = RTLReport(command: "c", unit: "pe", peArray: nil, gdnUnits: nil, packedMAC: nil, latency: [:],
                           verification: [result(bad), result([])], synthesis: [:], perLane: [:], tools: [:])
    let lines = report.mismatchLines()
    XCTAssertEqual(lines.count, 5)
    XCTAssertEqual(lines[0], "  mismatch: vector 0 lane 1: expected 5, got x; a=1")
    XCTAssertEqual(lines[1], "  mismatch: vector 1 lane 1: expected 5, got 4; a=1")
    XCTAssertEqual(report.mismatchLines(limit: 2).count, 2)
  }
}
