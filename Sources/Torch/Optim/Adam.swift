import Foundation

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019, decoupled
/// weight decay), matching PyTorch's update formulas.
public final class Adam: Optimizer {
  public let groups: [ParameterGroup]
  public var masks: [ObjectIdentifier: Tensor] = [:]
  public let beta1: Double
  public let beta2: Double
  public let eps: Double
  /// true: AdamW's decoupled decay; false: L2 added to the gradient (Adam).
  public let decoupledWeightDecay: Bool
  public private(set) var stepCount = 0
  private var firstMoment: [ObjectIdentifier: Tensor] = [:]
  private var secondMoment: [ObjectIdentifier: Tensor] = [:]

  public init(
    _ parameters: [Tensor], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
    eps: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false
  ) {
    self.groups = [ParameterGroup(parameters, learningRate: learningRate, weightDecay: weightDecay)]
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    self.decoupledWeightDecay = decoupledWeightDecay
  }

  /// AdamW with PyTorch's default weight decay of 0.01.
  public static func adamW(_ parameters: [Tensor], learningRate: Double = 1e-3, weightDecay: Double = 0.01) -> Adam {
    Adam(parameters, learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
  }

  public func step() throws {
    stepCount += 1
    let correction1 = 1 - Foundation.pow(beta1, Double(stepCount))
    let correction2 = 1 - Foundation.pow(beta2, Double(stepCount))
    try withNoGrad {
      for group in groups {
        for p in group.parameters {
          guard var g = try maskedGradient(of: p) else { continue }
          let key = ObjectIdentifier(p)
          if group.weightDecay != 0, decoupledWeightDecay {
            try apply(p * (-group.learningRate * group.weightDecay), to: p)
          } else if group.weightDecay != 0 {
            g = try g + p * group.weightDecay
          }
          let m = try firstMoment[key] ?? Tensor.zeros(like: p)
          let v = try secondMoment[key] ?? Tensor.zeros(like: p)
          firstMoment[key] = m
          secondMoment[key] = v
          try m.mul_(beta1)
          try m.add_(g, alpha: 1 - beta1)
          try v.mul_(beta2)
          try v.addcmul_(g, g, value: 1 - beta2)
          let denominator = try v.sqrt() / correction2.squareRoot() + eps
          let delta = try m / denominator * (-group.learningRate / correction1)
          try apply(delta, to: p)
        }
      }
    }
  }

  /// Moments of one parameter (for checkpoints): (m, v).
  public func state(of parameter: Tensor) -> (Tensor, Tensor)? {
    let key = ObjectIdentifier(parameter)
    guard let m = firstMoment[key], let v = secondMoment[key] else { return nil }
    return (m, v)
  }

  /// Restores moments and the step count from a checkpoint.
  public func restore(stepCount: Int, moments: [(parameter: Tensor, m: Tensor, v: Tensor)]) throws {
    self.stepCount = stepCount
    for entry in moments {
      guard entry.m.shape == entry.parameter.shape, entry.v.shape == entry.parameter.shape else {
        throw TorchError(.value, "optimizer state shape \(entry.m.shape) does not match parameter \(entry.parameter.shape)")
      }
      firstMoment[ObjectIdentifier(entry.parameter)] = entry.m
      secondMoment[ObjectIdentifier(entry.parameter)] = entry.v
    }
  }
}
