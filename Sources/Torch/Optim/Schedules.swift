import Foundation

/// A learning-rate schedule evaluated from the step (or epoch) index.
public protocol LearningRateSchedule: Sendable {
  func learningRate(at step: Int) -> Double
}

/// Multiplies the rate by `gamma` every `stepSize` steps.
public struct StepSchedule: LearningRateSchedule {
  public var base: Double, stepSize: Int, gamma: Double
  public init(base: Double, stepSize: Int, gamma: Double = 0.1) {
    self.base = base
    self.stepSize = Swift.max(1, stepSize)
    self.gamma = gamma
  }
  public func learningRate(at step: Int) -> Double { base * Foundation.pow(gamma, Double(step / stepSize)) }
}

/// Multiplies the rate by `gamma` at each milestone.
public struct MultiStepSchedule: LearningRateSchedule {
  public var base: Double, milestones: [Int], gamma: Double
  public init(base: Double, milestones: [Int], gamma: Double = 0.1) {
    self.base = base
    self.milestones = milestones.sorted()
    self.gamma = gamma
  }
  public func learningRate(at step: Int) -> Double {
    base * Foundation.pow(gamma, Double(milestones.filter { $0 <= step }.count))
  }
}

/// Cosine annealing from `base` to `minimum` over `period` steps (then flat).
public struct CosineSchedule: LearningRateSchedule {
  public var base: Double, period: Int, minimum: Double
  public init(base: Double, period: Int, minimum: Double = 0) {
    self.base = base
    self.period = Swift.max(1, period)
    self.minimum = minimum
  }
  public func learningRate(at step: Int) -> Double {
    let t = Double(Swift.min(step, period)) / Double(period)
    return minimum + (base - minimum) * (1 + Foundation.cos(Double.pi * t)) / 2
  }
}

/// Polynomial decay to zero over `period` steps (then zero): base x (1 - t/period)^power, the
/// schedule DeepLab trains with (power 0.9; PyTorch's PolynomialLR, torchvision's segmentation reference).
public struct PolySchedule: LearningRateSchedule {
  public var base: Double, period: Int, power: Double
  public init(base: Double, period: Int, power: Double = 0.9) {
    self.base = base
    self.period = Swift.max(1, period)
    self.power = power
  }
  public func learningRate(at step: Int) -> Double {
    let remaining = 1 - Double(Swift.min(Swift.max(0, step), period)) / Double(period)
    return base * Foundation.pow(remaining, power)
  }
}

/// Another schedule with a linear warm-up: the rate of step s < `steps` is the inner schedule's times
/// (s + 1) / `steps`, so training starts at 1/`steps` of the rate instead of all of it (AdamW on
/// transformers, SGD at large rates). After the warm-up the inner schedule runs unchanged.
public struct LinearWarmup: LearningRateSchedule {
  public var inner: any LearningRateSchedule
  public var steps: Int
  public init(_ inner: any LearningRateSchedule, steps: Int) {
    self.inner = inner
    self.steps = Swift.max(0, steps)
  }
  public func learningRate(at step: Int) -> Double {
    let rate = inner.learningRate(at: step)
    return step < steps ? rate * Double(step + 1) / Double(steps) : rate
  }
}

/// Lowers the rate by `factor` when a monitored value stops improving for
/// `patience` evaluations (PyTorch's ReduceLROnPlateau, mode "min", relative threshold).
public struct PlateauSchedule: Codable, Sendable, Equatable {
  public var learningRate: Double
  public var factor: Double
  public var patience: Int
  public var threshold: Double
  public var minimum: Double
  public private(set) var best: Double = .greatestFiniteMagnitude
  public private(set) var badEvaluations = 0

  public init(learningRate: Double, factor: Double = 0.5, patience: Int = 10, threshold: Double = 1e-4, minimum: Double = 0) {
    self.learningRate = learningRate
    self.factor = factor
    self.patience = patience
    self.threshold = threshold
    self.minimum = minimum
  }

  /// Records a new value; returns true when the rate was lowered.
  @discardableResult
  public mutating func record(_ value: Double) -> Bool {
    if value < best * (1 - threshold) {
      best = value
      badEvaluations = 0
      return false
    }
    badEvaluations += 1
    guard badEvaluations > patience else { return false }
    badEvaluations = 0
    let lowered = Swift.max(minimum, learningRate * factor)
    defer { learningRate = lowered }
    return lowered < learningRate
  }
}
