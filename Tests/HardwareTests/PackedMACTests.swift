import Foundation
import XCTest

@testable import Hardware

/// The packed two-product MAC: the packing argument in Swift (exact within
/// the beat bound, wrong without the borrow correction or with one beat
/// more), the generated RTL in Icarus Verilog against plain Int64 sums, and
/// its Yosys mapping to one DSP48E2 (tool tests skip when the tool is absent).
final class PackedMACTests: XCTestCase {
  func testBeatBound() throws {
    XCTAssertEqual(PackedMACConfig.maxExactBeats(activationBits: 8, weightBits: 8), 7)
    XCTAssertEqual(PackedMACConfig.maxExactBeats(activationBits: 8, weightBits: 4), 127)
    XCTAssertEqual(PackedMACConfig.maxExactBeats(activationBits: 2, weightBits: 2), 32767)
    for ab in 2...8 {
      for wb in 2...8 {
        let most = PackedMACConfig.maxExactBeats(activationBits: ab, weightBits: wb)
        XCTAssertLessThan(most << (ab + wb - 2), 1 << 17, "a\(ab) w\(wb)")
        XCTAssertGreaterThanOrEqual((most + 1) << (ab + wb - 2), 1 << 17, "a\(ab) w\(wb)")
        let c = try PackedMACConfig(activationBits: ab, weightBits: wb)
        XCTAssertEqual(c.beats, most)
        XCTAssertLessThanOrEqual(c.sumBits, 18)
        XCTAssertLessThanOrEqual(c.accumulatorBits, 48, "fits the DSP48E2 P register")
        XCTAssertThrowsError(try PackedMACConfig(activationBits: ab, weightBits: wb, beats: most + 1))
      }
    }
    let c = try PackedMACConfig()
    XCTAssertEqual(c.beats, 7)
    XCTAssertEqual(c.sumBits, 18)
    XCTAssertEqual(c.accumulatorBits, 36)
    XCTAssertEqual(c.packedBits, 27, "the DSP48E2 pre-adder port")
    XCTAssertThrowsError(try PackedMACConfig(beats: 8)) { error in
      XCTAssertTrue("\(error)".contains("exact up to 7 beats"), "\(error)")
    }
    XCTAssertThrowsError(try PackedMACConfig(beats: 0))
    XCTAssertThrowsError(try PackedMACConfig(activationBits: 9))
    XCTAssertThrowsError(try PackedMACConfig(weightBits: 1))
  }

  /// One beat: all of a and w2 (the low field) with every extreme w1.
  func testModelSingleBeatsAllValues() {
    for w1 in PackedMACVectors.extremes(bits: 8) {
      for a in Int64(-128)...127 {
        for w2 in Int64(-128)...127 {
          let got = PackedMACModel.group(a: [a], w1: [w1], w2: [w2], accumulatorBits: 36)
          if got.sum1 != a * w1 || got.sum2 != a * w2 {
            XCTFail("a \(a) w1 \(w1) w2 \(w2): got \(got)")
            return
          }
        }
      }
    }
  }

  func testModelMatchesPlainSums() throws {
    for (ab, wb) in [(8, 8), (8, 4), (4, 8), (2, 2), (5, 7)] {
      let c = try PackedMACConfig(activationBits: ab, weightBits: wb)
      var rng = RTLRandom(seed: 42)
      var groups = PackedMACVectors.fixedGroups(c)
      for _ in 0..<20_000 { groups.append(PackedMACVectors.randomGroup(c, &rng)) }
      var mismatches = 0
      for g in groups {
        let packed = PackedMACModel.group(a: g.a, w1: g.w1, w2: g.w2, accumulatorBits: c.accumulatorBits)
        let plain = PackedMACModel.plainSums(a: g.a, w1: g.w1, w2: g.w2)
        XCTAssertLessThanOrEqual(g.a.count, c.beats)
        XCTAssertLessThan(RTLMath.bitLength(Int(plain.sum1.magnitude)), c.sumBits)
        if packed != plain { mismatches += 1 }
      }
      XCTAssertEqual(mismatches, 0, "a\(ab) w\(wb)")
    }
  }

  /// Without the +1 for a negative low field the upper sum is off by one: the check can fail.
  func testExtractionWithoutCorrectionIsWrong() throws {
    let right = PackedMACModel.group(a: [1], w1: [0], w2: [-1])
    XCTAssertEqual(right.sum1, 0)
    XCTAssertEqual(right.sum2, -1)
    let wrong = PackedMACModel.group(a: [1], w1: [0], w2: [-1], correction: false)
    XCTAssertEqual(wrong.sum1, -1, "a*w1 = 0 reads as -1: the low product's sign borrowed from the upper field")
    let c = try PackedMACConfig()
    var rng = RTLRandom(seed: 5)
    var broken = 0
    for _ in 0..<1000 {
      let g = PackedMACVectors.randomGroup(c, &rng)
      let plain = PackedMACModel.plainSums(a: g.a, w1: g.w1, w2: g.w2)
      let uncorrected = PackedMACModel.group(a: g.a, w1: g.w1, w2: g.w2, correction: false)
      if uncorrected != plain {
        broken += 1
        XCTAssertEqual(uncorrected.sum1, plain.sum1 - 1)
        XCTAssertLessThan(plain.sum2, 0)
      }
    }
    XCTAssertGreaterThan(broken, 100)
  }

  /// One beat more than the bound: 8 x (-128 * -128) = 2^17 reads back as -2^17 in the low field.
  func testOneBeatMoreThanTheBoundIsWrong() {
    let n = 8
    let a = [Int64](repeating: -128, count: n), w = [Int64](repeating: -128, count: n)
    let plain = PackedMACModel.plainSums(a: a, w1: w, w2: w)
    let packed = PackedMACModel.group(a: a, w1: w, w2: w)
    XCTAssertEqual(plain.sum2, 1 << 17)
    XCTAssertEqual(packed.sum2, -(1 << 17))
    XCTAssertNotEqual(packed.sum1, plain.sum1)
    let seven = PackedMACModel.group(a: Array(a.prefix(7)), w1: Array(w.prefix(7)), w2: Array(w.prefix(7)))
    XCTAssertEqual(seven.sum2, 7 << 14)
    XCTAssertEqual(seven.sum1, 7 << 14)
  }

  func testVerilogUsesOneMultiply() throws {
    let v = PackedMACVerilog.source(try PackedMACConfig())
    let code = v.split(separator: "\n").map { $0.components(separatedBy: "//")[0] }.joined(separator: "\n")
    XCTAssertEqual(code.components(separatedBy: " * ").count - 1, 1, "one multiply of the packed operand")
    XCTAssertTrue(code.contains("prod = a2 * k2;"))
    XCTAssertTrue(v.contains("module lichen_packed_mac"))
    XCTAssertTrue(v.contains("parameter BEATS = 7"))
  }

  func testIcarusMatchesPlainSums() throws {
    guard RTLTools.find(.iverilog) != nil, RTLTools.find(.vvp) != nil else {
      throw XCTSkip("iverilog/vvp not installed (apt-get install iverilog): RTL simulation tests skipped")
    }
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("lichen-rtl-tests-\(ProcessInfo.processInfo.processIdentifier)")
    for c in [try PackedMACConfig(), try PackedMACConfig(activationBits: 6, weightBits: 4, beats: 100)] {
      let result = try RTLVerification.verifyPackedMAC(
        c, vectors: 2000, seed: 9, directory: dir.appendingPathComponent("packed-\(c.laneClass)"))
      XCTAssertEqual(result.vectors, 2000)
      XCTAssertEqual(result.outputWords, 2000)
      XCTAssertEqual(result.comparedValues, 4000)
      XCTAssertEqual(result.mismatches, 0, "\(c.laneClass): \(result.firstMismatches.prefix(3))")
    }
    // the same RTL without the borrow correction fails on the upper sum only
    var stimulus = PackedMACVectors.make(try PackedMACConfig(), vectors: 500, seed: 10)
    let correction = "acc[ACCW-1:F] + acc[F-1]"
    XCTAssertTrue(stimulus.verilog.contains(correction))
    stimulus.verilog = stimulus.verilog.replacingOccurrences(of: correction, with: "acc[ACCW-1:F]")
    let output = try RTLVerification.simulate(stimulus, in: dir.appendingPathComponent("packed-no-correction"))
    let broken = RTLComparison.compare(output: output, expected: stimulus.expected, lanes: 2, bits: 18,
                                       describe: stimulus.describe)
    XCTAssertGreaterThan(broken.mismatches, 50)
    XCTAssertTrue(broken.first.allSatisfy { $0.lane == 0 && $0.got == $0.expected - 1 })
  }

  func testYosysMapsOneDSP() throws {
    guard RTLTools.find(.yosys) != nil else { throw XCTSkip("yosys not installed (apt-get install yosys): synthesis test skipped") }
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("lichen-rtl-synth-\(ProcessInfo.processInfo.processIdentifier)")
    let r = try YosysSynthesis.run(verilog: PackedMACVerilog.source(try PackedMACConfig()),
                                   top: PackedMACConfig.moduleName, directory: dir)
    XCTAssertEqual(r.dsp, 1, "two 8x8 products in one DSP48E2")
    XCTAssertEqual(r.cells["DSP48E2"], 1)
    XCTAssertGreaterThan(r.ff, 36)
  }
}
