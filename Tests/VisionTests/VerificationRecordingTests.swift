import XCTest

@testable import Vision
@testable import Watermarking

/// `watermark check-manifest --record` writes what it measured as the entry's claims.
final class VerificationRecordingTests: XCTestCase {
  func testRecordingTakesEveryMeasuredClaim() {
    func row(_ family: AttackFamily, _ strength: Double, accuracy: Double, detected: Bool, realigned: Double? = nil) -> AttackSweepRow {
      var row = AttackSweepRow(attack: family.title, family: family, strength: strength, learningRate: nil, accuracy: accuracy,
                               bitErrorRate: detected ? 0 : 0.5, payloadBitErrorRate: detected ? 0 : 0.5,
                               falsePositiveProbability: detected ? 1e-20 : 0.5, detected: detected, seconds: 1)
      if let realigned { row.metrics = ["realigned_detected": realigned] }
      return row
    }
    let entry = VerificationManifest.Entry(
      name: "marked", modelFile: "m.safetensors", keyFile: "k.json", message: "Lichen", method: "watermas", testMetric: 0.5,
      attacks: ["key-interception-flip": 0.1])
    let rows = [row(.none, 0, accuracy: 0.87, detected: true), row(.keyInterceptionFlip, 0, accuracy: 0.86, detected: false),
                row(.channelPermutation, 0, accuracy: 0.87, detected: false, realigned: 1)]
    let recorded = entry.recording(measured: 0.87, rows: rows)
    XCTAssertEqual(recorded.testMetric, 0.87)
    XCTAssertEqual(recorded.attacks["key-interception-flip"], 0.86)
    XCTAssertEqual(recorded.attacks["channel-permutation"], 0.87)
    XCTAssertNil(recorded.attacks["none"])
    XCTAssertEqual(recorded.detected, ["none": true, "key-interception-flip": false, "channel-permutation": false])
    XCTAssertEqual(recorded.realignedDetected, ["channel-permutation": true])
  }
}
