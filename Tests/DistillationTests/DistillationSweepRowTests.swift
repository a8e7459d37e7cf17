import Foundation
import Hardware
import XCTest

@testable import Distillation

/// The sweep table: BD numbers against the teacher's curve, CSV and text, and the file
/// `lichen fpga dimension --sweep` reads.
final class DistillationSweepRowTests: XCTestCase {
  func row(_ variant: String, n: Int, psnrShift: Double, points: Int = 4) -> DistillationSweepRow {
    var result = DistillationSweepRow(
      variant: variant, n: n, parameters: 1000 * n, macsPerPixel: ["encoder": Double(200 * n), "decoder": Double(190 * n)],
      points: [:], encodeSeconds: 0.5, decodeSeconds: 0.6)
    for i in 0..<points {
      let lambda = [0.0035, 0.0067, 0.013, 0.025][i]
      let bpp = 0.2 * pow(2, Double(i))
      result.points[String(lambda)] = .init(lambda: lambda, bpp: bpp, psnr: 28 + 4.66 * log(bpp / 0.2) + psnrShift, msSSIM: nil)
    }
    return result
  }

  func testStudentsAreComparedWithTheTeacherCurve() throws {
    let rows = DistillationSweepRow.comparedWithTeacher([
      row("distilled", n: 64, psnrShift: -0.4), row("teacher", n: 128, psnrShift: 0), row("control", n: 64, psnrShift: -0.8),
      row("distilled", n: 32, psnrShift: -1, points: 3),
    ])
    XCTAssertEqual(rows.map(\.n), [128, 64, 64, 32])
    XCTAssertEqual(rows.map(\.variant), ["teacher", "distilled", "control", "distilled"])
    let distilled = try XCTUnwrap(rows[1].bdPSNRVsTeacher)
    XCTAssertEqual(distilled, -0.4, accuracy: 1e-6)
    // 0.4 dB at 4.66 dB per unit of ln(rate): exp(0.4 / 4.66) - 1 more bits.
    XCTAssertEqual(try XCTUnwrap(rows[1].bdRateVsTeacher), 100 * (exp(0.4 / 4.66) - 1), accuracy: 0.05)
    XCTAssertGreaterThan(try XCTUnwrap(rows[2].bdRateVsTeacher), try XCTUnwrap(rows[1].bdRateVsTeacher))
    XCTAssertNil(rows[3].bdRateVsTeacher, "three points make no BD-rate")
    XCTAssertNil(rows[0].bdRateVsTeacher)

    let csv = DistillationSweepRow.csv(rows).split(separator: "\n")
    XCTAssertEqual(csv.count, 1 + 4 + 4 + 4 + 3)
    XCTAssertTrue(csv[0].hasPrefix("variant,N,parameters,encoder_macs_per_pixel"))
    XCTAssertTrue(DistillationSweepRow.text(rows).contains("distilled"))

    // The file the sweep writes is the one the FPGA dimensioning reads.
    let data = try JSONEncoder().encode(rows)
    let rd = try StudentRD.sweep(data, origin: "sweep.json", name: "sweep.json", lambda: 0.013)
    XCTAssertEqual(Set(rd.byWidth.keys), [64, 32])
    XCTAssertEqual(try XCTUnwrap(rd.byWidth[64]?.bdRateVsTeacher), try XCTUnwrap(rows[1].bdRateVsTeacher))
    XCTAssertEqual(try XCTUnwrap(rd.byWidth[64]?.bpp), 0.8, accuracy: 1e-12)
  }
}
