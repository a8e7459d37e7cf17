/// Batch normalisation over the channels of NCHW input (PyTorch names:
/// `weight`, `bias`, buffers `running_mean`, `running_var`, `num_batches_tracked`).
public final class BatchNorm2d: Layer {
  public let weight: Tensor
  public let bias: Tensor
  public let runningMean: Tensor
  public let runningVar: Tensor
  public let batchesTracked: Tensor
  public let momentum: Double
  public let eps: Double
  public var isTraining = true
  /// Sees every output of this layer (PyTorch's forward hook), e.g. to record per-channel activation
  /// statistics on some data; nil: none. It must not change the tensor.
  public var outputObserver: ((Tensor) throws -> Void)?

  public init(_ channels: Int, momentum: Double = 0.1, eps: Double = 1e-5) throws {
    weight = try Tensor.ones([channels]).requiringGrad()
    bias = try Tensor.zeros([channels]).requiringGrad()
    runningMean = try Tensor.zeros([channels])
    runningVar = try Tensor.ones([channels])
    batchesTracked = try Tensor.zeros([], dtype: .int64)
    self.momentum = momentum
    self.eps = eps
  }

  public var parameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
  public var buffers: [(name: String, tensor: Tensor)] {
    [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", batchesTracked)]
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    let (_, c, _, _) = try input.size4("BatchNorm2d input")
    guard c == weight.shape[0] else {
      throw TorchError(.value, "BatchNorm2d: expected \(weight.shape[0]) channels, got \(c)")
    }
    if isTraining { try withNoGrad { try batchesTracked.add_(1) } }
    let output = try input.batchNorm(
      weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, training: isTraining,
      momentum: momentum, eps: eps)
    try outputObserver?(output)
    return output
  }
}

/// Layer normalisation over the trailing `normalizedShape` dimensions.
public final class LayerNorm: Layer {
  public let weight: Tensor
  public let bias: Tensor
  public let normalizedShape: [Int]
  public let eps: Double
  public var isTraining = true

  public init(_ normalizedShape: [Int], eps: Double = 1e-5) throws {
    self.normalizedShape = normalizedShape
    weight = try Tensor.ones(normalizedShape).requiringGrad()
    bias = try Tensor.zeros(normalizedShape).requiringGrad()
    self.eps = eps
  }

  public var parameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try input.layerNorm(normalizedShape, weight: weight, bias: bias, eps: eps)
  }
}
