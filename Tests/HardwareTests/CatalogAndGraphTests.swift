import Compression
import Foundation
import IntegerEngine
import Quantization
import XCTest

@testable import Hardware

/// The board catalog validates its input; the layer graph's shapes and MACs
/// agree with Complexity.analyze and with the cost model's cycle formula;
/// resolutions are padded like the codec pads images.
final class CatalogAndGraphTests: XCTestCase {
  func testBundledCatalogLoads() throws {
    let boards = try BoardCatalog.bundled()
    XCTAssertEqual(Set(boards.map(\.name)), ["zcu102", "zcu104", "ultra96-v2", "pynq-z2", "alveo-u250"])
    let zcu102 = try BoardCatalog.board(named: "ZCU102", in: boards)
    XCTAssertEqual(zcu102.dsp, 2520)
    XCTAssertEqual(zcu102.dspKind, .dsp48e2)
    XCTAssertEqual(try BoardCatalog.board(named: "pynq-z2", in: boards).dspKind, .dsp48e1)
    XCTAssertThrowsError(try BoardCatalog.board(named: "nope", in: boards))
    _ = try UnitCosts.bundled()
  }

  func testBadBoardFilesAreClearErrors() throws {
    func doc(_ board: String) -> Data { Data("{\"format\": \"lichen-boards-1\", \"boards\": [\(board)]}".utf8) }
    let full = "\"name\": \"mine\", \"description\": \"d\", \"part\": \"p\", \"dspKind\": \"DSP48E2\", \"dsp\": 10, \"bram36\": 5, \"uram\": 0, \"lut\": 1000, \"ff\": 2000, \"clockMHz\": 100, \"source\": \"me\""
    XCTAssertEqual(try BoardCatalog.parse(doc("{\(full)}"), origin: "b.json").first?.uram, 0)
    let missing = full.replacingOccurrences(of: "\"dsp\": 10, ", with: "")
    XCTAssertThrowsError(try BoardCatalog.parse(doc("{\(missing)}"), origin: "b.json")) { error in
      XCTAssertTrue("\(error)".contains("board 'mine' is missing field 'dsp'"), "\(error)")
    }
    let zero = full.replacingOccurrences(of: "\"lut\": 1000", with: "\"lut\": 0")
    XCTAssertThrowsError(try BoardCatalog.parse(doc("{\(zero)}"), origin: "b.json")) { error in
      XCTAssertTrue("\(error)".contains("board 'mine' field 'lut' must be positive"), "\(error)")
    }
    let kind = full.replacingOccurrences(of: "DSP48E2", with: "DSP58")
    XCTAssertThrowsError(try BoardCatalog.parse(doc("{\(kind)}"), origin: "b.json")) { error in
      XCTAssertTrue("\(error)".contains("dspKind"), "\(error)")
    }
    XCTAssertThrowsError(try BoardCatalog.parse(Data("{\"format\": \"x\"}".utf8), origin: "b.json"))
  }

  func testGraphAgreesWithComplexityAnalysis() throws {
    let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: 128, m: 192)
    let model = try configuration.makeModel(seed: 0)
    let resolution = Resolution(width: 256, height: 192)
    let report = try Complexity.analyze(model, width: 256, height: 192)
    let graph = try LayerGraph.build(configuration: configuration, source: "test",
                                     scheme: try QuantizationScheme("hybrid"), resolution: resolution, part: .full)
    for t in ["g_a", "h_a", "h_s", "g_s"] {
      XCTAssertEqual(graph.stages.filter { $0.transform == t }.reduce(0) { $0 + $1.macs }, report.macs(of: t), t)
    }
    let encoder = try LayerGraph.build(configuration: configuration, source: "test",
                                       scheme: try QuantizationScheme("hybrid"), resolution: resolution, part: .encoder)
    XCTAssertEqual(encoder.macs, report.encoderMACs)
    XCTAssertEqual(encoder.stages.map(\.name), ["g_a.0", "g_a.1", "g_a.2", "g_a.3", "g_a.4", "g_a.5", "g_a.6", "h_a.0", "h_a.2",
                                                "h_a.4", "h_s.0", "h_s.2", "h_s.4", "scale_index"])
    let decoder = try LayerGraph.build(configuration: configuration, source: "test",
                                       scheme: try QuantizationScheme("hybrid"), resolution: resolution, part: .decoder)
    XCTAssertEqual(decoder.macs, report.decoderMACs)
    // At one lane per stage the cost model's cycles are the MACs (the scale index compares instead).
    for stage in graph.stages where stage.kind != .scaleIndex {
      XCTAssertEqual(CostModel.cycles(stage, Parallelism(pi: 1, po: 1, pk: 1)), stage.macs, stage.name)
      let layer = try XCTUnwrap(report.layers.first { $0.name == stage.name })
      XCTAssertEqual([stage.outChannels, stage.outputHeight, stage.outputWidth], layer.outputShape, stage.name)
    }
    // Bits from the scheme: g_a.0 reads 8-bit pixels with 8-bit weights; GDN has 16-bit gamma; h_a.0 is ReLU-fused.
    let bits = Dictionary(uniqueKeysWithValues: graph.stages.map { ($0.name, $0) })
    XCTAssertEqual(bits["g_a.0"]?.inputBits, 8)
    XCTAssertEqual(bits["g_a.1"]?.weightBits, 16)
    XCTAssertEqual(bits["g_a.2"]?.inputBits, 16)
    XCTAssertEqual(bits["h_a.0"]?.fusedReLU, true)
    XCTAssertEqual(bits["g_s.6"]?.outputBits, 8)
    XCTAssertEqual(bits["g_s.1"]?.kind, .igdn)
  }

  /// The planner's shapes come from the configuration alone; they must be the float model's, layer for
  /// layer, for every architecture and size it plans.
  func testArchitectureShapesAreTheFloatModels() throws {
    let cases: [(ModelConfiguration, Int, Int)] = [
      (ModelConfiguration(architecture: .scaleHyperprior, n: 128, m: 192), 256, 192),
      (ModelConfiguration(architecture: .scaleHyperprior, n: 64, m: 192, gdnVariant: .simplified), 320, 128),
      (ModelConfiguration(architecture: .scaleHyperprior, n: 24, m: 40), 64, 64),
      (ModelConfiguration(architecture: .factorizedPrior, n: 32, m: 48), 128, 64),
      (ModelConfiguration(architecture: .meanScaleHyperprior, n: 128, m: 192), 256, 192),
      (ModelConfiguration(architecture: .meanScaleHyperprior, n: 8, m: 12), 64, 64),
    ]
    for (configuration, width, height) in cases {
      let report = try Complexity.analyze(try configuration.makeModel(seed: 0), width: width, height: height)
      let shapes = try ArchitectureShapes.layers(of: configuration, width: width, height: height)
      XCTAssertEqual(shapes.map(\.name), report.layers.map(\.name), "\(configuration)")
      for (shape, layer) in zip(shapes, report.layers) {
        XCTAssertEqual(shape.inputShape, layer.inputShape, shape.name)
        XCTAssertEqual(shape.outputShape, layer.outputShape, shape.name)
        XCTAssertEqual(shape.macs, layer.macs, shape.name)
        XCTAssertEqual(shape.kernel, layer.kernel, shape.name)
        XCTAssertEqual(shape.stride, layer.stride, shape.name)
        // Complexity counts every activation alike (they are free); the planner tells LeakyReLU apart.
        XCTAssertEqual(shape.kind == .leakyActivation ? "activation" : "\(shape.kind)", "\(layer.kind)", shape.name)
      }
    }
  }

  func testResolutionIsPaddedLikeTheCodec() throws {
    XCTAssertEqual(try Resolution(parsing: "1280x720").padded(to: 64), Resolution(width: 1280, height: 768))
    XCTAssertEqual(try Resolution(parsing: "768X512").padded(to: 64), Resolution(width: 768, height: 512))
    for bad in ["1280", "x720", "0x64", "-64x64", "64x64x3"] { XCTAssertThrowsError(try Resolution(parsing: bad), bad) }
    let configuration = ModelConfiguration(architecture: .scaleHyperprior, n: 16, m: 24)
    let graph = try LayerGraph.build(configuration: configuration, source: "t", scheme: try QuantizationScheme("int8"),
                                     resolution: Resolution(width: 100, height: 70), part: .encoder)
    XCTAssertEqual(graph.padded, Resolution(width: 128, height: 128))
    XCTAssertEqual(graph.stages.first?.inputHeight, 128)
    XCTAssertNotNil(graph.paddingNote)
    XCTAssertTrue(graph.paddingNote?.contains("pads it to 128x128") ?? false)
  }
}
