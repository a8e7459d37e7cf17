import XCTest

@testable import Watermarking

/// The lines `lichen watermark extract` and `verify` print.
final class ExtractionTextTests: XCTestCase {
  func testVerdictAndCodeSummary() {
    var result = ExtractionResult(codedBits: [], payload: [], total: 96)
    result.correctedBits = 3
    result.failedBlocks = 1
    XCTAssertEqual(result.codeSummary(.repetition(copies: 3)),
                   "code \(PayloadCode.repetition(copies: 3)): 3 coded bits corrected, 1 blocks uncorrectable")
    XCTAssertEqual(result.verdict, "BER 1.0000 (0/96 coded bits match), false-positive probability 1: not detected")
    result.bitErrorRate = 0
    result.matches = 96
    result.falsePositiveProbability = 1e-29
    result.detected = true
    XCTAssertEqual(result.verdict, "BER 0.0000 (96/96 coded bits match), false-positive probability 1e-29: WATERMARK DETECTED")
  }
}
