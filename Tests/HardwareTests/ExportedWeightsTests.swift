import Compression
import Deployment
import Foundation
import IntegerEngine
import Quantization
import Torch
import XCTest

@testable import Hardware

/// A key written on the float model must find its weights in the integer
/// model and in the HLS export: same state-dict names (ReLU positions kept in
/// the numbering), same shapes, and the float weight's sign wherever the
/// integer weight is not zero.
final class ExportedWeightsTests: XCTestCase {
  func testIntegerModelAndHLSFolderCarryTheFloatNamesShapesAndSigns() throws {
    let (integer, _) = try HLSExportTests.tinyIntegerModel()
    let float = try ScaleHyperprior(n: 8, m: 12, gdnVariant: .standard, seed: 3)
    let floatWeights = Dictionary(
      float.namedParameters().filter { $0.name.hasSuffix("weight") && $0.tensor.rank == 4 }.map { ($0.name, $0.tensor) },
      uniquingKeysWith: { a, _ in a })
    let entries = try ExportedWeights.stateDict(of: integer)
    XCTAssertEqual(Set(entries.keys), Set(floatWeights.keys))
    XCTAssertNotNil(entries["h_a.2.weight"], "h_a's ReLUs keep their place in the numbering")
    XCTAssertNil(entries["h_a.1.weight"])
    var compared = 0
    for (name, record) in entries {
      let reference = try XCTUnwrap(floatWeights[name])
      XCTAssertEqual(record.shape, reference.shape, name)
      for (q, w) in zip(try record.floats(), try reference.floats()) where q != 0 {
        XCTAssertEqual(q > 0, w > 0, "\(name): the integer weight's sign differs from the float weight's")
        compared += 1
      }
    }
    XCTAssertGreaterThan(compared, 1000)

    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-exported-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let graph = try LayerGraph.build(
      integer: integer, configuration: ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12), source: "tiny",
      scheme: "hybrid", resolution: Resolution(width: 64, height: 64), part: .full)
    try HLSExport.write(integer, name: "tiny", design: .graph(graph), to: folder)
    let fromHeaders = try ExportedWeights.stateDict(hlsFolder: folder)
    XCTAssertEqual(Set(fromHeaders.keys), Set(entries.keys))
    for (name, record) in entries {
      XCTAssertEqual(try fromHeaders[name]?.floats(), try record.floats(), name)
      XCTAssertEqual(fromHeaders[name]?.shape, record.shape, name)
    }
    XCTAssertEqual(ExportedWeights.stateDictName(ofIdentifier: "g_s_6"), "g_s.6")
    XCTAssertNil(ExportedWeights.stateDictName(ofIdentifier: "lichen_z_medians"))
    XCTAssertThrowsError(try ExportedWeights.stateDict(hlsFolder: folder.appendingPathComponent("missing")))
  }

  /// `watermark verify` reads a float file, an integer model and an HLS folder alike, and names a missing path.
  func testDeployedWeightsReadEveryFormTheModelTakes() throws {
    let (integer, configuration) = try HLSExportTests.tinyIntegerModel()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-deployed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let float = try ScaleHyperprior(n: 8, m: 12, gdnVariant: .standard, seed: 3)
    let floatURL = folder.appendingPathComponent("float.safetensors")
    try SafeTensors.write(try float.stateDictRecords(), to: floatURL)
    let integerURL = folder.appendingPathComponent("integer.safetensors")
    try IntegerModelFile(model: integer, configuration: configuration, metadata: [:], source: "tiny").save(to: integerURL)
    let hls = folder.appendingPathComponent("hls")
    let graph = try LayerGraph.build(integer: integer, configuration: configuration, source: "tiny", scheme: "hybrid",
                                     resolution: Resolution(width: 64, height: 64), part: .full)
    try HLSExport.write(integer, name: "tiny", design: .graph(graph), to: hls)

    let fromFloat = try DeployedWeights.stateDict(atPath: floatURL.path)
    XCTAssertEqual(try fromFloat["g_a.0.weight"]?.floats(), try float.stateDictRecords()["g_a.0.weight"]?.floats())
    let expected = try ExportedWeights.stateDict(of: integer)
    for path in [integerURL.path, hls.path] {
      let entries = try DeployedWeights.stateDict(atPath: path)
      XCTAssertEqual(Set(entries.keys), Set(expected.keys), path)
      XCTAssertEqual(try entries["g_s.6.weight"]?.floats(), try expected["g_s.6.weight"]?.floats(), path)
    }
    XCTAssertThrowsError(try DeployedWeights.stateDict(atPath: folder.appendingPathComponent("missing.safetensors").path)) {
      XCTAssertTrue("\($0)".contains("no model file or folder"), "\($0)")
    }
  }
}
