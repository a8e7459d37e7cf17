import Foundation
import Imaging
import Torch
import XCTest

@testable import Compression

/// Encoder-side latent refinement: it optimizes the loss the real bitstream
/// pays, never ends above where it started, and what it reports is what the
/// decoder reconstructs.
final class LatentRefinementTests: XCTestCase {
  func testStraightThroughModeEvaluatesExactlyAndPassesTheGradient() throws {
    let conditional = try GaussianConditional()
    let y = try (Tensor.randn([1, 3, 4, 4], generator: Generator(seed: 1)) * 3).requiringGrad()
    let scales = try Tensor.rand([1, 3, 4, 4], generator: Generator(seed: 2)) * 4 + 0.2
    let (rounded, likelihoods) = try conditional(y, scales: scales, mode: .straightThrough)
    let (expected, expectedLikelihoods) = try withNoGrad { try conditional(y, scales: scales, mode: .dequantize) }
    XCTAssertEqual(try rounded.floats(), try expected.floats())
    XCTAssertEqual(try likelihoods.floats(), try expectedLikelihoods.floats())
    try rounded.sum().backward()
    XCTAssertEqual(try XCTUnwrap(y.grad).floats(), [Float](repeating: 1, count: 48))
  }

  /// The bundled q2 model on a real photo crop (odd size, so padding is in play).
  func testRefinementLowersTheLossAndTheDecoderSeesWhatItOptimized() throws {
    let loaded = try ModelStore.load("hyperprior-q2")
    let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../samples/kodim23-crop.png")
    let image = try PNGDecoder.read(fromFile: sample.standardized.path).image.cropped(width: 131, height: 101)
    let (padded, _) = try image.padded(toMultipleOf: 64, mode: .replicate)
    let refinement = try LatentRefinement(steps: 8, lambda: 0.0035)
    var seen: [Int] = []
    let (latents, report) = try refinement.refine(loaded.model, image: padded.tensor(), height: 101, width: 131) { step, _ in
      seen.append(step)
    }
    XCTAssertEqual(seen, Array(0...8))
    XCTAssertLessThan(report.refined.loss, report.initial.loss * 0.995, "\(report)")
    XCTAssertGreaterThan(report.bestStep, 0)

    // The decoder reconstructs exactly the refined point's distortion.
    let coded = try loaded.model.compress(latents: latents)
    let decoded = try loaded.model.decompress(coded)
    let region = try decoded.narrow(2, start: 0, length: 101).narrow(3, start: 0, length: 131)
    let target = try padded.tensor().narrow(2, start: 0, length: 101).narrow(3, start: 0, length: 131)
    XCTAssertEqual(try Loss.mse(region, target).item(), report.refined.mse, accuracy: report.refined.mse * 1e-3)

    // Through the codec: a valid file, smaller loss than the plain encoder's, that a plain decoder reads.
    let codec = ImageCodec(loaded, refinement: refinement)
    let (bytes, codecReport) = try codec.compressReporting(image)
    XCTAssertEqual(codecReport?.refined, report.refined, "refinement is deterministic")
    let plain = ImageCodec(loaded)
    let plainBytes = try plain.compress(image)
    func loss(_ bytes: [UInt8]) throws -> Double {
      let decoded = try plain.decompress(bytes)
      let mse = try Loss.mse(decoded.tensor(), image.tensor()).item()
      return 0.0035 * 255 * 255 * mse + Double(bytes.count * 8) / Double(131 * 101)
    }
    XCTAssertLessThan(try loss(bytes), try loss(plainBytes))
    XCTAssertEqual(try plain.decompress(bytes).pixels, try codec.decompress(bytes).pixels)
  }

  func testZeroStepsCodesTheAnalysisLatentsAndParametersStayTrainable() throws {
    let loaded = try CodecTests.tinyModel()
    let image = try CodecTests.testImage(width: 64, height: 64)
    let plain = try ImageCodec(loaded).compress(image)
    let refined = try ImageCodec(loaded, refinement: LatentRefinement(steps: 0, lambda: 0.01)).compressReporting(image)
    XCTAssertEqual(refined.bytes, plain)
    XCTAssertEqual(refined.refinement?.bestStep, 0)
    XCTAssertEqual(refined.refinement?.initial, refined.refinement?.refined)
    XCTAssertTrue(loaded.model.namedParameters().allSatisfy { $0.tensor.requiresGrad }, "gradients restored")
  }

  /// The factorized prior codes one latent; refinement and coding of given latents work the same way.
  func testFactorizedPriorRefinesAndCodesGivenLatents() throws {
    let model = try FactorizedPrior(n: 8, m: 12, seed: 4)
    try model.update()
    model.setTraining(false)
    let loaded = LoadedModel(model: model, configuration: ModelConfiguration(architecture: .factorizedPrior, n: 8, m: 12),
                             source: "tiny-factorized", weightsHash: try ModelStore.weightsHash(model))
    let x = try CodecTests.testImage(width: 48, height: 32).tensor()
    let analyzed = try withNoGrad { try model.analyze(x) }
    XCTAssertEqual(analyzed.count, 1)
    XCTAssertEqual(try model.compress(latents: analyzed), try model.compress(x), "compress(x) codes analyze(x)")
    let image = try CodecTests.testImage(width: 40, height: 30)
    let codec = ImageCodec(loaded, refinement: try LatentRefinement(steps: 3, learningRate: 0.1, lambda: 0.01))
    let (bytes, report) = try codec.compressReporting(image)
    let refined = try XCTUnwrap(report)
    XCTAssertLessThanOrEqual(refined.refined.loss, refined.initial.loss)
    XCTAssertEqual(try codec.decompress(bytes).width, 40)
  }

  func testBadSettingsAndLatentsAreErrors() throws {
    XCTAssertThrowsError(try LatentRefinement(steps: -1, lambda: 0.01))
    XCTAssertThrowsError(try LatentRefinement(learningRate: 0, lambda: 0.01))
    XCTAssertThrowsError(try LatentRefinement(lambda: -1))
    let loaded = try CodecTests.tinyModel()
    let y = try Tensor.zeros([1, 12, 1, 1])
    XCTAssertThrowsError(try loaded.model.compress(latents: [y])) { error in
      XCTAssertTrue("\(error)".contains("2 latent"), "\(error)")
    }
    let refinement = try LatentRefinement(steps: 1, lambda: 0.01)
    XCTAssertThrowsError(try refinement.refine(loaded.model, image: Tensor.zeros([1, 3, 64, 64]), height: 65, width: 64))
    XCTAssertThrowsError(try refinement.refine(loaded.model, image: Tensor.zeros([1, 3, 64, 128]), height: 64, width: 128,
                                               memoryLimit: 1e7)) { error in
      XCTAssertTrue("\(error)".contains("needs about 0.02 GB"), "\(error)")
    }
  }

  func testTrainingLambdaComesFromMetadataThenTheRegistry() throws {
    var loaded = try CodecTests.tinyModel()
    XCTAssertNil(loaded.trainingLambda)
    loaded.source = "hyperprior-q3"
    XCTAssertEqual(loaded.trainingLambda, 0.0067)
    loaded.metadata["lambda"] = "0.02"
    XCTAssertEqual(loaded.trainingLambda, 0.02)
  }
}
