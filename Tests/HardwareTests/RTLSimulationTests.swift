import Foundation
import XCTest

@testable import Hardware

/// Small instances of the generated RTL simulated in Icarus Verilog against
/// the integer engine (skipped with a message when iverilog is absent).
final class RTLSimulationTests: XCTestCase {
  func temporaryDirectory(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("lichen-rtl-tests-\(ProcessInfo.processInfo.processIdentifier)")
      .appendingPathComponent(name)
  }

  func requireIcarus() throws {
    guard RTLTools.find(.iverilog) != nil, RTLTools.find(.vvp) != nil else {
      throw XCTSkip("iverilog/vvp not installed (apt-get install iverilog): RTL simulation tests skipped")
    }
  }

  func testPEArrayMatchesIntegerEngine() throws {
    try requireIcarus()
    let config = try PEArrayConfig(inputLanes: 2, outputLanes: 2, activationBits: 8, weightBits: 8)
    let result = try RTLVerification.verifyPEArray(config, vectors: 2000, seed: 7, directory: temporaryDirectory("pe"))
    XCTAssertEqual(result.vectors, 2000)
    XCTAssertEqual(result.outputWords, 2000)
    XCTAssertEqual(result.mismatches, 0, "\(result.firstMismatches.prefix(3))")
  }

  func testWidePEArrayMatchesIntegerEngine() throws {
    try requireIcarus()
    let config = try PEArrayConfig(inputLanes: 3, outputLanes: 2, activationBits: 16, weightBits: 16, biasBits: 64)
    let result = try RTLVerification.verifyPEArray(config, vectors: 1000, seed: 8, directory: temporaryDirectory("pe16"))
    XCTAssertEqual(result.mismatches, 0, "\(result.firstMismatches.prefix(3))")
    XCTAssertTrue(result.passed)
  }

  /// The PE array with a LeakyReLU unit per lane (mean-scale h_a / h_s): blocks with and without a slope,
  /// slopes of 0, about 0.01 and just below 1, against the engine's fused LeakyReLU.
  func testLeakyPEArrayMatchesIntegerEngine() throws {
    try requireIcarus()
    let config = try PEArrayConfig(inputLanes: 2, outputLanes: 3, activationBits: 8, weightBits: 8, leakyReLU: true)
    XCTAssertEqual(config.latency, PEArrayConfig.macLatency + 2 * RequantizerVerilog.latency)
    let stimulus = try PEArrayVectors.make(config, vectors: 2000, seed: 5)
    XCTAssertTrue(stimulus.verilog.contains("module lichen_leaky"))
    let result = try RTLVerification.verifyPEArray(config, vectors: 2000, seed: 5, directory: temporaryDirectory("pe-leaky"))
    XCTAssertEqual(result.outputWords, 2000)
    XCTAssertEqual(result.mismatches, 0, "\(result.firstMismatches.prefix(3))")
    // Some outputs were negative and scaled: the test would see a missing or wrong slope.
    let plain = try PEArrayVectors.make(try PEArrayConfig(inputLanes: 2, outputLanes: 3, activationBits: 8, weightBits: 8), vectors: 10, seed: 5)
    XCTAssertFalse(plain.verilog.contains("lichen_leaky"))
    XCTAssertThrowsError(try PEArrayConfig(shiftBits: 6, leakyReLU: true))
  }

  func testGDNUnitsMatchIntegerEngine() throws {
    try requireIcarus()
    for variant in GDNUnitConfig.Variant.allCases {
      let config = try GDNUnitConfig(variant: variant, indexBits: 6, fractionBits: 16, activationBits: 16)
      let result = try RTLVerification.verifyGDN(
        config, vectors: 2000, seed: 11, directory: temporaryDirectory("gdn-\(variant.rawValue)"))
      XCTAssertEqual(result.outputWords, 2000, variant.rawValue)
      XCTAssertEqual(result.mismatches, 0, "\(variant.rawValue): \(result.firstMismatches.prefix(3))")
    }
  }

  func testWrongExpectationIsDetected() throws {
    try requireIcarus()
    let config = try PEArrayConfig(inputLanes: 2, outputLanes: 2)
    var stimulus = try PEArrayVectors.make(config, vectors: 200, seed: 3)
    let output = try RTLVerification.simulate(stimulus, in: temporaryDirectory("wrong"))
    let clean = RTLComparison.compare(output: output, expected: stimulus.expected, lanes: 2, bits: 8, describe: { _ in "" })
    XCTAssertEqual(clean.mismatches, 0)
    stimulus.expected[57][1] ^= 1
    let broken = RTLComparison.compare(
      output: output, expected: stimulus.expected, lanes: 2, bits: 8, describe: stimulus.describe)
    XCTAssertEqual(broken.mismatches, 1)
    XCTAssertEqual(broken.first.first?.vector, 57)
    XCTAssertEqual(broken.first.first?.lane, 1)
    XCTAssertTrue(broken.first.first?.inputs.contains("beats") ?? false)
  }
}
