import XCTest
@testable import Torch

/// Gradients of differentiable ops against central finite differences in float64.
final class AutogradTests: XCTestCase {
  func testElementwiseGradients() throws {
    let g = try Generator(seed: 3)
    let x = try Tensor.uniform([2, 3], low: 0.3, high: 2, generator: g, dtype: .float64)
    let signed = try Tensor.uniform([2, 3], low: -2, high: 2, generator: g, dtype: .float64)
    try checkGradient("exp", input: x) { try $0.exp() }
    try checkGradient("log", input: x) { try $0.log() }
    try checkGradient("sqrt", input: x) { try $0.sqrt() }
    try checkGradient("rsqrt", input: x) { try $0.rsqrt() }
    try checkGradient("reciprocal", input: x) { try $0.reciprocal() }
    try checkGradient("square", input: signed) { try $0.square() }
    try checkGradient("pow", input: x) { try $0.pow(2.5) }
    try checkGradient("sigmoid", input: signed) { try $0.sigmoid() }
    try checkGradient("tanh", input: signed) { try $0.tanh() }
    try checkGradient("softplus", input: signed) { try $0.softplus() }
    try checkGradient("gelu", input: signed) { try $0.gelu() }
    try checkGradient("erfc", input: signed) { try $0.erfc() }
    try checkGradient("abs", input: signed) { try $0.abs() }
    try checkGradient("relu", input: signed) { try $0.relu() }
    try checkGradient("hardswish", input: signed) { try $0.hardswish() }
    try checkGradient("div", input: x) { try ($0 * 3) / ($0 + 1) }
    try checkGradient("clamp", input: signed) { try $0.clamp(min: -1, max: 1) }
    try checkGradient("softmax", input: signed) { try $0.softmax(dim: 1) }
    try checkGradient("logSoftmax", input: signed) { try $0.logSoftmax(dim: 1) }
    try checkGradient("sum/mean", input: signed) { try $0.sum(dims: [1]) * $0.mean() }
    try checkGradient("matmul", input: signed) { try $0.matmul($0.transpose(0, 1)) }
    try checkGradient("variance", input: signed) { try $0.variance(dims: [1]) }
  }

  func testNetworkOpGradients() throws {
    let g = try Generator(seed: 4)
    let x = try Tensor.randn([1, 2, 5, 5], generator: g, dtype: .float64)
    let w = try Tensor.randn([3, 2, 3, 3], generator: g, dtype: .float64)
    let wt = try Tensor.randn([2, 3, 3, 3], generator: g, dtype: .float64)
    try checkGradient("conv2d input", input: x) { try $0.conv2d(weight: w, stride: 2, padding: 1) }
    try checkGradient("conv2d weight", input: w) { try x.conv2d(weight: $0, padding: 1) }
    try checkGradient("convTranspose2d input", input: x) {
      try $0.convTranspose2d(weight: wt, stride: 2, padding: 1, outputPadding: 1)
    }
    try checkGradient("convTranspose2d weight", input: wt) {
      try x.convTranspose2d(weight: $0, stride: 2, padding: 1, outputPadding: 1)
    }
    try checkGradient("maxPool", input: x) { try $0.maxPool2d(kernel: 2) }
    try checkGradient("avgPool", input: x) { try $0.avgPool2d(kernel: 2) }
    try checkGradient("bilinear", input: x) { try $0.upsampleBilinear(height: 7, width: 9) }
    try checkGradient("layerNorm", input: x) { try $0.layerNorm([5], weight: nil, bias: nil) }
    try checkGradient("batchNorm", input: x) {
      try $0.batchNorm(weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true)
    }
    let target = try Tensor([2, 0] as [Int64])
    let logits = try Tensor.randn([2, 3], generator: g, dtype: .float64)
    try checkGradient("crossEntropy", input: logits) { try Loss.crossEntropy($0, target, labelSmoothing: 0.1) }
    let other = try Tensor.randn([2, 3], generator: g, dtype: .float64)
    try checkGradient("mse", input: logits) { try Loss.mse($0, other) }
  }

  func testNoGradScopeAndDetach() throws {
    let x = try Tensor([1, 2] as [Double]).requiringGrad()
    let y = try withNoGrad { try x * 2 }
    XCTAssertFalse(y.requiresGrad)
    XCTAssertTrue(try (x * 2).requiresGrad)
    XCTAssertFalse(try x.detach().requiresGrad)
    // The mode is restored even when the body throws.
    XCTAssertThrowsError(try withNoGrad { _ = try x.reshape([5]) })
    XCTAssertTrue(try (x * 2).requiresGrad)
  }

  func testGradientAccumulatesAndZeroes() throws {
    let x = try Tensor([3] as [Double]).requiringGrad()
    try (x * x).sum().backward()
    try (x * x).sum().backward()
    XCTAssertEqual(x.grad?.doubles, [12])
    try x.zeroGrad()
    XCTAssertNil(x.grad)
    XCTAssertThrowsError(try Tensor([3] as [Double]).backward()) // nothing requires grad
  }

  func testAutogradGradientsFunction() throws {
    let x = try Tensor([2] as [Double]).requiringGrad()
    let y = try x.pow(3)
    let grads = try Autograd.gradients(of: [y], withRespectTo: [x], outputGradients: [Tensor.ones([1], dtype: .float64)])
    XCTAssertEqual(grads[0]?.doubles, [12])
    XCTAssertNil(x.grad)
  }

  func testStraightThroughRound() throws {
    let x = try Tensor([0.4, 1.6, -2.5] as [Double]).requiringGrad()
    let y = try x.roundStraightThrough()
    XCTAssertEqual(y.doubles, [0, 2, -2])
    try (y * Tensor([1, 2, 3] as [Double])).sum().backward()
    XCTAssertEqual(x.grad?.doubles, [1, 2, 3])
  }

  func testLowerBoundGradient() throws {
    // Below the bound the gradient passes only when it pushes the value up (grad < 0 of the loss).
    let x = try Tensor([0.05, 0.5, 0.05] as [Double]).requiringGrad()
    let y = try x.lowerBounded(0.11)
    XCTAssertEqual(y.doubles, [0.11, 0.5, 0.11])
    let upstream = try Tensor([1, 1, -1] as [Double])
    try (y * upstream).sum().backward()
    XCTAssertEqual(x.grad?.doubles, [0, 1, -1])
  }

  func testCustomFunctionErrorsPropagateAsSwiftErrors() throws {
    struct Boom: Error {}
    let x = try Tensor([1] as [Double]).requiringGrad()
    let y = try CustomFunction.apply(output: try withNoGrad { try x * 2 }, inputs: [x]) { _, _ in throw Boom() }
    XCTAssertThrowsError(try y.sum().backward()) { error in
      XCTAssertTrue((error as? TorchError)?.message.contains("custom backward") ?? false, "\(error)")
    }
  }

  func testNonFiniteGradientNormIsAnError() throws {
    let x = try Tensor([1] as [Double]).requiringGrad()
    try (x * Double.infinity).sum().backward()
    XCTAssertThrowsError(try clipGradientNorm([x], maxNorm: 1))
  }
}
