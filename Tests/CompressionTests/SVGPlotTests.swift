import Foundation
import XCTest

@testable import Compression

/// Charts a user would put in a paper: round ticks, axes from the data
/// (rates from 0), our series on top, nothing outside the picture.
final class SVGPlotTests: XCTestCase {
  /// Values of the `<text class="CLASS" ...>VALUE</text>` elements.
  static func ticks(_ svg: String, _ kind: String) -> [Double] {
    let pattern = try! NSRegularExpression(pattern: "<text class=\"\(kind)\"[^>]*>([^<]*)</text>")
    return pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).compactMap { match in
      Range(match.range(at: 1), in: svg).flatMap { Double(svg[$0]) }
    }
  }

  /// Asserts evenly spaced ticks with a step of 1, 2, 2.5 or 5 times a power of ten, covering `data`.
  func assertNiceTicks(_ ticks: [Double], covering data: [Double], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertGreaterThanOrEqual(ticks.count, 3, "\(ticks)", file: file, line: line)
    guard ticks.count >= 2, let lo = data.min(), let hi = data.max() else { return }
    let step = ticks[1] - ticks[0]
    for (a, b) in zip(ticks, ticks.dropFirst()) {
      XCTAssertEqual(b - a, step, accuracy: step * 1e-6, "uneven ticks \(ticks)", file: file, line: line)
    }
    let mantissa = step / pow(10, floor(log10(step)))
    XCTAssertTrue([1, 2, 2.5, 5, 10].contains { abs($0 - mantissa) < 1e-6 }, "step \(step) in \(ticks)", file: file, line: line)
    for t in ticks { XCTAssertEqual((t / step).rounded() * step, t, accuracy: step * 1e-6, "\(t) off the grid", file: file, line: line) }
    XCTAssertLessThanOrEqual(ticks.first ?? .infinity, lo, file: file, line: line)
    XCTAssertGreaterThanOrEqual(ticks.last ?? -.infinity, hi, file: file, line: line)
  }

  /// Every start- or middle-anchored text fits inside the picture's width.
  func assertNothingClipped(_ svg: String, file: StaticString = #filePath, line: UInt = #line) {
    let width = Double(svg.firstMatch(of: /<svg [^>]*width="(\d+)"/)?.1 ?? "0") ?? 0
    XCTAssertGreaterThan(width, 0, file: file, line: line)
    for match in svg.matches(of: /<text ([^>]*)>([^<]*)<\/text>/) {
      let attributes = String(match.1), text = String(match.2)
      guard let x = Double(attributes.firstMatch(of: /x="([-0-9.]+)"/)?.1 ?? "") else { continue }
      let size = Double(attributes.firstMatch(of: /font-size="([0-9.]+)"/)?.1 ?? "12") ?? 12
      let w = SVGPlot.textWidth(text, fontSize: size)
      let (from, to): (Double, Double)
      if attributes.contains("text-anchor=\"end\"") { (from, to) = (x - w, x) }
      else if attributes.contains("text-anchor=\"middle\"") { (from, to) = (x - w / 2, x + w / 2) }
      else { (from, to) = (x, x + w) }
      XCTAssertGreaterThanOrEqual(from, 0, "'\(text)' starts outside", file: file, line: line)
      XCTAssertLessThanOrEqual(to, width, "'\(text)' ends outside (width \(width))", file: file, line: line)
    }
  }

  func testRDPlotHasRoundTicksRatesFromZeroAndOurSeriesOnTop() {
    let ours = SVGPlot.Series(name: "hyperprior", points: [(0.322, 29.17), (0.469, 30.93), (0.647, 32.55), (0.831, 33.74)],
                              emphasized: true)
    let jpeg = SVGPlot.Series(name: "jpeg", points: [(0.25, 26.1), (0.52, 29.9), (1.05, 33.8)])
    let longName = SVGPlot.Series(name: "hyperprior-q4-n64-distilled-control-with-a-long-name", points: [(0.6, 31.0)])
    let svg = SVGPlot(title: "RD", xLabel: "bits per pixel", yLabel: "PSNR (dB)", series: [ours, jpeg, longName],
                      xFromZero: true).render()
    let x = Self.ticks(svg, "xtick"), y = Self.ticks(svg, "ytick")
    assertNiceTicks(x, covering: [0, 1.05])
    XCTAssertEqual(x.first, 0, "the rate axis starts at 0, not below")
    assertNiceTicks(y, covering: [26.1, 33.8])
    XCTAssertGreaterThan(y.first ?? 0, 20, "the PSNR axis fits the data")
    let jpegLine = svg.range(of: "data-name=\"jpeg\"")?.lowerBound, ourLine = svg.range(of: "data-name=\"hyperprior\"")?.lowerBound
    XCTAssertNotNil(ourLine)
    XCTAssertLessThan(jpegLine ?? svg.endIndex, ourLine ?? svg.startIndex, "our series is drawn last, on top")
    assertNothingClipped(svg)
  }

  func testNiceAxisEdgeCases() {
    XCTAssertEqual(NiceAxis([-0.0591, 0.497, 1.05], fromZero: true).ticks.first, -0.2)
    XCTAssertEqual(NiceAxis([0.12, 0.95], fromZero: true).lower, 0)
    XCTAssertEqual(NiceAxis([5, 5]).ticks.count >= 2, true)
    XCTAssertEqual(NiceAxis([0.0001, 0.0009]).label(0.0005), "0.0005")
    XCTAssertEqual(NiceAxis([-1, 1]).label(-0.0), "0.0")
    let axis = NiceAxis([0, 12_345])
    XCTAssertEqual(axis.step, 2500, "12345 / 6 = 2058: the next round step")
    XCTAssertEqual(axis.ticks.last, 12_500)
    XCTAssertEqual(axis.label(5000), "5000")
  }

  func testTrainingCurvesHaveOneQuantityPerPanel() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-plot-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "step,loss,mse,bpp,psnr,aux_loss,learning_rate,val_bpp,val_psnr,val_loss\n"
    for step in 1...300 {
      let v = step % 100 == 0
      csv += "\(step),\(2.0 - Double(step) / 300),0.001,\(0.9 - Double(step) / 1000),\(28 + Double(step) / 100),1,0.0001,"
        + (v ? "\(0.8),\(30.0 + Double(step) / 200),\(1.5)" : ",,") + "\n"
    }
    let log = dir.appendingPathComponent("log.csv"), out = dir.appendingPathComponent("curves.svg")
    try csv.write(to: log, atomically: true, encoding: .utf8)
    try TrainingPlot.write(log: log, to: out)
    let svg = try String(contentsOf: out, encoding: .utf8)
    XCTAssertFalse(svg.contains("x 10"), "no rescaled quantities sharing an axis")
    for label in ["PSNR (dB)", "bits per pixel", "loss"] { XCTAssertTrue(svg.contains(">\(label)</text>"), label) }
    XCTAssertEqual(svg.components(separatedBy: "<g transform").count - 1, 3, "three panels")
    assertNothingClipped(svg)
  }
}
