import Torch

/// Inverted dropout as a module, so it occupies a `Sequential` slot the way
/// `nn.Dropout` does (later layers' names depend on it). It owns its
/// generator; the trainer reseeds it every step so resumed runs drop the
/// same units as uninterrupted ones.
public final class Dropout: Layer {
  public let probability: Double
  public let generator: Generator
  public var isTraining = true

  public init(_ probability: Double, seed: UInt64 = 0) throws {
    guard (0..<1).contains(probability) else {
      throw VisionError(.invalidArgument, "dropout probability \(probability) is not in [0, 1)")
    }
    self.probability = probability
    self.generator = try Generator(seed: seed)
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try input.dropout(p: probability, training: isTraining, generator: generator)
  }
}

/// Reorders dimensions (torchvision's `Permute`, e.g. NCHW to NHWC).
final class Permute: Layer {
  let dims: [Int]
  var isTraining = true
  init(_ dims: [Int]) { self.dims = dims }
  func callAsFunction(_ input: Tensor) throws -> Tensor { try input.permute(dims) }
}

/// Every module of a tree, depth first (the root first).
public func allModules(of root: any Module) -> [any Module] {
  [root] + root.children.flatMap { allModules(of: $0.module) }
}

/// Channel counts scaled by a width multiplier.
enum Width {
  /// round(channels * multiplier), at least `minimum`.
  static func scaled(_ channels: Int, _ multiplier: Double, minimum: Int = 4) -> Int {
    Swift.max(minimum, Int((Double(channels) * multiplier).rounded()))
  }

  /// torchvision's `_make_divisible`: nearest multiple of `divisor`, never
  /// more than 10% below the scaled value.
  static func divisible(_ value: Double, by divisor: Int = 8) -> Int {
    var result = Swift.max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(result) < 0.9 * value { result += divisor }
    return result
  }
}

/// The initialisations torchvision applies after building its models.
enum Initialize {
  /// kaiming_normal_(mode="fan_out", nonlinearity="relu"); bias zero.
  static func kaimingFanOut(_ conv: Conv2d, generator: Generator) throws {
    let s = conv.weight.shape
    let fanOut = s[0] * s[2] * s[3]
    try normal(conv.weight, std: (2 / Double(fanOut)).squareRoot(), generator: generator)
    if let bias = conv.bias { try withNoGrad { try bias.zero_() } }
  }

  /// Weight ~ N(0, std^2); bias zero.
  static func normal(_ linear: Linear, std: Double, generator: Generator) throws {
    try normal(linear.weight, std: std, generator: generator)
    if let bias = linear.bias { try withNoGrad { try bias.zero_() } }
  }

  static func normal(_ tensor: Tensor, std: Double, generator: Generator) throws {
    let values = try Tensor.randn(tensor.shape, generator: generator, dtype: tensor.dtype) * std
    try withNoGrad { try tensor.copy_(values) }
  }
}

/// Conv (no bias), batch norm and an optional activation in one Sequential:
/// torchvision's `Conv2dNormActivation`, whose children are "0", "1", "2".
func convNormActivation(
  _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, groups: Int = 1,
  activation: Activation.Kind?, batchNormEps: Double = 1e-5, batchNormMomentum: Double = 0.1, generator: Generator
) throws -> Sequential {
  let conv = try Conv2d(
    inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups,
    bias: false, generator: generator)
  try Initialize.kaimingFanOut(conv, generator: generator)
  var layers: [any Layer] = [conv, try BatchNorm2d(outChannels, momentum: batchNormMomentum, eps: batchNormEps)]
  if let activation { layers.append(Activation(activation)) }
  return Sequential(layers)
}
