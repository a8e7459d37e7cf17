import Torch

/// Multiply-accumulate and parameter counts of a codec at a given input size,
/// layer by layer (shared with the FPGA planner's layer graph).
///
/// Counting rules (the same as our CompressAI measurements in PEERS.md):
/// convolution = out_c * in_c/groups * k^2 * out_h * out_w; transposed
/// convolution = in_c * out_c/groups * k^2 * in_h * in_w (every input pixel
/// multiplies the whole kernel: real multiplies, no zero insertion); GDN =
/// its C x C channel mix per pixel (a 1x1 convolution); activations are free.
public struct LayerCost: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable { case convolution, transposedConvolution, gdn, inverseGDN, activation }
  public var name: String
  public var kind: Kind
  public var inputShape: [Int]  // C, H, W
  public var outputShape: [Int]
  public var kernel: Int
  public var stride: Int
  public var macs: Int
  public var parameters: Int
}

public struct ComplexityReport: Sendable, Codable {
  public var width: Int
  public var height: Int
  public var layers: [LayerCost]

  /// MACs of every layer whose name starts with `prefix` ("g_a", "h_s", ...).
  public func macs(of prefix: String) -> Int {
    layers.filter { $0.name.hasPrefix(prefix + ".") }.reduce(0) { $0 + $1.macs }
  }

  public var pixels: Int { width * height }
  /// The encoder runs g_a, h_a and h_s (it needs the scales); the decoder h_s and g_s.
  public var encoderMACs: Int { macs(of: "g_a") + macs(of: "h_a") + macs(of: "h_s") }
  public var decoderMACs: Int { macs(of: "h_s") + macs(of: "g_s") }
  public var totalMACs: Int { layers.reduce(0) { $0 + $1.macs } }
}

public enum Complexity {
  /// Walks the transforms of `model` symbolically for a 3 x height x width input.
  public static func analyze(_ model: any CompressionModel, width: Int, height: Int) throws -> ComplexityReport {
    var layers: [LayerCost] = []
    func walk(_ name: String, _ sequence: Sequential, _ input: [Int]) throws -> [Int] {
      var shape = input
      for (index, layer) in sequence.layers.enumerated() {
        let layerName = "\(name).\(index)"
        let cost = try cost(of: layer, name: layerName, input: shape)
        layers.append(cost)
        shape = cost.outputShape
      }
      return shape
    }
    if let m = model as? any HyperpriorModel {
      let y = try walk("g_a", m.analysis, [3, height, width])
      let z = try walk("h_a", m.hyperAnalysis, y)
      _ = try walk("h_s", m.hyperSynthesis, z)
      _ = try walk("g_s", m.synthesis, y)
    } else if let m = model as? FactorizedPrior {
      let y = try walk("g_a", m.analysis, [3, height, width])
      _ = try walk("g_s", m.synthesis, y)
    } else {
      throw CodecError.invalidModel("complexity analysis does not know \(type(of: model))")
    }
    return ComplexityReport(width: width, height: height, layers: layers)
  }

  static func cost(of layer: any Layer, name: String, input: [Int]) throws -> LayerCost {
    let (c, h, w) = (input[0], input[1], input[2])
    switch layer {
    case let conv as Conv2d:
      let s = conv.weight.shape  // out, in/g, k, k
      guard s[1] * conv.groups == c else { throw CodecError.invalidModel("\(name) expects \(s[1] * conv.groups) channels, gets \(c)") }
      let k = s[2]
      let oh = (h + 2 * conv.padding - conv.dilation * (k - 1) - 1) / conv.stride + 1
      let ow = (w + 2 * conv.padding - conv.dilation * (k - 1) - 1) / conv.stride + 1
      return LayerCost(name: name, kind: .convolution, inputShape: input, outputShape: [s[0], oh, ow], kernel: k,
                       stride: conv.stride, macs: s[0] * s[1] * k * k * oh * ow,
                       parameters: conv.weight.elementCount + (conv.bias?.elementCount ?? 0))
    case let conv as ConvTranspose2d:
      let s = conv.weight.shape  // in, out/g, k, k
      guard s[0] == c else { throw CodecError.invalidModel("\(name) expects \(s[0]) channels, gets \(c)") }
      let k = s[2]
      let oh = (h - 1) * conv.stride - 2 * conv.padding + conv.dilation * (k - 1) + conv.outputPadding + 1
      let ow = (w - 1) * conv.stride - 2 * conv.padding + conv.dilation * (k - 1) + conv.outputPadding + 1
      return LayerCost(name: name, kind: .transposedConvolution, inputShape: input,
                       outputShape: [s[1] * conv.groups, oh, ow], kernel: k, stride: conv.stride,
                       macs: s[0] * s[1] * k * k * h * w,
                       parameters: conv.weight.elementCount + (conv.bias?.elementCount ?? 0))
    case let gdn as GDN:
      return LayerCost(name: name, kind: gdn.inverse ? .inverseGDN : .gdn, inputShape: input, outputShape: input,
                       kernel: 1, stride: 1, macs: c * c * h * w, parameters: c * c + c)
    default:
      return LayerCost(name: name, kind: .activation, inputShape: input, outputShape: input, kernel: 1, stride: 1,
                       macs: 0, parameters: layer.parameterCount)
    }
  }
}
