/// 2-D convolution over NCHW input (PyTorch names: `weight`, `bias`).
public final class Conv2d: Layer {
  public let weight: Tensor
  public let bias: Tensor?
  public let stride: Int, padding: Int, dilation: Int, groups: Int
  public var isTraining = true

  public init(
    _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    groups: Int = 1, bias: Bool = true, generator: Generator
  ) throws {
    guard inChannels > 0, outChannels > 0, groups > 0, inChannels % groups == 0, outChannels % groups == 0 else {
      throw TorchError(.value, "Conv2d: channels \(inChannels)->\(outChannels) not divisible by groups \(groups)")
    }
    let fanIn = inChannels / groups * kernelSize * kernelSize
    weight = try Initialization.defaultUniform(
      [outChannels, inChannels / groups, kernelSize, kernelSize], fanIn: fanIn, generator: generator)
    self.bias = bias ? try Initialization.defaultUniform([outChannels], fanIn: fanIn, generator: generator) : nil
    self.stride = stride
    self.padding = padding
    self.dilation = dilation
    self.groups = groups
  }

  public var parameters: [(name: String, tensor: Tensor)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
  }
}

/// 2-D transposed convolution; weight is [C_in, C_out / groups, k, k] as in PyTorch.
public final class ConvTranspose2d: Layer {
  public let weight: Tensor
  public let bias: Tensor?
  public let stride: Int, padding: Int, outputPadding: Int, dilation: Int, groups: Int
  public var route: Tensor.TransposedConvolutionRoute = .convolutionGradient
  public var isTraining = true

  public init(
    _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true, generator: Generator
  ) throws {
    guard inChannels > 0, outChannels > 0, groups > 0, inChannels % groups == 0, outChannels % groups == 0 else {
      throw TorchError(.value, "ConvTranspose2d: channels \(inChannels)->\(outChannels) not divisible by groups \(groups)")
    }
    // PyTorch computes fan_in from weight.size(1) for transposed convolutions.
    let fanIn = outChannels / groups * kernelSize * kernelSize
    weight = try Initialization.defaultUniform(
      [inChannels, outChannels / groups, kernelSize, kernelSize], fanIn: fanIn, generator: generator)
    self.bias = bias ? try Initialization.defaultUniform([outChannels], fanIn: fanIn, generator: generator) : nil
    self.stride = stride
    self.padding = padding
    self.outputPadding = outputPadding
    self.dilation = dilation
    self.groups = groups
  }

  public var parameters: [(name: String, tensor: Tensor)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try input.convTranspose2d(
      weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding, dilation: dilation,
      groups: groups, route: route)
  }
}

/// Fully connected layer y = x W^T + b.
public final class Linear: Layer {
  public let weight: Tensor
  public let bias: Tensor?
  public var isTraining = true

  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: Generator) throws {
    weight = try Initialization.defaultUniform([outFeatures, inFeatures], fanIn: inFeatures, generator: generator)
    self.bias = bias ? try Initialization.defaultUniform([outFeatures], fanIn: inFeatures, generator: generator) : nil
  }

  public var parameters: [(name: String, tensor: Tensor)] {
    [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor { try input.linear(weight: weight, bias: bias) }
}

/// A lookup table of `count` vectors of size `dimension`.
public final class Embedding: Module {
  public let weight: Tensor
  public var isTraining = true

  public init(_ count: Int, _ dimension: Int, generator: Generator) throws {
    weight = try Tensor.randn([count, dimension], generator: generator).requiringGrad()
  }

  public var parameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

  public func callAsFunction(_ indices: Tensor) throws -> Tensor { try Tensor.embedding(weight, indices: indices) }
}
