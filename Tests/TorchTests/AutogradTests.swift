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

/// More ops through finite differences: everything else the models use.
final class MoreGradientTests: XCTestCase {
  func testRemainingDifferentiableOps() throws {
    let g = try Generator(seed: 11)
    let x = try Tensor.uniform([2, 3], low: -2, high: 2, generator: g, dtype: .float64)
    let positive = try Tensor.uniform([2, 3], low: 0.2, high: 2, generator: g, dtype: .float64)
    let other = try Tensor.uniform([2, 3], low: -2, high: 2, generator: g, dtype: .float64)
    try checkGradient("relu6", input: try x * 4) { try $0.relu6() }
    try checkGradient("hardsigmoid", input: x) { try $0.hardsigmoid() }
    try checkGradient("leakyReLU", input: x) { try $0.leakyReLU(slope: 0.1) }
    try checkGradient("silu", input: x) { try $0.silu() }
    try checkGradient("erf", input: x) { try $0.erf() }
    try checkGradient("sin/cos", input: x) { try $0.sin() * $0.cos() }
    try checkGradient("log1p/expm1", input: positive) { try $0.log1p() + $0.expm1() }
    try checkGradient("maximum/minimum", input: x) { try $0.maximum(other) + $0.minimum(other * 0.5) }
    try checkGradient("where", input: x) { try Tensor.where(other.gt(0), $0.square(), $0 * 3) }
    try checkGradient("maskedFill", input: x) { try $0.maskedFill(other.gt(0), 0) * $0 }
    try checkGradient("cat/stack", input: x) { try Tensor.cat([$0, $0.square()], dim: 1) + Tensor.stack([$0, $0], dim: 0).sum(dims: [0]).repeated([1, 2]) }
    try checkGradient("indexSelect/gather", input: x) {
      try $0.indexSelect(1, Tensor([2, 0] as [Int64])) * $0.gather(1, Tensor([1, 1, 0, 2] as [Int64], shape: [2, 2]))
    }
    try checkGradient("permute/slice/narrow", input: x) { try $0.permute([1, 0]).slice(0, 1, 3).narrow(1, start: 0, length: 1).square() }
    try checkGradient("expand/roll/flip", input: x) {
      try $0.unsqueeze(0).expand([2, 2, 3]).roll(shifts: [1], dims: [2]).flip([1]) * 1.5
    }
    try checkGradient("logsumexp/cumsum", input: x) { try $0.logsumexp(dims: [1]) + $0.cumsum(dim: 1).sum(dims: [1]) }
    try checkGradient("norm", input: x) { try $0.norm().reshape([1]) }
    try checkGradient("pad", input: x.reshape([1, 1, 2, 3])) { try $0.padded([1, 1, 1, 0], mode: .replicate).square() }
    let w = try Tensor.randn([4, 3], generator: g, dtype: .float64)
    let b = try Tensor.randn([4], generator: g, dtype: .float64)
    try checkGradient("linear input", input: x) { try $0.linear(weight: w, bias: b) }
    try checkGradient("linear weight", input: w) { try x.linear(weight: $0) }
    let table = try Tensor.randn([5, 3], generator: g, dtype: .float64)
    try checkGradient("embedding", input: table) { try Tensor.embedding($0, indices: Tensor([4, 0, 4] as [Int64])) }
    let image = try Tensor.randn([1, 2, 4, 4], generator: g, dtype: .float64)
    try checkGradient("adaptive avg/max pool", input: image) { try $0.adaptiveAvgPool2d(2, 2) + $0.adaptiveMaxPool2d(2, 2) }
    try checkGradient("nearest upsample", input: image) { try $0.upsampleNearest(height: 8, width: 8) }
    try checkGradient("dropout (fixed mask)", input: x) {
      try $0.dropout(p: 0.3, training: true, generator: Generator(seed: 5))
    }
    try checkGradient("lowerBounded above bound", input: positive) { try $0.lowerBounded(0.1) }
  }
}
