import Foundation
import XCTest

@testable import Hardware

/// The measured results in docs/results/fpga, produced through the same
/// library calls as `lichen fpga rtl` (skipped unless LICHEN_RTL_MEASURE is
/// set: it runs 100,000 vectors per unit and a dozen syntheses, minutes).
///
///     LICHEN_RTL_MEASURE=pe,gdn,costs LICHEN_RTL_RESULTS=docs/results/fpga \
///       swift test --filter RTLMeasurementTests
final class RTLMeasurementTests: XCTestCase {
  func testMeasure() throws {
    let env = ProcessInfo.processInfo.environment
    guard let parts = env["LICHEN_RTL_MEASURE"]?.split(separator: ",").map(String.init) else {
      throw XCTSkip("set LICHEN_RTL_MEASURE=pe,gdn,costs (and LICHEN_RTL_RESULTS) to measure the RTL units")
    }
    let resultsPath = env["LICHEN_RTL_RESULTS"] ?? "docs/results/fpga"
    let results = URL(fileURLWithPath: resultsPath)
    let work = URL(fileURLWithPath: env["LICHEN_RTL_WORK"] ?? "/tmp/lichen-rtl")
    let vectors = Int(env["LICHEN_RTL_VECTORS"] ?? "") ?? 100_000
    try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
    let log: (String) -> Void = { print($0) }
    if parts.contains("pe") {
      for (a, w) in RTLUnitCosts.laneClasses {
        let c = try PEArrayConfig(inputLanes: 4, outputLanes: 4, activationBits: a, weightBits: w)
        let name = "pe-4x4-\(c.laneClass)"
        let command = "lichen fpga rtl --unit pe --pi 4 --po 4 --activation-bits \(a) --weight-bits \(w) "
          + "--out \(work.path)/\(name) --vectors \(vectors) --synthesize --json \(resultsPath)/\(name).json"
        let report = try RTLReport.run(
          RTLRunOptions(unit: .pe, pe: c, gdn: [], vectors: vectors, seed: 1, synthesize: true,
                        directory: work.appendingPathComponent(name), command: command), log: log)
        try RTLReport.json(report).write(to: results.appendingPathComponent(name + ".json"))
        XCTAssertTrue(report.passed, name)
      }
      // the engine's full Int64 bias (wrap-around add) at 16x16
      let c = try PEArrayConfig(inputLanes: 4, outputLanes: 4, activationBits: 16, weightBits: 16, biasBits: 64)
      let name = "pe-4x4-16x16-bias64"
      let command = "lichen fpga rtl --unit pe --pi 4 --po 4 --activation-bits 16 --weight-bits 16 --bias-bits 64 --seed 2 "
        + "--out \(work.path)/\(name) --vectors \(vectors) --synthesize --json \(resultsPath)/\(name).json"
      let report = try RTLReport.run(
        RTLRunOptions(unit: .pe, pe: c, gdn: [], vectors: vectors, seed: 2, synthesize: true,
                      directory: work.appendingPathComponent(name), command: command), log: log)
      try RTLReport.json(report).write(to: results.appendingPathComponent(name + ".json"))
      XCTAssertTrue(report.passed, name)
    }
    if parts.contains("gdn") {
      let gdn = try GDNUnitConfig.Variant.allCases.map { try GDNUnitConfig(variant: $0) }
      let command = "lichen fpga rtl --unit gdn --variant all --out \(work.path)/gdn --vectors \(vectors) --synthesize "
        + "--json \(resultsPath)/gdn.json"
      let report = try RTLReport.run(
        RTLRunOptions(unit: .gdn, pe: try PEArrayConfig(), gdn: gdn, vectors: vectors, seed: 1, synthesize: true,
                      directory: work.appendingPathComponent("gdn"), command: command), log: log)
      try RTLReport.json(report).write(to: results.appendingPathComponent("gdn.json"))
      XCTAssertTrue(report.passed)
    }
    if parts.contains("costs") {
      let command = "lichen fpga rtl --unit costs --out \(work.path)/costs --json \(resultsPath)/unit-costs-measured.json "
        + "--details \(resultsPath)/unit-costs-details.json"
      let m = try RTLUnitCosts.measure(
        source: "Yosys 0.23 synth_xilinx -family xcup of the generated RTL: \(command)",
        directory: work.appendingPathComponent("costs"), log: log)
      try RTLReport.json(m.costs).write(to: results.appendingPathComponent("unit-costs-measured.json"))
      try RTLReport.json(m).write(to: results.appendingPathComponent("unit-costs-details.json"))
    }
  }
}
