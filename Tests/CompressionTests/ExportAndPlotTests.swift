import Foundation
import Torch
import XCTest

@testable import Compression

/// `lichen export-model` and `lichen rd-plot`'s library halves.
final class ExportAndPlotTests: XCTestCase {
  func testExportRoundsToFloat16AndBuildsTablesForTheShippedWeights() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-export-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try ScaleHyperprior(n: 8, m: 12)
    try model.update()
    let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: .standard)
    let loaded = LoadedModel(model: model, configuration: configuration, source: "tiny", weightsHash: 0)
    var lines: [String] = []
    let url = dir.appendingPathComponent("out.safetensors")
    let size = try ModelStore.export(loaded, metadata: ["note": "x"], precision: .float16, keepQuantiles: false, to: url,
                                     log: { lines.append($0) })
    XCTAssertEqual(lines.count, 1, "the quantile fit is logged")
    XCTAssertGreaterThan(size, 0)
    let back = try ModelStore.load(url.path)
    XCTAssertEqual(back.metadata["note"], "x")
    for (name, tensor) in model.namedParameters() {
      let values = try tensor.floats()
      XCTAssertEqual(values, try tensor.to(.float16).to(.float32).floats(), "\(name) is rounded to float16")
    }
    lines = []
    try ModelStore.export(loaded, metadata: [:], precision: .float32, keepQuantiles: true, to: url, log: { lines.append($0) })
    XCTAssertEqual(lines, [])
  }

  func testPlotHasOneSeriesPerCurveAndEmphasizesOurs() throws {
    let ours = RDCurve(series: "hyperprior", points: [
      .init(model: "hyperprior-q2", bpp: 0.5, psnr: 31, msSSIM: 0.98, file: "a"),
      .init(model: "hyperprior-q1", bpp: 0.2, psnr: 28, msSSIM: nil, file: "b"),
    ])
    let peer = RDCurve(series: "jpeg", points: [.init(model: "jpeg-q50", bpp: 0.9, psnr: 32, msSSIM: 0.99, file: "c")])
    let plot = try RDCurve.plot([ours, peer], metric: .psnr, title: nil)
    XCTAssertEqual(plot.title, "Rate-distortion (RGB PSNR)")
    XCTAssertEqual(plot.series.map(\.name), ["hyperprior", "jpeg"])
    XCTAssertEqual(plot.series.map(\.emphasized), [true, false])
    XCTAssertEqual(plot.series[0].points.map(\.x), [0.2, 0.5])
    XCTAssertEqual(try RDCurve.plot([peer], metric: .msSSIM, title: "t").title, "t")
    XCTAssertThrowsError(try RDCurve.plot([ours], metric: .msSSIM, title: nil))
  }
}
