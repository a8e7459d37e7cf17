import CodecFormat

/// The layers of a codec architecture as the planner sees them: state-dict
/// names, kinds and shapes for a 3 x height x width input, computed from the
/// configuration alone (CompressAI's bmshj2018 layouts: 5x5 stride-2
/// convolutions with "same" padding, 3x3 stride-1 ones in the hyperprior).
/// Planning a float model then needs no weights and no tensor library; a
/// test holds these shapes and MACs equal to the float model's
/// `Complexity` analysis.
public enum ArchitectureShapes {
  public struct Layer: Equatable, Sendable {
    public enum Kind: Sendable { case convolution, transposedConvolution, gdn, inverseGDN, activation, leakyActivation }
    public var name: String
    public var kind: Kind
    /// Channels, height, width.
    public var inputShape: [Int]
    public var outputShape: [Int]
    public var kernel: Int
    public var stride: Int
    public var macs: Int
  }

  /// One step of a transform.
  enum Step: Equatable {
    case convolution(out: Int, kernel: Int, stride: Int)
    case transposed(out: Int, kernel: Int, stride: Int)
    case gdn, inverseGDN, relu, leakyReLU
  }

  /// The layers of `configuration` for a `width` x `height` input, transform by transform (g_a, h_a, h_s, g_s).
  /// - Throws: `HardwareError` for sizes that are not positive.
  public static func layers(of configuration: ModelConfiguration, width: Int, height: Int) throws -> [Layer] {
    let (n, m) = (configuration.n, configuration.m)
    guard n > 0, m > 0, width > 0, height > 0 else {
      throw HardwareError("cannot plan N=\(n), M=\(m) at \(width)x\(height): sizes must be positive")
    }
    let analysis: [Step] = [.convolution(out: n, kernel: 5, stride: 2), .gdn, .convolution(out: n, kernel: 5, stride: 2), .gdn,
                            .convolution(out: n, kernel: 5, stride: 2), .gdn, .convolution(out: m, kernel: 5, stride: 2)]
    let synthesis: [Step] = [.transposed(out: n, kernel: 5, stride: 2), .inverseGDN, .transposed(out: n, kernel: 5, stride: 2),
                             .inverseGDN, .transposed(out: n, kernel: 5, stride: 2), .inverseGDN,
                             .transposed(out: 3, kernel: 5, stride: 2)]
    var layers: [Layer] = []
    let y = walk("g_a", analysis, input: [3, height, width], into: &layers)
    switch configuration.architecture {
    case .factorizedPrior:
      break
    case .scaleHyperprior:
      let z = walk("h_a", [.convolution(out: n, kernel: 3, stride: 1), .relu, .convolution(out: n, kernel: 5, stride: 2), .relu,
                           .convolution(out: n, kernel: 5, stride: 2)], input: y, into: &layers)
      _ = walk("h_s", [.transposed(out: n, kernel: 5, stride: 2), .relu, .transposed(out: n, kernel: 5, stride: 2), .relu,
                       .convolution(out: m, kernel: 3, stride: 1), .relu], input: z, into: &layers)
    case .meanScaleHyperprior:
      // h_a reads y itself; h_s widens to M, 3M/2 and emits 2M channels (scales, then means).
      let z = walk("h_a", [.convolution(out: n, kernel: 3, stride: 1), .leakyReLU, .convolution(out: n, kernel: 5, stride: 2),
                           .leakyReLU, .convolution(out: n, kernel: 5, stride: 2)], input: y, into: &layers)
      _ = walk("h_s", [.transposed(out: m, kernel: 5, stride: 2), .leakyReLU, .transposed(out: m * 3 / 2, kernel: 5, stride: 2),
                       .leakyReLU, .convolution(out: 2 * m, kernel: 3, stride: 1)], input: z, into: &layers)
    }
    _ = walk("g_s", synthesis, input: y, into: &layers)
    return layers
  }

  /// Appends the layers of transform `name` and returns its output shape.
  static func walk(_ name: String, _ steps: [Step], input: [Int], into layers: inout [Layer]) -> [Int] {
    var shape = input
    for (index, step) in steps.enumerated() {
      let (c, h, w) = (shape[0], shape[1], shape[2])
      let layer: Layer
      switch step {
      case .convolution(let out, let k, let s):
        let (oh, ow) = ((h + 2 * (k / 2) - k) / s + 1, (w + 2 * (k / 2) - k) / s + 1)
        layer = Layer(name: "\(name).\(index)", kind: .convolution, inputShape: shape, outputShape: [out, oh, ow], kernel: k,
                      stride: s, macs: out * c * k * k * oh * ow)
      case .transposed(let out, let k, let s):
        // Output padding stride - 1: the output is exactly stride times the input.
        let (oh, ow) = ((h - 1) * s - 2 * (k / 2) + k + s - 1, (w - 1) * s - 2 * (k / 2) + k + s - 1)
        layer = Layer(name: "\(name).\(index)", kind: .transposedConvolution, inputShape: shape, outputShape: [out, oh, ow],
                      kernel: k, stride: s, macs: c * out * k * k * h * w)
      case .gdn, .inverseGDN:
        layer = Layer(name: "\(name).\(index)", kind: step.isInverseGDN ? .inverseGDN : .gdn, inputShape: shape,
                      outputShape: shape, kernel: 1, stride: 1, macs: c * c * h * w)
      case .relu, .leakyReLU:
        layer = Layer(name: "\(name).\(index)", kind: step == .relu ? .activation : .leakyActivation, inputShape: shape,
                      outputShape: shape, kernel: 1, stride: 1, macs: 0)
      }
      layers.append(layer)
      shape = layer.outputShape
    }
    return shape
  }
}

extension ArchitectureShapes.Step {
  var isInverseGDN: Bool {
    if case .inverseGDN = self { return true }
    return false
  }
}
