import Torch

/// MobileNetV3 (Howard et al. 2019), small and large, with torchvision's
/// block settings and names: `features.0.0` (stem conv), `features.N.block.M`
/// (expand, depthwise, `fc1`/`fc2` squeeze-excitation, project),
/// `features.L.0` (last conv), `classifier.0/3`. CIFAR change: the stem has
/// stride 1 instead of 2, so 32x32 inputs end at 2x2 rather than 1x1.
public final class MobileNetV3: Layer {
  public enum Variant: String, Codable, Sendable, CaseIterable {
    case small, large
  }

  /// One inverted-residual setting (torchvision's `InvertedResidualConfig`).
  struct BlockSetting {
    var input: Int, kernel: Int, expanded: Int, output: Int, squeezeExcite: Bool, hardswish: Bool, stride: Int
  }

  public let features: Sequential
  public let classifier: Sequential
  public var isTraining = true

  /// - Parameters:
  ///   - width: torchvision's `width_mult`; channels are rounded to multiples of 8.
  ///   - dropout: classifier dropout (torchvision: 0.2).
  public init(
    variant: Variant, width: Double = 1, classCount: Int = 10, inputChannels: Int = 3, dropout: Double = 0.2,
    generator: Generator
  ) throws {
    let settings = Self.settings(variant).map { s -> BlockSetting in
      var s = s
      s.input = Width.divisible(Double(s.input) * width)
      s.expanded = Width.divisible(Double(s.expanded) * width)
      s.output = Width.divisible(Double(s.output) * width)
      return s
    }
    let bnEps = 0.001, bnMomentum = 0.01
    var layers: [any Layer] = [
      try convNormActivation(
        inputChannels, settings[0].input, kernelSize: 3, stride: 1, activation: .hardswish, batchNormEps: bnEps,
        batchNormMomentum: bnMomentum, generator: generator)
    ]
    for setting in settings {
      layers.append(try InvertedResidual(setting, batchNormEps: bnEps, batchNormMomentum: bnMomentum, generator: generator))
    }
    let lastInput = settings[settings.count - 1].output
    let lastOutput = 6 * lastInput
    layers.append(
      try convNormActivation(
        lastInput, lastOutput, kernelSize: 1, activation: .hardswish, batchNormEps: bnEps,
        batchNormMomentum: bnMomentum, generator: generator))
    features = Sequential(layers)
    let lastChannel = Width.divisible(Double(variant == .small ? 1024 : 1280) * width)
    let fc1 = try Linear(lastOutput, lastChannel, generator: generator)
    let fc2 = try Linear(lastChannel, classCount, generator: generator)
    for fc in [fc1, fc2] { try Initialize.normal(fc, std: 0.01, generator: generator) }
    classifier = Sequential([fc1, Activation(.hardswish), try Dropout(dropout), fc2])
  }

  public var children: [(name: String, module: any Module)] { [("features", features), ("classifier", classifier)] }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try classifier(features(input).adaptiveAvgPool2d(1, 1).flatten(from: 1))
  }

  /// torchvision's `_mobilenet_v3_conf` (the strides of the CIFAR stem aside).
  static func settings(_ variant: Variant) -> [BlockSetting] {
    typealias S = BlockSetting
    switch variant {
    case .large:
      return [
        S(input: 16, kernel: 3, expanded: 16, output: 16, squeezeExcite: false, hardswish: false, stride: 1),
        S(input: 16, kernel: 3, expanded: 64, output: 24, squeezeExcite: false, hardswish: false, stride: 2),
        S(input: 24, kernel: 3, expanded: 72, output: 24, squeezeExcite: false, hardswish: false, stride: 1),
        S(input: 24, kernel: 5, expanded: 72, output: 40, squeezeExcite: true, hardswish: false, stride: 2),
        S(input: 40, kernel: 5, expanded: 120, output: 40, squeezeExcite: true, hardswish: false, stride: 1),
        S(input: 40, kernel: 5, expanded: 120, output: 40, squeezeExcite: true, hardswish: false, stride: 1),
        S(input: 40, kernel: 3, expanded: 240, output: 80, squeezeExcite: false, hardswish: true, stride: 2),
        S(input: 80, kernel: 3, expanded: 200, output: 80, squeezeExcite: false, hardswish: true, stride: 1),
        S(input: 80, kernel: 3, expanded: 184, output: 80, squeezeExcite: false, hardswish: true, stride: 1),
        S(input: 80, kernel: 3, expanded: 184, output: 80, squeezeExcite: false, hardswish: true, stride: 1),
        S(input: 80, kernel: 3, expanded: 480, output: 112, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 112, kernel: 3, expanded: 672, output: 112, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 112, kernel: 5, expanded: 672, output: 160, squeezeExcite: true, hardswish: true, stride: 2),
        S(input: 160, kernel: 5, expanded: 960, output: 160, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 160, kernel: 5, expanded: 960, output: 160, squeezeExcite: true, hardswish: true, stride: 1),
      ]
    case .small:
      return [
        S(input: 16, kernel: 3, expanded: 16, output: 16, squeezeExcite: true, hardswish: false, stride: 2),
        S(input: 16, kernel: 3, expanded: 72, output: 24, squeezeExcite: false, hardswish: false, stride: 2),
        S(input: 24, kernel: 3, expanded: 88, output: 24, squeezeExcite: false, hardswish: false, stride: 1),
        S(input: 24, kernel: 5, expanded: 96, output: 40, squeezeExcite: true, hardswish: true, stride: 2),
        S(input: 40, kernel: 5, expanded: 240, output: 40, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 40, kernel: 5, expanded: 240, output: 40, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 40, kernel: 5, expanded: 120, output: 48, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 48, kernel: 5, expanded: 144, output: 48, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 48, kernel: 5, expanded: 288, output: 96, squeezeExcite: true, hardswish: true, stride: 2),
        S(input: 96, kernel: 5, expanded: 576, output: 96, squeezeExcite: true, hardswish: true, stride: 1),
        S(input: 96, kernel: 5, expanded: 576, output: 96, squeezeExcite: true, hardswish: true, stride: 1),
      ]
    }
  }
}

/// Expand (1x1, when the expansion differs), depthwise kxk, optional
/// squeeze-excitation, project (1x1, no activation); a residual connection
/// when the shape is kept. Children: `block` only, as in torchvision.
final class InvertedResidual: Layer {
  let block: Sequential
  let residual: Bool
  var isTraining = true

  init(
    _ s: MobileNetV3.BlockSetting, batchNormEps: Double, batchNormMomentum: Double, generator: Generator
  ) throws {
    let activation: Activation.Kind = s.hardswish ? .hardswish : .relu
    var layers: [any Layer] = []
    if s.expanded != s.input {
      layers.append(
        try convNormActivation(
          s.input, s.expanded, kernelSize: 1, activation: activation, batchNormEps: batchNormEps,
          batchNormMomentum: batchNormMomentum, generator: generator))
    }
    layers.append(
      try convNormActivation(
        s.expanded, s.expanded, kernelSize: s.kernel, stride: s.stride, groups: s.expanded, activation: activation,
        batchNormEps: batchNormEps, batchNormMomentum: batchNormMomentum, generator: generator))
    if s.squeezeExcite {
      layers.append(try SqueezeExcitation(s.expanded, squeezed: Width.divisible(Double(s.expanded / 4)), generator: generator))
    }
    layers.append(
      try convNormActivation(
        s.expanded, s.output, kernelSize: 1, activation: nil, batchNormEps: batchNormEps,
        batchNormMomentum: batchNormMomentum, generator: generator))
    block = Sequential(layers)
    residual = s.stride == 1 && s.input == s.output
  }

  var children: [(name: String, module: any Module)] { [("block", block)] }

  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let out = try block(input)
    return residual ? try out + input : out
  }
}

/// Channel attention (Hu et al. 2018): global average, `fc1` (1x1 conv) +
/// ReLU, `fc2` + hardsigmoid, then scale the input's channels.
final class SqueezeExcitation: Layer {
  let fc1: Conv2d, fc2: Conv2d
  var isTraining = true

  init(_ channels: Int, squeezed: Int, generator: Generator) throws {
    fc1 = try Conv2d(channels, squeezed, kernelSize: 1, generator: generator)
    fc2 = try Conv2d(squeezed, channels, kernelSize: 1, generator: generator)
    for conv in [fc1, fc2] { try Initialize.kaimingFanOut(conv, generator: generator) }
  }

  var children: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }

  func callAsFunction(_ input: Tensor) throws -> Tensor {
    let scale = try fc2(fc1(input.adaptiveAvgPool2d(1, 1)).relu()).hardsigmoid()
    return try input * scale
  }
}
