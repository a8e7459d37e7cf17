import Compression
import Torch

/// A float hyperprior (scale or mean-scale) as a list of quantizable stages per
/// transform, with ReLUs and LeakyReLUs fused into the layer before them (their
/// outputs are the quantization points). Names are the state-dict prefixes
/// (`g_a.0`, `h_s.4`).
struct HyperpriorStages {
  struct Stage {
    var descriptor: LayerDescriptor
    var layer: any Layer
    var reluAfter: Bool
    /// A LeakyReLU (slope 0.01) follows: the integer layer scales its negative outputs.
    var leakyReLUAfter = false
  }

  /// The quantization point of the mean-scale hyperprior's means (h_s's last M output channels).
  static let meansPoint = "means"

  /// The slope of the mean-scale hyperprior's LeakyReLUs (PyTorch's default).
  static let leakyReLUSlope = 0.01

  let model: any HyperpriorModel
  let analysis: [Stage]
  let hyperAnalysis: [Stage]
  let hyperSynthesis: [Stage]
  let synthesis: [Stage]

  init(_ model: any HyperpriorModel) throws {
    self.model = model
    analysis = try Self.stages(model.analysis, transform: "g_a")
    hyperAnalysis = try Self.stages(model.hyperAnalysis, transform: "h_a")
    hyperSynthesis = try Self.stages(model.hyperSynthesis, transform: "h_s")
    synthesis = try Self.stages(model.synthesis, transform: "g_s")
  }

  var all: [Stage] { analysis + hyperAnalysis + hyperSynthesis + synthesis }
  var descriptors: [LayerDescriptor] { all.map(\.descriptor) }

  static func stages(_ sequence: Sequential, transform: String) throws -> [Stage] {
    var result: [Stage] = []
    for (i, layer) in sequence.layers.enumerated() {
      let name = "\(transform).\(i)"
      if let a = layer as? Activation {
        guard a.kind == .relu || a.kind == .leakyReLU, let last = result.last, !last.reluAfter, !last.leakyReLUAfter,
          last.descriptor.kind != .gdn
        else {
          throw QuantizationError("\(name): only a ReLU or LeakyReLU after a convolution can be quantized")
        }
        if a.kind == .relu { result[result.count - 1].reluAfter = true } else { result[result.count - 1].leakyReLUAfter = true }
        continue
      }
      let kind: LayerDescriptor.Kind
      switch layer {
      case is Conv2d: kind = .convolution
      case is ConvTranspose2d: kind = .transposed
      case is GDN: kind = .gdn
      default: throw QuantizationError("\(name): \(type(of: layer)) has no integer implementation")
      }
      result.append(Stage(descriptor: LayerDescriptor(name: name, transform: transform, kind: kind), layer: layer,
                          reluAfter: false))
    }
    return result
  }

  /// Runs one transform stage by stage, handing each stage's output (after its ReLU) to `observe`.
  static func run(_ stages: [Stage], _ input: Tensor, observe: (String, Tensor) throws -> Void) throws -> Tensor {
    var h = input
    for stage in stages {
      h = try stage.layer(h)
      if stage.reluAfter { h = try h.relu() }
      if stage.leakyReLUAfter { h = try h.leakyReLU(slope: leakyReLUSlope) }
      try observe(stage.descriptor.name, h)
    }
    return h
  }
}
