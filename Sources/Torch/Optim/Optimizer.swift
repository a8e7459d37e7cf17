/// A parameter group: tensors sharing a learning rate and options.
public final class ParameterGroup {
  public let parameters: [Tensor]
  public var learningRate: Double
  public var weightDecay: Double

  public init(_ parameters: [Tensor], learningRate: Double, weightDecay: Double = 0) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.weightDecay = weightDecay
  }
}

/// Something that updates parameters from their gradients.
///
/// Gradient masks freeze individual weights: where a parameter's mask is 0
/// the weight stays bit-for-bit unchanged through gradient, momentum and
/// weight decay (the watermarking relies on this).
public protocol Optimizer: AnyObject {
  var groups: [ParameterGroup] { get }
  /// 0/1 masks by parameter identity; absent means fully trainable.
  var masks: [ObjectIdentifier: Tensor] { get set }
  func step() throws
}

extension Optimizer {
  public func zeroGrad() throws {
    for group in groups { for p in group.parameters { try p.zeroGrad() } }
  }

  /// Freezes the entries of `parameter` where `mask` is 0 (mask is converted to its dtype).
  public func setMask(_ mask: Tensor, for parameter: Tensor) throws {
    guard mask.shape == parameter.shape else {
      throw TorchError(.value, "gradient mask shape \(mask.shape) differs from parameter shape \(parameter.shape)")
    }
    masks[ObjectIdentifier(parameter)] = try mask.to(parameter.dtype).detach()
  }

  /// Sets the learning rate of every group.
  public func setLearningRate(_ rate: Double) {
    for group in groups { group.learningRate = rate }
  }

  /// Adds `delta` to `parameter`, skipping masked entries exactly.
  func apply(_ delta: Tensor, to parameter: Tensor) throws {
    if let mask = masks[ObjectIdentifier(parameter)] {
      try parameter.add_(delta * mask)
    } else {
      try parameter.add_(delta)
    }
  }

  /// The parameter's gradient with masked entries zeroed, or nil.
  func maskedGradient(of parameter: Tensor) throws -> Tensor? {
    guard let g = parameter.grad else { return nil }
    if let mask = masks[ObjectIdentifier(parameter)] { return try g * mask }
    return g
  }
}

/// Scales gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Double) throws -> Double {
  let grads = parameters.compactMap(\.grad)
  guard !grads.isEmpty else { return 0 }
  let total = try withNoGrad { () -> Double in
    var sum = 0.0
    for g in grads { sum += try g.to(.float64).square().sum().item() }
    return sum.squareRoot()
  }
  guard total.isFinite else { throw TorchError(.value, "gradient norm is not finite (\(total))") }
  if total > maxNorm {
    let scale = maxNorm / (total + 1e-6)
    try withNoGrad { for g in grads { try g.mul_(scale) } }
  }
  return total
}
