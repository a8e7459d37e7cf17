/// Layers applied in order; children are named "0", "1", ... as in PyTorch.
public final class Sequential: Layer {
  public private(set) var layers: [any Layer]
  public var isTraining = true

  public init(_ layers: [any Layer]) { self.layers = layers }

  public var children: [(name: String, module: any Module)] {
    layers.enumerated().map { (String($0.offset), $0.element as any Module) }
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try layers.reduce(input) { try $1($0) }
  }

  public subscript(index: Int) -> any Layer { layers[index] }
  public var count: Int { layers.count }
}

/// Parameter-free activations, as modules so they occupy a Sequential slot
/// (PyTorch numbers them, so the names of later layers depend on them).
public final class Activation: Layer {
  public enum Kind: Sendable { case relu, relu6, hardswish, hardsigmoid, gelu, sigmoid, tanh, identity
    /// PyTorch's LeakyReLU with its default negative slope 0.01.
    case leakyReLU
  }
  public let kind: Kind
  public var isTraining = true

  public init(_ kind: Kind) { self.kind = kind }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    switch kind {
    case .relu: return try input.relu()
    case .relu6: return try input.relu6()
    case .hardswish: return try input.hardswish()
    case .hardsigmoid: return try input.hardsigmoid()
    case .gelu: return try input.gelu()
    case .sigmoid: return try input.sigmoid()
    case .tanh: return try input.tanh()
    case .identity: return input
    case .leakyReLU: return try input.leakyReLU(slope: 0.01)
    }
  }
}
