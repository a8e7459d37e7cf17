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

  /// Lichen's transposed convolution (the convolution-gradient route, which autocast does not see) takes
  /// bfloat16 inside the region like at::conv_transpose2d, and its gradients reach the float32 weights,
  /// bias and input close to the float32 ones.
  func testTransposedConvolutionTakesBFloat16() throws {
    let g = try Generator(seed: 2)
    let x = try Tensor.randn([2, 4, 5, 5], generator: g).requiringGrad()
    let w = try Tensor.randn([4, 3, 5, 5], generator: g).requiringGrad()
    let b = try Tensor.randn([3], generator: g).requiringGrad()
    func run(_ type: DType?) throws -> (y: Tensor, grads: [Tensor]) {
      for t in [x, w, b] { try t.zeroGrad() }
      let y = try withAutocast(type) {
        try x.convTranspose2d(weight: w, bias: b, stride: 2, padding: 2, outputPadding: 1)
      }
      try (y.to(.float32) * y.to(.float32)).sum().backward()
      return (y, try [x, w, b].map { try XCTUnwrap($0.grad).clone() })
    }
    let full = try run(nil), mixed = try run(.bfloat16)
    // A second transposed convolution takes the first one's bfloat16 output (the chain of g_s).
    let chained = try withAutocast(.bfloat16) {
      try x.convTranspose2d(weight: w, bias: b, stride: 1, padding: 2).relu()
        .convTranspose2d(weight: try Tensor.randn([3, 2, 3, 3], generator: g), bias: nil, stride: 1, padding: 1)
    }
    XCTAssertEqual(chained.dtype, .bfloat16)
    XCTAssertEqual(full.y.dtype, .float32)
    XCTAssertEqual(mixed.y.dtype, .bfloat16)
    XCTAssertEqual(mixed.y.shape, [2, 3, 10, 10])
    let scale = try full.y.abs().max().item()
    let error = try (mixed.y.to(.float32) - full.y).abs().max().item()
    XCTAssertGreaterThan(error, 0, "it did run in bfloat16")
    XCTAssertLessThan(error, scale * 0.02)
    for (name, (a, e)) in zip(["input", "weight", "bias"], zip(mixed.grads, full.grads)) {
      XCTAssertEqual(a.dtype, .float32, name)
      XCTAssertLessThan(try (a - e).abs().max().item(), try e.abs().max().item() * 0.03, name)
    }
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
