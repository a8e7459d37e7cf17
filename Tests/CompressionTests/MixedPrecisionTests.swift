import XCTest

@testable import Compression
import Torch

/// Under bfloat16 autocast the hyperprior's convolutions take bfloat16 while the latents, likelihoods and
/// reconstruction stay float32 and close to the float32 forward pass.
final class MixedPrecisionTests: XCTestCase {
  func testForwardUnderAutocastKeepsTheEntropyPathInFloat32() throws {
    let model = try ScaleHyperprior(n: 16, m: 24, seed: 4)
    let x = try Tensor.rand([1, 3, 64, 64], generator: try Generator(seed: 2))
    let full = try model.forward(x, mode: .dequantize)
    let mixed = try withAutocast(.bfloat16) { try model.forward(x, mode: .dequantize) }
    XCTAssertEqual(mixed.reconstruction.dtype, .float32)
    XCTAssertEqual(mixed.y.dtype, .float32)
    XCTAssertEqual(try XCTUnwrap(mixed.z).dtype, .float32)
    for ((name, a), (_, b)) in zip(mixed.likelihoods, full.likelihoods) {
      XCTAssertEqual(a.dtype, .float32, name)
      let rateA = try a.log().sum().item(), rateB = try b.log().sum().item()
      XCTAssertEqual(rateA, rateB, accuracy: Swift.max(1, Swift.abs(rateB)) * 0.05, name)
    }
    XCTAssertLessThan(try (mixed.reconstruction - full.reconstruction).abs().max().item(), 0.05)
    // g_a's convolutions ran in bfloat16: y is close to the float32 one, not equal.
    let yError = try (mixed.y - full.y).abs().max().item(), yScale = try full.y.abs().max().item()
    XCTAssertGreaterThan(yError, 0, "the convolutions did run in bfloat16")
    XCTAssertLessThan(yError, yScale * 0.05)
  }
}
