import Foundation
import XCTest

@testable import Hardware

/// Yosys `stat` parsing on a fixture, the unit-cost file format, and the
/// generators' input checks (no tools needed); one small synthesis when
/// yosys is installed.
final class RTLSynthesisTests: XCTestCase {
  static let fixture = """
    === lichen_pe_mac ===

       Number of wires:               1191
       Number of wire bits:           6738
       Number of public wires:          68
       Number of public wire bits:    1956
       Number of memories:               0
       Number of memory bits:            0
       Number of processes:              0
       Number of cells:               2762
         CARRY4                         92
         DSP48E2                         7
         FDRE                          500
         FDSE                            6
         INV                            17
         LUT1                           72
         LUT2                          455
         LUT6                          531
         MUXF7                         267
         RAM32M                          2
         RAMB18E2                        1
         RAMB36E2                        2
         SRL16E                         71

    """

  func testStatParsing() throws {
    let r = try YosysSynthesis.parseStat(Self.fixture, top: "lichen_pe_mac")
    XCTAssertEqual(r.lut, 72 + 455 + 531)
    XCTAssertEqual(r.lutAsMemory, 71 + 2 * 4)
    XCTAssertEqual(r.ff, 506)
    XCTAssertEqual(r.dsp, 7)
    XCTAssertEqual(r.ramb18, 1)
    XCTAssertEqual(r.ramb36, 2)
    XCTAssertEqual(r.bram36, 2.5)
    XCTAssertEqual(r.carry, 92)
    XCTAssertEqual(r.muxf, 267)
    XCTAssertEqual(r.cells["INV"], 17)
    XCTAssertThrowsError(try YosysSynthesis.parseStat("nothing here", top: "x"))
  }

  func testPerLaneCostsAndScript() throws {
    let r = try YosysSynthesis.parseStat(Self.fixture, top: "lichen_pe_mac")
    let lane = MeasuredUnitCosts.Cost(r, per: 16)
    XCTAssertEqual(lane.lut, Double(r.lutTotal) / 16, accuracy: 1e-3)
    XCTAssertEqual(lane.dsp ?? 0, 7.0 / 16, accuracy: 1e-3)
    XCTAssertNil(lane.bram36)
    let script = YosysSynthesis.script(file: "a.v", top: "lichen_requant", parameters: ["VW": 33, "ACCW": 32])
    XCTAssertTrue(script.contains("chparam -set ACCW 32 lichen_requant; chparam -set VW 33 lichen_requant;"))
    XCTAssertTrue(script.contains("synth_xilinx -family xcup -top lichen_requant"))
  }

  func testConfigurationsAreChecked() {
    XCTAssertThrowsError(try PEArrayConfig(inputLanes: 0))
    XCTAssertThrowsError(try PEArrayConfig(activationBits: 17))
    XCTAssertThrowsError(try PEArrayConfig(accumulatorBits: 12))
    XCTAssertThrowsError(try GDNUnitConfig(indexBits: 0))
    XCTAssertNoThrow(try PEArrayConfig(inputLanes: 8, outputLanes: 2, activationBits: 16, weightBits: 16, biasBits: 64))
  }

  func testMissingToolMessageNamesThePackage() {
    XCTAssertTrue(RTLTools.missingMessage(.vvp).contains("apt-get install iverilog"))
    XCTAssertTrue(RTLTools.missingMessage(.yosys).contains("apt-get install yosys"))
  }

  func testSmallSynthesis() throws {
    guard RTLTools.find(.yosys) != nil else { throw XCTSkip("yosys not installed (apt-get install yosys): synthesis test skipped") }
    let c = try PEArrayConfig(inputLanes: 2, outputLanes: 1, activationBits: 8, weightBits: 8)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-rtl-synth-\(ProcessInfo.processInfo.processIdentifier)")
    let r = try YosysSynthesis.run(verilog: PEArrayVerilog.source(c), top: PEArrayConfig.macModuleName, directory: dir)
    XCTAssertEqual(r.dsp, 2)
    XCTAssertGreaterThan(r.ff, 16)
  }
}
