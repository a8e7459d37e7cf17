import Torch

/// max(x, bound) with CompressAI's gradient (see `Tensor.lowerBounded`). A
/// module only because CompressAI keeps the bound as a buffer named `bound`,
/// which appears in its state dicts.
public final class LowerBound: Module {
  public let bound: Tensor
  public let value: Double
  public var isTraining = true

  public init(_ value: Double) throws {
    self.value = value
    bound = try Tensor([Float(value)])
  }

  public var buffers: [(name: String, tensor: Tensor)] { [("bound", bound)] }

  public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.lowerBounded(value) }
}

/// Keeps a parameter non-negative during training: stored = sqrt(max(v + p, p)),
/// used = max(stored, sqrt(minimum + p))^2 - p, with pedestal p = (2^-18)^2
/// (Balle et al. 2018; CompressAI's `NonNegativeParametrizer`).
public final class NonNegativeParametrizer: Module {
  public let pedestal: Tensor
  public let lowerBound: LowerBound
  let pedestalValue: Double
  /// The smallest value a parameter can stand for.
  public let minimum: Double
  public var isTraining = true

  public static let reparametrizationOffset = 1.0 / 262_144.0  // 2^-18

  public init(minimum: Double = 0) throws {
    pedestalValue = Self.reparametrizationOffset * Self.reparametrizationOffset
    self.minimum = minimum
    pedestal = try Tensor([Float(pedestalValue)])
    lowerBound = try LowerBound((minimum + pedestalValue).squareRoot())
  }

  public var buffers: [(name: String, tensor: Tensor)] { [("pedestal", pedestal)] }
  public var children: [(name: String, module: any Module)] { [("lower_bound", lowerBound)] }

  /// The stored form of a value.
  public func initial(_ value: Tensor) throws -> Tensor {
    try (value + pedestalValue).maximum(pedestalValue).sqrt()
  }

  /// The value a stored parameter stands for.
  public func callAsFunction(_ stored: Tensor) throws -> Tensor {
    try lowerBound(stored).square() - pedestalValue
  }
}
