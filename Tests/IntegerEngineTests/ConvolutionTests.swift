import XCTest

@testable import IntegerEngine

final class ConvolutionTests: XCTestCase {
  struct LCG {
    var state: UInt64
    mutating func next(_ range: ClosedRange<Int>) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return range.lowerBound + Int((state >> 33) % UInt64(range.count))
    }
  }

  static func tensor(_ c: Int, _ h: Int, _ w: Int, bound: Int, rng: inout LCG) throws -> IntTensor {
    try IntTensor(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in Int16(rng.next(-bound...bound)) })
  }

  /// The textbook loops in Int64, for comparison.
  static func reference(_ layer: IntConvolution, _ x: IntTensor) -> [Int16] {
    let (oh, ow) = layer.outputSize(height: x.height, width: x.width)
    var acc = [Int64](repeating: 0, count: layer.outChannels * oh * ow)
    let k = layer.kernel
    for o in 0..<layer.outChannels { for i in 0..<layer.inChannels { for ky in 0..<k { for kx in 0..<k {
      if layer.kind == .convolution {
        let w = Int64(layer.weights[((o * layer.inChannels + i) * k + ky) * k + kx])
        for oy in 0..<oh { for ox in 0..<ow {
          let iy = oy * layer.stride - layer.padding + ky, ix = ox * layer.stride - layer.padding + kx
          guard iy >= 0, iy < x.height, ix >= 0, ix < x.width else { continue }
          acc[(o * oh + oy) * ow + ox] += w * Int64(x.values[(i * x.height + iy) * x.width + ix])
        } }
      } else {
        let w = Int64(layer.weights[((i * layer.outChannels + o) * k + ky) * k + kx])
        for iy in 0..<x.height { for ix in 0..<x.width {
          let oy = iy * layer.stride - layer.padding + ky, ox = ix * layer.stride - layer.padding + kx
          guard oy >= 0, oy < oh, ox >= 0, ox < ow else { continue }
          acc[(o * oh + oy) * ow + ox] += w * Int64(x.values[(i * x.height + iy) * x.width + ix])
        } }
      }
    } } } }
    return acc.enumerated().map { n, v in
      let o = n / (oh * ow)
      return layer.outputRange.clamp(layer.requantization[o].apply(v + layer.bias[o]))
    }
  }

  func layer(_ kind: IntConvolution.Kind, inC: Int, outC: Int, kernel: Int, stride: Int, weightBound: Int,
             inputBound: Int, relu: Bool = false, rng: inout LCG) throws -> IntConvolution {
    let count = inC * outC * kernel * kernel
    return try IntConvolution(
      kind: kind, inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: kernel / 2,
      outputPadding: kind == .transposed ? stride - 1 : 0,
      weights: (0..<count).map { _ in Int16(rng.next(-weightBound...weightBound)) },
      bias: (0..<outC).map { _ in Int64(rng.next(-5000...5000)) },
      requantization: try (0..<outC).map { _ in try FixedPointScale(approximating: Double(rng.next(1...1000)) * 1e-5) },
      outputRange: relu ? ActivationRange.signed(bits: 12).rectified : .signed(bits: 12), inputBound: inputBound)
  }

  func testConvolutionMatchesReferenceLoops() throws {
    var rng = LCG(state: 1)
    for (stride, kernel) in [(1, 3), (2, 5), (2, 3)] {
      let conv = try layer(.convolution, inC: 5, outC: 6, kernel: kernel, stride: stride, weightBound: 127, inputBound: 255,
                           relu: stride == 1, rng: &rng)
      let x = try Self.tensor(5, 12, 10, bound: 255, rng: &rng)
      XCTAssertEqual(try conv(x).values, Self.reference(conv, x), "stride \(stride) kernel \(kernel)")
      XCTAssertTrue(conv.accumulatesIn32Bits)
    }
  }

  /// A fused LeakyReLU scales only the negative outputs (after the range clamp), in both kinds and on row bands.
  func testNegativeSlopeScalesOnlyNegativeOutputs() throws {
    var rng = LCG(state: 7)
    let slope = try FixedPointScale(approximating: 0.01)
    for kind in [IntConvolution.Kind.convolution, .transposed] {
      let plain = try layer(kind, inC: 4, outC: 5, kernel: 5, stride: 2, weightBound: 127, inputBound: 255, rng: &rng)
      let leaky = try IntConvolution(
        kind: plain.kind, inChannels: 4, outChannels: 5, kernel: 5, stride: 2, padding: plain.padding,
        outputPadding: plain.outputPadding, weights: plain.weights, bias: plain.bias, requantization: plain.requantization,
        outputRange: plain.outputRange, inputBound: 255, negativeSlope: slope)
      let x = try Self.tensor(4, 8, 6, bound: 255, rng: &rng)
      let expected = Self.reference(plain, x).map { $0 < 0 ? Int16(slope.apply(Int64($0))) : $0 }
      XCTAssertTrue(expected.contains { $0 < 0 } && expected.contains { $0 > 0 })
      XCTAssertEqual(try leaky(x).values, expected, "\(kind)")
      let (oh, ow) = leaky.outputSize(height: 8, width: 6)
      let band = try leaky.outputRows(1..<oh, inputHeight: 8, window: x, windowStart: 0)
      var expectedBand: [Int16] = []
      for o in 0..<5 {
        let first = (o * oh + 1) * ow, end = (o + 1) * oh * ow
        expectedBand += expected[first..<end]
      }
      XCTAssertEqual(band.values, expectedBand, "\(kind) rows 1..<\(oh)")
    }
    XCTAssertThrowsError(try IntConvolution(
      kind: .convolution, inChannels: 1, outChannels: 1, kernel: 1, stride: 1, padding: 0, weights: [1], bias: [0],
      requantization: [try FixedPointScale(approximating: 1)], outputRange: .signed(bits: 8), inputBound: 127,
      negativeSlope: try FixedPointScale(approximating: 1.5)))
  }

  func testTransposedConvolutionMatchesReferenceLoops() throws {
    var rng = LCG(state: 2)
    for (stride, kernel) in [(2, 5), (2, 3), (1, 3)] {
      let t = try layer(.transposed, inC: 4, outC: 7, kernel: kernel, stride: stride, weightBound: 127, inputBound: 255, rng: &rng)
      let x = try Self.tensor(4, 5, 6, bound: 255, rng: &rng)
      let y = try t(x)
      XCTAssertEqual(y.height, 5 * stride)
      XCTAssertEqual(y.values, Self.reference(t, x), "stride \(stride) kernel \(kernel)")
    }
  }

  func testSixteenBitOperandsUseExactSplitAccumulation() throws {
    var rng = LCG(state: 3)
    let conv = try layer(.convolution, inC: 40, outC: 3, kernel: 5, stride: 2, weightBound: 32_767, inputBound: 32_767, rng: &rng)
    XCTAssertFalse(conv.accumulatesIn32Bits, "16x16-bit products over 1000 taps cannot fit Int32")
    let x = try Self.tensor(40, 8, 8, bound: 32_767, rng: &rng)
    XCTAssertEqual(try conv(x).values, Self.reference(conv, x))
  }

  func testResultsDoNotDependOnThreadCount() throws {
    var rng = LCG(state: 4)
    let conv = try layer(.transposed, inC: 16, outC: 9, kernel: 5, stride: 2, weightBound: 127, inputBound: 32_767, rng: &rng)
    let x = try Self.tensor(16, 20, 18, bound: 32_767, rng: &rng)
    let one = try conv(x, threads: 1)
    XCTAssertEqual(try conv(x, threads: 2), one)
    XCTAssertEqual(try conv(x, threads: 7), one)
  }

  func testBadShapesAreErrors() throws {
    var rng = LCG(state: 5)
    let conv = try layer(.convolution, inC: 3, outC: 2, kernel: 3, stride: 1, weightBound: 7, inputBound: 7, rng: &rng)
    XCTAssertThrowsError(try conv(try Self.tensor(4, 5, 5, bound: 1, rng: &rng)))
    XCTAssertThrowsError(try IntConvolution(
      kind: .convolution, inChannels: 3, outChannels: 2, kernel: 3, stride: 1, padding: 1, weights: [1, 2],
      bias: [0, 0], requantization: conv.requantization, outputRange: .signed(bits: 8), inputBound: 7))
    XCTAssertThrowsError(try IntTensor(channels: 2, height: 2, width: 2, values: [1]))
  }

  func testGDNFollowsTheFloatFormula() throws {
    // x at scale 1/64, gamma at scale 1/1000, beta = 1 at pool scale; output at scale 1/256.
    let c = 3
    let sx = 1.0 / 64, sg = 1.0 / 1000, sy = 1.0 / 256
    let gamma: [Int64] = [100, 10, 0, 20, 200, 5, 0, 30, 150]
    let betaReal = [1.0, 0.5, 2.0]
    let beta = betaReal.map { Int64(($0 / (sg * sx * sx)).rounded()) }
    for inverse in [false, true] {
      let constant = inverse ? sx * sg.squareRoot() * sx / sy : 1 / (sg.squareRoot() * sy)
      let gdn = try IntGDN(kind: .standard, inverse: inverse, channels: c, gamma: gamma, beta: beta,
                           output: Array(repeating: try FixedPointScale(approximating: constant), count: c),
                           outputRange: .signed(bits: 16))
      var rng = ConvolutionTests.LCG(state: 9)
      let x = try Self.tensor(c, 4, 5, bound: 200, rng: &rng)
      let y = try gdn(x, threads: 2)
      for q in 0..<x.planeSize {
        for i in 0..<c {
          var pool = betaReal[i]
          for j in 0..<c { let v = Double(x.values[j * 20 + q]) * sx; pool += Double(gamma[i * c + j]) * sg * v * v }
          let xv = Double(x.values[i * 20 + q]) * sx
          let expected = (inverse ? xv * pool.squareRoot() : xv / pool.squareRoot()) / sy
          XCTAssertEqual(Double(y.values[i * 20 + q]), expected, accuracy: 1.0 + Swift.abs(expected) * 2e-4)
        }
      }
    }
  }
}
