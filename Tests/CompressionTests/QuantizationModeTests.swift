import XCTest
@testable import Compression
@testable import Torch

/// Mixed quantization (`roundedForDecoder`): the rate sees exactly the noise
/// mode's likelihoods, the decoder sees the values decoding produces, and the
/// gradient passes straight through the rounding to the encoder.
final class QuantizationModeTests: XCTestCase {
  func testGaussianConditionalRoundsDecoderInputsAndKeepsNoisyRate() throws {
    let conditional = try GaussianConditional()
    let y = try (Tensor.randn([2, 3, 4, 4], generator: Generator(seed: 1)) * 3).requiringGrad()
    let scales = try Tensor.rand([2, 3, 4, 4], generator: Generator(seed: 2)) * 4 + 0.2
    let (noisy, noisyLikelihoods) = try conditional(y, scales: scales, mode: .noise(Generator(seed: 3)))
    let (decoded, likelihoods) = try conditional(y, scales: scales, mode: .roundedForDecoder(.noise(Generator(seed: 3))))
    XCTAssertEqual(try likelihoods.floats(), try noisyLikelihoods.floats())
    XCTAssertEqual(try decoded.floats(), try y.detach().round().floats())
    XCTAssertNotEqual(try decoded.floats(), try noisy.floats())
    try decoded.sum().backward()
    XCTAssertEqual(try XCTUnwrap(y.grad).floats(), [Float](repeating: 1, count: 96), "straight-through gradient")
  }

  func testEntropyBottleneckRoundsAroundTheMediansWithoutMovingThem() throws {
    let bottleneck = try EntropyBottleneck(channels: 4, generator: Generator(seed: 5))
    try withNoGrad { try bottleneck.quantiles.copy_(bottleneck.quantiles + 0.3) }  // medians off the integers
    let z = try (Tensor.randn([2, 4, 3, 3], generator: Generator(seed: 6)) * 2).requiringGrad()
    let (_, noisyLikelihoods) = try bottleneck(z, mode: .noise(Generator(seed: 7)))
    let (decoded, likelihoods) = try bottleneck(z, mode: .roundedForDecoder(.noise(Generator(seed: 7))))
    XCTAssertEqual(try likelihoods.floats(), try noisyLikelihoods.floats())
    let medians = try bottleneck.medians().detach().reshape([1, 4, 1, 1])
    let expected = try (z.detach() - medians).round() + medians
    XCTAssertEqual(try decoded.floats(), try expected.floats())
    let (evaluated, _) = try bottleneck(z, mode: .dequantize)
    XCTAssertEqual(try decoded.floats(), try evaluated.floats(), "what the decoder will see")
    try decoded.sum().backward()
    XCTAssertEqual(try XCTUnwrap(z.grad).floats(), [Float](repeating: 1, count: 72))
    XCTAssertNil(bottleneck.quantiles.grad, "the decoder path leaves the quantiles to the auxiliary loss")
  }
}
