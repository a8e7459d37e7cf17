import Foundation
import Torch
import XCTest

@testable import Compression

/// Pins Lichen to CompressAI 1.2.8: fixtures made by Fixtures/make_compressai_fixture.py.
final class CompressAIParityTests: XCTestCase {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  func loadFixture() throws -> (LoadedModel, SafeTensorsFile) {
    let loaded = try ModelStore.load(file: Self.fixtures.appendingPathComponent("hyperprior_n8_m12.pth"))
    let expected = try SafeTensors.read(from: Self.fixtures.appendingPathComponent("hyperprior_n8_m12_expected.safetensors"))
    return (loaded, expected)
  }

  func tensor(_ file: SafeTensorsFile, _ name: String) throws -> Tensor { try fixtureTensor(file, name) }

  func assertClose(_ a: Tensor, _ b: Tensor, _ what: String, tolerance: Double = 1e-4, file: StaticString = #filePath,
                   line: UInt = #line) throws {
    try assertTensorsClose(a, b, what, tolerance: tolerance, file: file, line: line)
  }

  func testCompressAIStateDictLoadsWithoutRenaming() throws {
    let (loaded, _) = try loadFixture()
    XCTAssertEqual(loaded.configuration, ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12))
    let names = Set(try PyTorchCheckpoint.stateDict(from: Self.fixtures.appendingPathComponent("hyperprior_n8_m12.pth")).map(\.name))
    XCTAssertEqual(names, Set(loaded.model.stateDict().map(\.name)))
  }

  func testForwardMatchesCompressAI() throws {
    let (loaded, expected) = try loadFixture()
    guard let model = loaded.model as? ScaleHyperprior else { return XCTFail("not a hyperprior") }
    let x = try tensor(expected, "x")
    try withNoGrad {
      let y = try model.analysis(x)
      try assertClose(y, tensor(expected, "y"), "y")
      let z = try model.hyperAnalysis(y.abs())
      try assertClose(z, tensor(expected, "z"), "z")
      let result = try model.forward(x, mode: .dequantize)
      try assertClose(result.likelihoods[0].tensor, tensor(expected, "y_likelihoods"), "y likelihoods")
      try assertClose(result.likelihoods[1].tensor, tensor(expected, "z_likelihoods"), "z likelihoods")
      try assertClose(result.reconstruction, tensor(expected, "x_hat"), "x_hat")
      let (zHat, _) = try model.entropyBottleneck(z, mode: .dequantize)
      try assertClose(zHat, tensor(expected, "z_hat"), "z_hat", tolerance: 0)
      let (yHat, _) = try model.gaussianConditional(y, scales: model.hyperSynthesis(zHat), mode: .dequantize)
      try assertClose(yHat, tensor(expected, "y_hat"), "y_hat", tolerance: 0)
      let bpp = try result.bitsPerPixel(pixels: 128 * 128).item()
      XCTAssertEqual(bpp, try tensor(expected, "bpp").item(), accuracy: 1e-4)
    }
  }

  func testUpdateRebuildsIdenticalCDFTables() throws {
    let (loaded, _) = try loadFixture()
    guard let model = loaded.model as? ScaleHyperprior else { return XCTFail("not a hyperprior") }
    let reference = try [model.entropyBottleneck.tables, model.gaussianConditional.tables].map {
      (try $0.quantizedCDF.bytes(), try $0.offset.bytes(), try $0.cdfLength.bytes())
    }
    try model.update()
    let rebuilt = try [model.entropyBottleneck.tables, model.gaussianConditional.tables].map {
      (try $0.quantizedCDF.bytes(), try $0.offset.bytes(), try $0.cdfLength.bytes())
    }
    for (i, (a, b)) in zip(reference, rebuilt).enumerated() {
      XCTAssertEqual(a.0, b.0, "quantized CDF \(i)")
      XCTAssertEqual(a.1, b.1, "offsets \(i)")
      XCTAssertEqual(a.2, b.2, "CDF lengths \(i)")
    }
  }

  func testCompressedStringsAreByteIdentical() throws {
    let (loaded, expected) = try loadFixture()
    let latents = try loaded.model.compress(tensor(expected, "x"))
    XCTAssertEqual(latents.strings[0][0], try tensor(expected, "y_string").scalars(as: UInt8.self))
    XCTAssertEqual(latents.strings[1][0], try tensor(expected, "z_string").scalars(as: UInt8.self))
    let decoded = try loaded.model.decompress(latents)
    try assertClose(decoded, try tensor(expected, "x_hat").clamp(min: 0, max: 1), "decoded x_hat")
  }
}
