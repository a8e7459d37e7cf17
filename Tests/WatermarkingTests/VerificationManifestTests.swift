import Foundation
import XCTest

@testable import Watermarking

/// The results manifest: claims compared with measurements within a tolerance, detections exactly,
/// a missing attack row never holds, and the settings an entry needs.
final class VerificationManifestTests: XCTestCase {
  func row(_ spec: String, accuracy: Double, detected: Bool) throws -> AttackSweepRow {
    let setting = try AttackSetting(spec: spec)
    return AttackSweepRow(attack: setting.family.title, family: setting.family, strength: setting.strength, learningRate: nil,
                          accuracy: accuracy, bitErrorRate: detected ? 0 : 0.5, payloadBitErrorRate: 0,
                          falsePositiveProbability: detected ? 1e-20 : 0.5, detected: detected, seconds: 1)
  }

  func testClaimsAreComparedWithTheMeasurements() throws {
    let entry = VerificationManifest.Entry(
      name: "marked", modelFile: "m.safetensors", keyFile: "k.json", message: "x", method: "watermas", testMetric: 0.8702,
      attacks: ["key-interception-flip": 0.80, "key-interception-fine-tune:100": 0.87],
      detected: ["none": true, "key-interception-flip": false])
    XCTAssertEqual(try VerificationManifest.settings(for: entry).map(\.description),
                   ["key-interception-fine-tune:100", "key-interception-flip", "none"])
    let rows = [try row("none", accuracy: 0.8704, detected: true), try row("key-interception-flip", accuracy: 0.7990, detected: false)]
    let checks = VerificationManifest.compare(entry, measuredMetric: 0.8704, rows: rows, tolerance: 0.0005)
    XCTAssertEqual(checks.count, 5)
    XCTAssertTrue(checks[0].holds, "0.8702 vs 0.8704 is within 0.0005")
    let byWhat = Dictionary(uniqueKeysWithValues: checks.map { ($0.what, $0) })
    XCTAssertEqual(byWhat["key-interception-fine-tune:100"]?.holds, false, "an attack that was not run never holds")
    XCTAssertEqual(byWhat["key-interception-fine-tune:100"]?.measured, "not run")
    XCTAssertEqual(byWhat["key-interception-flip"]?.holds, false, "0.80 vs 0.799 is off by more than 0.0005")
    XCTAssertEqual(byWhat["detected after none"]?.holds, true)
    XCTAssertEqual(byWhat["detected after key-interception-flip"]?.holds, true)
    XCTAssertFalse(VerificationManifest.compare(entry, measuredMetric: 0.86, rows: rows, tolerance: 0.0005)[0].holds)
  }

  func testManifestRoundTripAndBadFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let manifest = VerificationManifest(attackSeed: 1, command: "scripts/x.sh", entries: [
      .init(name: "control", modelFile: "c.safetensors", keyFile: nil, message: nil, method: nil, testMetric: 0.87),
    ])
    let url = dir.appendingPathComponent("verify.json")
    try manifest.write(to: url)
    XCTAssertEqual(try VerificationManifest.read(from: url), manifest)
    try Data("{\"entries\": 3}".utf8).write(to: url)
    XCTAssertThrowsError(try VerificationManifest.read(from: url)) { XCTAssertTrue("\($0)".contains("not a verification manifest")) }
    XCTAssertThrowsError(try VerificationManifest.read(from: dir.appendingPathComponent("none.json"))) {
      XCTAssertTrue("\($0)".contains("cannot be read"))
    }
  }
}
