/// Stochastic gradient descent with momentum, Nesterov and weight decay,
/// following PyTorch's `torch.optim.SGD` update exactly.
public final class SGD: Optimizer {
  public let groups: [ParameterGroup]
  public var masks: [ObjectIdentifier: Tensor] = [:]
  public let momentum: Double
  public let dampening: Double
  public let nesterov: Bool
  private var velocity: [ObjectIdentifier: Tensor] = [:]

  public init(
    _ parameters: [Tensor], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
    weightDecay: Double = 0, nesterov: Bool = false
  ) {
    self.groups = [ParameterGroup(parameters, learningRate: learningRate, weightDecay: weightDecay)]
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
  }

  public init(groups: [ParameterGroup], momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false) {
    self.groups = groups
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
  }

  public func step() throws {
    try withNoGrad {
      for group in groups {
        for p in group.parameters {
          guard var d = try maskedGradient(of: p) else { continue }
          if group.weightDecay != 0 { d = try d + p * group.weightDecay }
          if momentum != 0 {
            let key = ObjectIdentifier(p)
            let buffer: Tensor
            if let existing = velocity[key] {
              try existing.mul_(momentum)
              try existing.add_(d, alpha: 1 - dampening)
              buffer = existing
            } else {
              buffer = try d.clone()
              velocity[key] = buffer
            }
            d = nesterov ? try d + buffer * momentum : buffer
          }
          try apply(d * -group.learningRate, to: p)
        }
      }
    }
  }

  /// The momentum buffer of a parameter, for checkpoints.
  public func state(of parameter: Tensor) -> Tensor? { velocity[ObjectIdentifier(parameter)] }

  /// Restores momentum buffers from a checkpoint.
  public func restore(momentum buffers: [(parameter: Tensor, velocity: Tensor)]) throws {
    for (parameter, buffer) in buffers {
      guard buffer.shape == parameter.shape else {
        throw TorchError(.value, "momentum buffer shape \(buffer.shape) does not match parameter \(parameter.shape)")
      }
      velocity[ObjectIdentifier(parameter)] = try buffer.detach()
    }
  }
}
