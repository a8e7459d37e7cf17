import Compression
import Foundation
import IntegerEngine
import Imaging
import Quantization
import XCTest

@testable import Hardware

/// Exported headers read back to the integer model's exact values; the
/// integer model's graph matches the float model's shapes; a plan of it
/// round-trips through JSON.
final class HLSExportTests: XCTestCase {
  static func tinyIntegerModel(gdnVariant: GDNVariant = .standard, seed: UInt64 = 3) throws
    -> (IntegerHyperprior, ModelConfiguration) {
    let model = try ScaleHyperprior(n: 8, m: 12, gdnVariant: gdnVariant, seed: seed)
    try model.update()
    model.setTraining(false)
    var pixels = [Float](repeating: 0, count: 3 * 64 * 64)
    for i in pixels.indices { pixels[i] = Float((i * 7 + i / 64) % 256) / 255 }
    let image = try RGBImage(width: 64, height: 64, pixels: pixels)
    let stats = try CalibrationStatistics.collect(model: model, images: [image])
    let (integer, _) = try IntegerConverter.convert(model, scheme: try QuantizationScheme("hybrid"), statistics: stats)
    return (integer, ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12, gdnVariant: gdnVariant))
  }

  static func tinyMeanScaleIntegerModel() throws -> (IntegerHyperprior, ModelConfiguration, MeanScaleHyperprior) {
    let model = try MeanScaleHyperprior(n: 8, m: 12, seed: 3)
    try model.update()
    model.setTraining(false)
    var pixels = [Float](repeating: 0, count: 3 * 64 * 64)
    for i in pixels.indices { pixels[i] = Float((i * 5 + i / 64) % 256) / 255 }
    let stats = try CalibrationStatistics.collect(model: model, images: [try RGBImage(width: 64, height: 64, pixels: pixels)])
    let (integer, _) = try IntegerConverter.convert(model, scheme: try QuantizationScheme("hybrid"), statistics: stats)
    return (integer, ModelConfiguration(architecture: .meanScaleHyperprior, n: 8, m: 12), model)
  }

  /// A mean-scale integer model: its layers carry the float state dict's names (a fused LeakyReLU takes an index,
  /// as a ReLU does), so exported weights line up with the float model's; its graph has the float configuration's
  /// shapes, LeakyReLUs and a scale index over the first M of h_s's 2M channels; its HLS export carries the mean path.
  func testMeanScaleIntegerModelNamesAndGraph() throws {
    let (integer, configuration, model) = try Self.tinyMeanScaleIntegerModel()
    XCTAssertEqual(LayerGraph.stateDictNames("h_a", integer.hyperAnalysis), ["h_a.0", "h_a.2", "h_a.4"])
    XCTAssertEqual(LayerGraph.stateDictNames("h_s", integer.hyperSynthesis), ["h_s.0", "h_s.2", "h_s.4"])
    let floatNames = Set(model.namedParameters().map(\.name).filter { $0.hasSuffix(".weight") && !$0.contains("beta") })
    for name in try ExportedWeights.stateDict(of: integer).keys where name.hasSuffix(".weight") {
      XCTAssertTrue(floatNames.contains(name), name)
    }
    let resolution = Resolution(width: 128, height: 64)
    for part in PipelinePart.allCases {
      let graph = try LayerGraph.build(integer: integer, configuration: configuration, source: "tiny-ms", scheme: "hybrid",
                                       resolution: resolution, part: part)
      let planned = try LayerGraph.build(configuration: configuration, source: "tiny-ms", scheme: try QuantizationScheme("hybrid"),
                                         resolution: resolution, part: part)
      func geometry(_ s: HardwareStage) -> [Int] {
        [s.inChannels, s.outChannels, s.kernel, s.stride, s.inputHeight, s.inputWidth, s.outputHeight, s.outputWidth, s.macs]
      }
      XCTAssertEqual(graph.stages.map(\.name), planned.stages.map(\.name), "\(part)")
      XCTAssertEqual(graph.stages.map(geometry), planned.stages.map(geometry), "\(part)")
      XCTAssertEqual(graph.stages.map { $0.fusedLeakyReLU ?? false }, planned.stages.map { $0.fusedLeakyReLU ?? false })
      XCTAssertEqual(graph.stages.filter { $0.fusedLeakyReLU == true }.map(\.name),
                     part == .decoder ? ["h_s.0", "h_s.2"] : ["h_a.0", "h_a.2", "h_s.0", "h_s.2"])
      let index = try XCTUnwrap(graph.stages.first { $0.kind == .scaleIndex })
      XCTAssertEqual([index.inChannels, index.outChannels], [24, 12])
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-hls-ms-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let graph = try LayerGraph.build(integer: integer, configuration: configuration, source: "tiny-ms", scheme: "hybrid",
                                     resolution: resolution, part: .encoder)
    XCTAssertTrue(try HLSExport.write(integer, name: "tiny-ms", design: .graph(graph), to: dir).contains("h_s_4.h"))
    let hs0 = try HLSExport.readWeights(header: String(contentsOf: dir.appendingPathComponent("h_s_0.h"), encoding: .utf8))
    guard case .convolution(let conv) = integer.hyperSynthesis.layers[0] else { return XCTFail("h_s.0 is not a convolution") }
    XCTAssertEqual(hs0.first { $0.name == "h_s_0_weight" }?.values, conv.weights.map(Int64.init))
    let index = try HLSExport.readWeights(header: String(contentsOf: dir.appendingPathComponent(HLSExport.indexHeader), encoding: .utf8))
    let meansToFine = try XCTUnwrap(integer.meansToFine)
    XCTAssertEqual(index.first { $0.name == "lichen_means_to_fine" }?.values, [meansToFine.multiplier, Int64(meansToFine.shift)])
  }

  func testHeadersRoundTripAndGraphMatchesFloat() throws {
    let (model, configuration) = try Self.tinyIntegerModel()
    let headers = HLSExport.headers(model, name: "tiny")
    XCTAssertEqual(headers.map(\.file).first, "g_a_0.h")
    XCTAssertTrue(headers.contains { $0.file == "h_a_4.h" })
    XCTAssertEqual(headers.last?.file, HLSExport.indexHeader)
    // Deterministic.
    XCTAssertEqual(headers.map(\.text), HLSExport.headers(model, name: "tiny").map(\.text))
    guard case .convolution(let conv) = model.analysis.layers[0], case .gdn(let gdn) = model.analysis.layers[1] else {
      return XCTFail("unexpected g_a layout")
    }
    let convArrays = try HLSExport.readWeights(header: try XCTUnwrap(headers.first { $0.file == "g_a_0.h" }).text)
    let weight = try XCTUnwrap(convArrays.first { $0.name == "g_a_0_weight" })
    XCTAssertEqual(weight.cType, "int8_t")
    XCTAssertEqual(weight.shape, [8, 3, 5, 5])
    XCTAssertEqual(weight.values, conv.weights.map(Int64.init))
    XCTAssertEqual(convArrays.first { $0.name == "g_a_0_bias" }?.values, conv.bias)
    XCTAssertEqual(convArrays.first { $0.name == "g_a_0_multiplier" }?.values, conv.requantization.map(\.multiplier))
    let gdnArrays = try HLSExport.readWeights(header: try XCTUnwrap(headers.first { $0.file == "g_a_1.h" }).text)
    XCTAssertEqual(gdnArrays.first { $0.name == "g_a_1_gamma" }?.values, gdn.gamma)
    XCTAssertEqual(gdnArrays.first { $0.name == "g_a_1_beta" }?.values, gdn.beta)
    XCTAssertEqual(gdnArrays.first { $0.name == "g_a_1_table" }?.values, gdn.table?.entries)
    let index = try HLSExport.readWeights(header: try XCTUnwrap(headers.last).text)
    XCTAssertEqual(index.first { $0.name == "lichen_scale_thresholds" }?.values, model.scaleThresholds)
    XCTAssertThrowsError(try HLSExport.readWeights(header: "static const int8_t a[3] = {1, 2};"))

    // Files on disk.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-hls-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let resolution = Resolution(width: 128, height: 64)
    let graph = try LayerGraph.build(integer: model, configuration: configuration, source: "tiny", scheme: "hybrid",
                                     resolution: resolution, part: .full)
    let files = try HLSExport.write(model, name: "tiny", design: .graph(graph), to: folder)
    XCTAssertTrue(files.contains("design.json"))
    let text = try String(contentsOf: folder.appendingPathComponent("g_a_0.h"), encoding: .utf8)
    XCTAssertEqual(try HLSExport.readWeights(header: text).first?.values, conv.weights.map(Int64.init))

    // The integer graph has the float graph's names, shapes and MACs; its bits come from the integer layers.
    let float = try LayerGraph.build(configuration: configuration, source: "tiny", scheme: try QuantizationScheme("hybrid"),
                                     resolution: resolution, part: .full)
    XCTAssertEqual(graph.stages.map(\.name), float.stages.map(\.name))
    XCTAssertEqual(graph.stages.map(\.macs), float.stages.map(\.macs))
    XCTAssertEqual(graph.stages.map(\.outputWidth), float.stages.map(\.outputWidth))
    XCTAssertEqual(graph.stages.first?.weightBits, 8)
    XCTAssertEqual(graph.stages.first { $0.name == "g_a.1" }?.weightBits, 16)

    // A plan of it survives JSON.
    let board = Board(name: "b", description: "b", part: "p", dspKind: .dsp48e2, dsp: 400, bram36: 400, uram: 0, lut: 200_000,
                      ff: 400_000, clockMHz: 200, source: "test")
    let plan = try Planner.plan(graph, board: board, unitCosts: try UnitCosts.bundled())
    let url = folder.appendingPathComponent("plan.json")
    try plan.write(to: url)
    XCTAssertEqual(try Plan.load(from: url), plan)
    XCTAssertFalse(PlanReport.text(plan).isEmpty)
    XCTAssertTrue(PlanReport.svg(plan).hasPrefix("<svg"))
  }
}
