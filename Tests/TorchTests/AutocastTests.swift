import XCTest

@testable import Torch

/// CPU autocast: convolutions run in bfloat16 inside the region, float32 parameters get float32 gradients,
/// and the previous state comes back after the region, also when it throws.
final class AutocastTests: XCTestCase {
  func testConvolutionsTakeBFloat16AndGradientsStayFloat32() throws {
    let g = try Generator(seed: 1)
    let x = try Tensor.randn([2, 4, 8, 8], generator: g)
    let w = try Tensor.randn([3, 4, 3, 3], generator: g).requiringGrad()
    XCTAssertNil(Autocast.current)
    let mixed = try withAutocast(.bfloat16) { () throws -> Tensor in
      XCTAssertEqual(Autocast.current, .bfloat16)
      let y = try x.conv2d(weight: w, bias: nil, stride: 1, padding: 1)
      XCTAssertEqual(y.dtype, .bfloat16)
      XCTAssertEqual(try (y.to(.float32) + 1).dtype, .float32, "other operations keep their inputs' type")
      return y
    }
    XCTAssertNil(Autocast.current)
    let full = try x.conv2d(weight: w, bias: nil, stride: 1, padding: 1)
    XCTAssertEqual(full.dtype, .float32)
    // bfloat16 keeps 8 bits of mantissa: close to float32, not equal.
    let error = try (mixed.to(.float32) - full).abs().max().item()
    let scale = try full.abs().max().item()
    XCTAssertLessThan(error, scale * 0.02)
    try mixed.to(.float32).sum().backward()
    let gradient = try XCTUnwrap(w.grad)
    XCTAssertEqual(gradient.dtype, .float32)
  }

  func testStateIsRestoredAndBadTypesRefused() throws {
    struct Stop: Error {}
    XCTAssertThrowsError(try withAutocast(.bfloat16) { () throws -> Void in
      try withAutocast(nil) { XCTAssertNil(Autocast.current) }
      XCTAssertEqual(Autocast.current, .bfloat16)
      throw Stop()
    })
    XCTAssertNil(Autocast.current)
    XCTAssertThrowsError(try withAutocast(.int8) {}) { error in
      XCTAssertTrue("\(error)".contains("bfloat16 or float16"), "\(error)")
    }
    XCTAssertNil(Autocast.current)
  }

  /// Cast weights are cached inside a region (a float32 GDN in the middle keeps them) and dropped when the
  /// outermost region ends, so the next region sees weights an optimizer step changed.
  func testCastWeightsAreDroppedWhenTheOutermostRegionEnds() throws {
    let g = try Generator(seed: 3)
    let x = try Tensor.randn([1, 2, 6, 6], generator: g)
    let w = try Tensor.randn([2, 2, 3, 3], generator: g).requiringGrad()
    func convolve() throws -> Double {
      try withAutocast(.bfloat16) { () throws -> Double in
        let first = try x.conv2d(weight: w, bias: nil, stride: 1, padding: 1)
        try withAutocast(nil) {}
        let second = try x.conv2d(weight: w, bias: nil, stride: 1, padding: 1)
        XCTAssertEqual(try (first.to(.float32) - second.to(.float32)).abs().max().item(), 0)
        return try first.to(.float32).sum().item()
      }
    }
    let before = try convolve()
    try withNoGrad { try w.add_(1) }  // what an optimizer step does
    let after = try convolve()
    let expected = try x.conv2d(weight: w, bias: nil, stride: 1, padding: 1).sum().item()
    XCTAssertNotEqual(before, after, "the second region used the stale cast of the weights")
    XCTAssertEqual(after, expected, accuracy: Swift.abs(expected) * 0.02 + 0.5)
  }
}
