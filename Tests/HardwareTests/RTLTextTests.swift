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

  /// A request writes each unit's Verilog with the unit's default widths; an unknown variant runs nothing, and is
  /// only looked at once the PE array's widths are checked.
  func testRequestAppliesEachUnitsDefaultsAndChecksTheVariantAfterThePEWidths() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-rtl-request-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    func request(lanes: Int = 2) -> RTLRequest {
      RTLRequest(inputLanes: lanes, outputLanes: 2, weightBits: 8, activationBits: nil, beats: nil, outputBits: nil,
                 accumulatorBits: nil, biasBits: nil, shiftBits: 8, indexBits: 6, fractionBits: 16, vectors: 0, seed: 1,
                 synthesize: false, directory: dir, command: "lichen fpga rtl")
    }
    guard case .unit(let pe)? = try request().run(.pe, variant: "standard", log: { _ in }) else { return XCTFail("pe") }
    XCTAssertEqual(pe.peArray?.activationBits, 8)
    XCTAssertEqual(pe.command, "lichen fpga rtl")
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("pe_array_2x2_a8w8.v").path))
    guard case .unit(let gdn)? = try request().run(.gdn, variant: "all", log: { _ in }) else { return XCTFail("gdn") }
    XCTAssertEqual(gdn.gdnUnits?.map(\.variant), GDNUnitConfig.Variant.allCases)
    XCTAssertEqual(gdn.gdnUnits?.first?.activationBits, 16)
    guard case .unit(let packed)? = try request().run(.packed, variant: "fast", log: { _ in }) else {
      return XCTFail("packed")
    }
    XCTAssertEqual(packed.packedMAC?.activationBits, 8)
    XCTAssertNil(try request().run(.gdn, variant: "fast", log: { _ in }))
    XCTAssertThrowsError(try request(lanes: 0).run(.gdn, variant: "fast", log: { _ in })) { XCTAssertTrue($0 is RTLError) }
  }
}
