import XCTest
@testable import Torch

/// Convolutions against direct loops on small random inputs (float64).
final class ConvolutionTests: XCTestCase {
  func directConv(
    _ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], _ b: [Double]?, stride: Int, padding: Int, dilation: Int,
    groups: Int
  ) -> ([Double], [Int]) {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
    let oh = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1
    let ow = (wd + 2 * padding - dilation * (kw - 1) - 1) / stride + 1
    var out = [Double](repeating: 0, count: n * o * oh * ow)
    let og = o / groups
    for ni in 0..<n { for oi in 0..<o { for yi in 0..<oh { for xi in 0..<ow {
      var s = b?[oi] ?? 0
      let g = oi / og
      for ci in 0..<cg { for ky in 0..<kh { for kx in 0..<kw {
        let iy = yi * stride - padding + ky * dilation
        let ix = xi * stride - padding + kx * dilation
        guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
        let cin = g * cg + ci
        s += x[((ni * c + cin) * h + iy) * wd + ix] * w[((oi * cg + ci) * kh + ky) * kw + kx]
      } } }
      out[((ni * o + oi) * oh + yi) * ow + xi] = s
    } } } }
    _ = c
    return (out, [n, o, oh, ow])
  }

  /// Transposed convolution by scattering each input pixel.
  func directTransposed(
    _ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], _ b: [Double]?, stride: Int, padding: Int,
    outputPadding: Int, groups: Int
  ) -> ([Double], [Int]) {
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
    let (_, og, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
    let o = og * groups
    let oh = (h - 1) * stride - 2 * padding + kh + outputPadding
    let ow = (wd - 1) * stride - 2 * padding + kw + outputPadding
    var out = [Double](repeating: 0, count: n * o * oh * ow)
    let cg = c / groups
    for ni in 0..<n { for ci in 0..<c { for yi in 0..<h { for xi in 0..<wd {
      let g = ci / cg
      for oj in 0..<og { for ky in 0..<kh { for kx in 0..<kw {
        let oy = yi * stride - padding + ky
        let ox = xi * stride - padding + kx
        guard oy >= 0, oy < oh, ox >= 0, ox < ow else { continue }
        let oc = g * og + oj
        out[((ni * o + oc) * oh + oy) * ow + ox] += x[((ni * c + ci) * h + yi) * wd + xi] * w[((ci * og + oj) * kh + ky) * kw + kx]
      } } }
    } } } }
    if let b { for ni in 0..<n { for oc in 0..<o { for p in 0..<(oh * ow) { out[(ni * o + oc) * oh * ow + p] += b[oc] } } } }
    return (out, [n, o, oh, ow])
  }

  /// The encoder runs g_a on NHWC storage: same values, same convolution
  /// results (to float rounding), and the layout carried through.
  func testChannelsLastKeepsValuesAndConvolutionResults() throws {
    let g = try Generator(seed: 3)
    let x = try Tensor.rand([2, 5, 9, 11], generator: g)
    let w = try Tensor.rand([7, 5, 5, 5], generator: g) - 0.5
    let b = try Tensor.rand([7], generator: g)
    let nhwc = try x.channelsLast()
    XCTAssertEqual(nhwc.shape, x.shape)
    XCTAssertFalse(nhwc.isContiguous, "channels-last storage is not NCHW-contiguous")
    XCTAssertEqual(try nhwc.floats(), try x.floats())
    let reference = try x.conv2d(weight: w, bias: b, stride: 2, padding: 2)
    let result = try nhwc.conv2d(weight: w, bias: b, stride: 2, padding: 2)
    XCTAssertFalse(result.isContiguous, "the convolution keeps the NHWC layout")
    assertClose(result.doubles, reference.doubles, tolerance: 1e-5)
    XCTAssertThrowsError(try Tensor.rand([3, 4], generator: g).channelsLast(), "2-d tensors have no channels-last form")
  }

  func testConv2dMatchesDirectLoop() throws {
    let g = try Generator(seed: 7)
    for (stride, padding, dilation, groups) in [(1, 0, 1, 1), (2, 2, 1, 1), (1, 1, 2, 1), (2, 1, 1, 2)] {
      let x = try Tensor.randn([2, 4, 9, 8], generator: g, dtype: .float64)
      let w = try Tensor.randn([6, 4 / groups, 3, 3], generator: g, dtype: .float64)
      let b = try Tensor.randn([6], generator: g, dtype: .float64)
      let y = try x.conv2d(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
      let (ref, shape) = directConv(x.doubles, x.shape, w.doubles, w.shape, b.doubles, stride: stride,
                                    padding: padding, dilation: dilation, groups: groups)
      XCTAssertEqual(y.shape, shape)
      assertClose(y.doubles, ref, tolerance: 1e-10, "conv s\(stride) p\(padding) d\(dilation) g\(groups)")
    }
  }

  func testTransposedConvMatchesDirectLoopOnBothRoutes() throws {
    let g = try Generator(seed: 8)
    for (stride, padding, outputPadding, groups) in [(1, 0, 0, 1), (2, 2, 1, 1), (2, 1, 0, 2), (3, 1, 2, 1)] {
      let x = try Tensor.randn([2, 4, 5, 6], generator: g, dtype: .float64)
      let w = try Tensor.randn([4, 6 / groups, 5, 5], generator: g, dtype: .float64)
      let b = try Tensor.randn([6], generator: g, dtype: .float64)
      let (ref, shape) = directTransposed(x.doubles, x.shape, w.doubles, w.shape, b.doubles, stride: stride,
                                          padding: padding, outputPadding: outputPadding, groups: groups)
      for route in [Tensor.TransposedConvolutionRoute.convolutionGradient, .native] {
        let y = try x.convTranspose2d(weight: w, bias: b, stride: stride, padding: padding,
                                      outputPadding: outputPadding, groups: groups, route: route)
        XCTAssertEqual(y.shape, shape)
        assertClose(y.doubles, ref, tolerance: 1e-10, "tconv \(route) s\(stride) p\(padding) op\(outputPadding) g\(groups)")
      }
    }
  }

  func testTransposedConvGradientsMatchNativeRoute() throws {
    let g = try Generator(seed: 9)
    let x0 = try Tensor.randn([2, 3, 4, 5], generator: g, dtype: .float64)
    let w0 = try Tensor.randn([3, 4, 5, 5], generator: g, dtype: .float64)
    let b0 = try Tensor.randn([4], generator: g, dtype: .float64)
    let upstream = try Tensor.randn([2, 4, 8, 10], generator: g, dtype: .float64)
    var grads: [[Double]] = []
    for route in [Tensor.TransposedConvolutionRoute.convolutionGradient, .native] {
      let x = try x0.clone().detach().requiringGrad()
      let w = try w0.clone().detach().requiringGrad()
      let b = try b0.clone().detach().requiringGrad()
      let y = try x.convTranspose2d(weight: w, bias: b, stride: 2, padding: 2, outputPadding: 1, route: route)
      XCTAssertEqual(y.shape, [2, 4, 8, 10])
      try (y * upstream).sum().backward()
      grads.append((x.grad?.doubles ?? []) + (w.grad?.doubles ?? []) + (b.grad?.doubles ?? []))
    }
    XCTAssertFalse(grads[0].isEmpty)
    assertClose(grads[0], grads[1], tolerance: 1e-10, "transposed conv gradients")
  }

  func testPoolingAndUpsampling() throws {
    let t = try Tensor.arange(0, 16, dtype: .float64).reshape([1, 1, 4, 4])
    XCTAssertEqual(try t.maxPool2d(kernel: 2).doubles, [5, 7, 13, 15])
    XCTAssertEqual(try t.avgPool2d(kernel: 2).doubles, [2.5, 4.5, 10.5, 12.5])
    XCTAssertEqual(try t.adaptiveAvgPool2d(1, 1).doubles, [7.5])
    XCTAssertEqual(try t.adaptiveMaxPool2d(1, 2).doubles, [13, 15])
    let small = try Tensor([0, 1] as [Double], shape: [1, 1, 1, 2])
    XCTAssertEqual(try small.upsampleBilinear(height: 1, width: 4, alignCorners: true).doubles.map { ($0 * 1e9).rounded() / 1e9 },
                   [0, 1.0 / 3.0, 2.0 / 3.0, 1].map { ($0 * 1e9).rounded() / 1e9 })
    XCTAssertEqual(try small.upsampleNearest(height: 1, width: 4).doubles, [0, 0, 1, 1])
  }

  func testNormalization() throws {
    let x = try Tensor([1, 3, 5, 7] as [Double], shape: [2, 2, 1, 1])
    let bn = try BatchNorm2d(2)
    let y = try bn(x.to(.float32))
    // Channel 0 holds 1 and 5: mean 3, biased var 4 -> (-1, 1) scaled by 1/sqrt(4 + eps).
    assertClose(y.doubles, [-1, -1, 1, 1], tolerance: 1e-5)
    assertClose(bn.runningMean.doubles, [0.3, 0.5], tolerance: 1e-6)
    // Running var uses the unbiased variance (8): 0.9 + 0.1 * 8.
    assertClose(bn.runningVar.doubles, [1.7, 1.7], tolerance: 1e-6)
    XCTAssertEqual(try bn.batchesTracked.item(), 1)
    bn.setTraining(false)
    let evalOut = try bn(x.to(.float32))
    assertClose(evalOut.doubles, [(1 - 0.3) / (1.7 + 1e-5).squareRoot(), (3 - 0.5) / (1.7 + 1e-5).squareRoot(),
                                  (5 - 0.3) / (1.7 + 1e-5).squareRoot(), (7 - 0.5) / (1.7 + 1e-5).squareRoot()], tolerance: 1e-5)
    let ln = try LayerNorm([2])
    assertClose(try ln(Tensor([1, 3] as [Float], shape: [1, 2])).doubles, [-1, 1], tolerance: 1e-4)
  }
}
