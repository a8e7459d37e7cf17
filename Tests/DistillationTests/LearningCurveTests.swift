import Compression
import Foundation
import XCTest

@testable import Distillation

/// `lichen distill-curve`'s pieces: a run's log read into validations, their rate change against the
/// teachers, the CSV, the plot and the run specification.
final class LearningCurveTests: XCTestCase {
  /// Teachers on a line in log-rate: 4.66 dB per unit of ln bpp.
  let teachers = [0.3, 0.45, 0.65, 0.85].map { RDPoint(rate: $0, quality: 30 + 4.66 * log($0 / 0.3)) }

  func writeLog(_ text: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-curve-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    try Data(text.utf8).write(to: folder.appendingPathComponent("log.csv"))
    return folder
  }

  func testReadsValidationsOnceEachAndComparesThemWithTheTeachers() throws {
    let teacherAt = { (bpp: Double) in 30 + 4.66 * log(bpp / 0.3) }
    let folder = try writeLog("""
      step,loss,mse,bpp,psnr,aux_loss,learning_rate,val_bpp,val_psnr,val_loss
      1,2.0,0.01,0.7,20.0,4.0,0.0001,,,
      500,1.9,0.01,0.7,20.0,4.0,0.0001,0.5,\(teacherAt(0.5) - 4),1.7
      1000,1.8,0.01,0.7,20.0,4.0,0.0001,0.5,\(teacherAt(0.5) - 1),1.6
      1000,1.8,0.01,0.7,20.0,4.0,0.0001,0.55,\(teacherAt(0.5)),1.6
      1500,1.7,0.01,0.7,20.0,4.0,0.0001,0.5,\(teacherAt(0.5)),1.5

      """)
    let curve = try LearningCurve(name: "N=64, q4", log: folder.appendingPathComponent("log.csv")).against(teachers)
    XCTAssertEqual(curve.points.map(\.step), [500, 1000, 1500])
    // Step 500 lies below the teachers' PSNR range; 1000 was logged again after a resume (10% more bits).
    XCTAssertNil(curve.points[0].rateChange)
    XCTAssertEqual(try XCTUnwrap(curve.points[1].rateChange), 10, accuracy: 1e-6)
    XCTAssertEqual(try XCTUnwrap(curve.points[2].rateChange), 0, accuracy: 1e-6)

    let report = LearningCurve.Report(teachers: [("q2", teachers[0]), ("q3", teachers[1]), ("q4", teachers[2]),
                                                 ("q5", teachers[3])], curves: [curve])
    let lines = report.csv.split(separator: "\n")
    XCTAssertEqual(lines.first, "run,step,val_bpp,val_psnr,rate_change_percent,cpu_hours")
    XCTAssertEqual(lines.count, 1 + 4 + 3)
    XCTAssertTrue(lines[1].hasPrefix("q2,,0.3,"))
    XCTAssertTrue(lines[5].hasPrefix("\"N=64, q4\",500,0.5,") && lines[5].hasSuffix(",,"), "a label with a comma is quoted")
    XCTAssertTrue(report.summary.contains("N=64, q4: step 1500"), report.summary)
    XCTAssertTrue(report.summary.contains("0.00% rate vs teachers (best "), report.summary)
    XCTAssertTrue(report.summary.hasSuffix("0.00% at step 1500)"), report.summary)
    let plot = report.plot(title: "curves")
    XCTAssertEqual(plot.series.map { $0.points.map(\.x) }, [[1000, 1500]])
    XCTAssertTrue(plot.render().contains("curves"))
    XCTAssertEqual(report.plot(title: "curves", axis: .cpuHours).series.map(\.points.count), [0], "no CPU log, no points")

    // The trainer's cpu.csv (a resumed step counted with its last value) puts each validation at its CPU hours.
    try Data("step,cpu_seconds\n500,1800.0\n1000,3000.0\n1000,3600.0\n1200,4000.0\n1500,5400.0\n".utf8)
      .write(to: folder.appendingPathComponent("cpu.csv"))
    let timed = try curve.withCPUHours(from: folder.appendingPathComponent("cpu.csv"))
    XCTAssertEqual(timed.points.map(\.cpuHours), [0.5, 1.0, 1.5])
    let timedReport = LearningCurve.Report(teachers: report.teachers, curves: [timed])
    XCTAssertEqual(timedReport.plot(title: "c", axis: .cpuHours).series.map { $0.points.map(\.x) }, [[1.0, 1.5]])
    XCTAssertTrue(timedReport.csv.split(separator: "\n")[7].hasSuffix(",1.5000"))
    XCTAssertEqual(try curve.withCPUHours(from: folder.appendingPathComponent("missing.csv")), curve)
  }

  func testUnreadableOrForeignLogsAreNamed() throws {
    let missing = URL(fileURLWithPath: "/nonexistent/run/log.csv")
    XCTAssertThrowsError(try LearningCurve(name: "a", log: missing)) {
      XCTAssertEqual(($0 as? DistillationError)?.message, "cannot read the training log /nonexistent/run/log.csv")
    }
    let folder = try writeLog("epoch,loss,accuracy\n1,2.0,0.5\n")
    XCTAssertThrowsError(try LearningCurve(name: "a", log: folder.appendingPathComponent("log.csv"))) {
      XCTAssertTrue(($0 as? DistillationError)?.message.contains("is not a codec training log") == true, "\($0)")
    }
    XCTAssertThrowsError(try LearningCurve.Report.measure(teachers: ["hyperprior-q4"], validation: ImageSet(images: [], names: []),
                                                          runs: [])) {
      XCTAssertEqual(($0 as? DistillationError)?.message, "no runs to read")
    }
    XCTAssertThrowsError(try LearningCurve.Report.measure(teachers: ["hyperprior-q4"], validation: ImageSet(images: [], names: []),
                                                          runs: [LearningCurve.Run(name: "a", folder: folder)])) {
      XCTAssertEqual(($0 as? DistillationError)?.message, "give 4 or more teachers (one per lambda), got 1")
    }
  }

  func testRunSpecifications() throws {
    XCTAssertEqual(try LearningCurve.Run("N=64 distilled=runs/a"),
                   LearningCurve.Run(name: "N=64 distilled", folder: URL(fileURLWithPath: "runs/a")))
    for bad in ["runs/a", "=runs/a", "label="] {
      XCTAssertThrowsError(try LearningCurve.Run(bad), bad)
    }
  }
}
