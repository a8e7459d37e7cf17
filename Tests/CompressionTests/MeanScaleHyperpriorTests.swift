import Foundation
import Imaging
import Torch
import XCTest

@testable import Compression

/// The mean-scale hyperprior pinned to CompressAI 1.2.8's `MeanScaleHyperprior` (fixtures made by
/// `Fixtures/make_compressai_fixture.py mean-scale`), and as a Lichen codec: real bitstreams, the
/// decoder rebuilding the encoder's entropy parameters exactly.
final class MeanScaleHyperpriorTests: XCTestCase {
  func loadFixture() throws -> (LoadedModel, SafeTensorsFile) {
    let fixtures = CompressAIParityTests.fixtures
    return (try ModelStore.load(file: fixtures.appendingPathComponent("meanscale_n8_m12.pth")),
            try SafeTensors.read(from: fixtures.appendingPathComponent("meanscale_n8_m12_expected.safetensors")))
  }

  func testCompressAICheckpointLoadsAsTheMeanScaleModel() throws {
    let (loaded, _) = try loadFixture()
    XCTAssertEqual(loaded.configuration, ModelConfiguration(architecture: .meanScaleHyperprior, n: 8, m: 12))
    XCTAssertTrue(loaded.model is MeanScaleHyperprior)
    let file = CompressAIParityTests.fixtures.appendingPathComponent("meanscale_n8_m12.pth")
    XCTAssertEqual(Set(try PyTorchCheckpoint.stateDict(from: file).map(\.name)), Set(loaded.model.stateDict().map(\.name)))
  }

  func testForwardAndStringsMatchCompressAI() throws {
    let (loaded, expected) = try loadFixture()
    let model = try XCTUnwrap(loaded.model as? MeanScaleHyperprior)
    let x = try fixtureTensor(expected, "x")
    try withNoGrad {
      let y = try model.analysis(x)
      try assertTensorsClose(y, fixtureTensor(expected, "y"), "y")
      let z = try model.hyperAnalysis(y)
      try assertTensorsClose(z, fixtureTensor(expected, "z"), "z")
      let (zHat, _) = try model.entropyBottleneck(z, mode: .dequantize)
      try assertTensorsClose(zHat, fixtureTensor(expected, "z_hat"), "z_hat", tolerance: 0)
      let (scales, means) = try model.entropyParameters(zHat, singleThreaded: true)
      try assertTensorsClose(scales, fixtureTensor(expected, "scales"), "scales")
      try assertTensorsClose(means, fixtureTensor(expected, "means"), "means")
      let result = try model.forward(x, mode: .dequantize)
      try assertTensorsClose(result.likelihoods[0].tensor, fixtureTensor(expected, "y_likelihoods"), "y likelihoods")
      try assertTensorsClose(result.likelihoods[1].tensor, fixtureTensor(expected, "z_likelihoods"), "z likelihoods")
      try assertTensorsClose(result.reconstruction, fixtureTensor(expected, "x_hat"), "x_hat")
      XCTAssertEqual(try result.bitsPerPixel(pixels: 128 * 128).item(), try fixtureTensor(expected, "bpp").item(),
                     accuracy: 1e-4)
    }
    let latents = try model.compress(x)
    XCTAssertEqual(latents.strings[0][0], try fixtureTensor(expected, "y_string").scalars(as: UInt8.self))
    XCTAssertEqual(latents.strings[1][0], try fixtureTensor(expected, "z_string").scalars(as: UInt8.self))
    try assertTensorsClose(try model.decompress(latents), try fixtureTensor(expected, "x_hat").clamp(min: 0, max: 1),
                           "decoded x_hat")
  }

  func testCodecRoundTripIsExactAtAnyThreadCount() throws {
    let model = try MeanScaleHyperprior(n: 8, m: 12, seed: 5)
    try model.update()
    model.setTraining(false)
    let loaded = LoadedModel(model: model, configuration: ModelConfiguration(architecture: .meanScaleHyperprior, n: 8, m: 12),
                             metadata: [:], source: "tiny mean-scale", weightsHash: try ModelStore.weightsHash(model))
    let image = try CodecTests.testImage(width: 67, height: 45)
    let codec = ImageCodec(loaded)
    let original = Torch.threads
    defer { try? Torch.setThreads(original) }
    try Torch.setThreads(2)
    let bytes = try codec.compress(image)
    XCTAssertEqual(try Bitstream(decoding: bytes).architecture, .meanScaleHyperprior)
    try Torch.setThreads(1)
    XCTAssertEqual(try codec.compress(image), bytes, "the encoder's file does not depend on the thread count")
    let decoded = try codec.decompress(bytes)
    try Torch.setThreads(2)
    XCTAssertEqual(try codec.decompress(bytes).pixels, decoded.pixels)
    XCTAssertEqual([decoded.width, decoded.height], [67, 45])
    let (padded, _) = try image.padded(toMultipleOf: 64)
    let direct = try model.decompress(model.compress(padded.tensor()))
    XCTAssertEqual(try RGBImage(tensor: direct).cropped(width: 67, height: 45).pixels, decoded.pixels)
    // A scale-hyperprior model cannot decode it.
    XCTAssertThrowsError(try ImageCodec(try CodecTests.tinyModel()).decompress(bytes))
  }

  func testTrainingStepsLowerTheLoss() throws {
    var config = CodecTests.tinyTrainingConfig(steps: 8)
    config.architecture = .meanScaleHyperprior
    config.learningRate = 1e-3
    let trainer = try RDTrainer(config: config, model: try MeanScaleHyperprior(n: 8, m: 12), training: CodecTests.tinyTrainingSet(),
                                validation: CodecTests.tinyTrainingSet(), runDirectory: try temporaryDirectory())
    var losses: [Double] = []
    try trainer.run(progress: { losses.append($0.loss) })
    XCTAssertEqual(losses.count, 8)
    XCTAssertLessThan(losses.suffix(3).reduce(0, +), losses.prefix(3).reduce(0, +))
  }

  func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-msh-\(UUID().uuidString)")
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }
}
