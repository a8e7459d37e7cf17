import Foundation
import Torch

/// What a training run spent, counted rather than assumed: forward and
/// backward passes through the model and wall time per step. WaterMAS
/// claims a better complexity trade-off than its baselines (one extra pass
/// per step against the replicas' R), so the cost is measured on the run
/// itself by `TrainingCostMeter`, next to an unmarked run at the same budget.
///
/// Totals add up across resumed runs (`adding`); the per-step values are
/// what to compare, since a resumed run counts only the steps it made.
public struct TrainingCost: Codable, Sendable, Equatable {
  /// Optimisation steps counted.
  public var steps: Int
  /// Forward passes through the model (calls of the loss).
  public var forwardPasses: Int
  /// Backward passes (gradients that flowed back through the loss).
  public var backwardPasses: Int
  /// Time spent in the steps' forward and backward passes, the method's extra passes included.
  public var passSeconds: Double
  /// Wall time between the starts of consecutive steps (data, passes, optimizer, logging, checkpoints),
  /// summed over `stepIntervals` intervals.
  public var stepIntervalSeconds: Double
  public var stepIntervals: Int

  public init(steps: Int = 0, forwardPasses: Int = 0, backwardPasses: Int = 0, passSeconds: Double = 0,
              stepIntervalSeconds: Double = 0, stepIntervals: Int = 0) {
    self.steps = steps
    self.forwardPasses = forwardPasses
    self.backwardPasses = backwardPasses
    self.passSeconds = passSeconds
    self.stepIntervalSeconds = stepIntervalSeconds
    self.stepIntervals = stepIntervals
  }

  public var forwardPassesPerStep: Double? { steps > 0 ? Double(forwardPasses) / Double(steps) : nil }
  public var backwardPassesPerStep: Double? { steps > 0 ? Double(backwardPasses) / Double(steps) : nil }
  /// Passes beyond plain training's one forward and one backward (0 for plain training and substitution).
  public var extraPassesPerStep: Double? { backwardPassesPerStep.map { $0 - 1 } }
  public var passSecondsPerStep: Double? { steps > 0 ? passSeconds / Double(steps) : nil }
  /// Wall time of a whole training step.
  public var secondsPerStep: Double? { stepIntervals > 0 ? stepIntervalSeconds / Double(stepIntervals) : nil }

  /// Both runs' counts together (a run resumed from a checkpoint).
  public func adding(_ other: TrainingCost) -> TrainingCost {
    TrainingCost(steps: steps + other.steps, forwardPasses: forwardPasses + other.forwardPasses,
                 backwardPasses: backwardPasses + other.backwardPasses, passSeconds: passSeconds + other.passSeconds,
                 stepIntervalSeconds: stepIntervalSeconds + other.stepIntervalSeconds,
                 stepIntervals: stepIntervals + other.stepIntervals)
  }

  enum CodingKeys: String, CodingKey {
    case steps, forwardPasses, backwardPasses, passSeconds, stepIntervalSeconds, stepIntervals
    case forwardPassesPerStep, backwardPassesPerStep, extraPassesPerStep, passSecondsPerStep, secondsPerStep
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(steps: try c.decode(Int.self, forKey: .steps), forwardPasses: try c.decode(Int.self, forKey: .forwardPasses),
              backwardPasses: try c.decode(Int.self, forKey: .backwardPasses),
              passSeconds: try c.decode(Double.self, forKey: .passSeconds),
              stepIntervalSeconds: try c.decode(Double.self, forKey: .stepIntervalSeconds),
              stepIntervals: try c.decode(Int.self, forKey: .stepIntervals))
  }

  /// The totals, and the per-step values for people reading the JSON (ignored when read back).
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(steps, forKey: .steps)
    try c.encode(forwardPasses, forKey: .forwardPasses)
    try c.encode(backwardPasses, forKey: .backwardPasses)
    try c.encode(passSeconds, forKey: .passSeconds)
    try c.encode(stepIntervalSeconds, forKey: .stepIntervalSeconds)
    try c.encode(stepIntervals, forKey: .stepIntervals)
    try c.encodeIfPresent(forwardPassesPerStep, forKey: .forwardPassesPerStep)
    try c.encodeIfPresent(backwardPassesPerStep, forKey: .backwardPassesPerStep)
    try c.encodeIfPresent(extraPassesPerStep, forKey: .extraPassesPerStep)
    try c.encodeIfPresent(passSecondsPerStep, forKey: .passSecondsPerStep)
    try c.encodeIfPresent(secondsPerStep, forKey: .secondsPerStep)
  }

  /// The file a run folder keeps its cost in (`lichen watermark embed` writes it, `evaluate` reads it).
  public static let fileName = "cost.json"

  public func write(to url: URL) throws {
    try PrettyJSON.write(self, to: url)
  }

  /// The cost stored at `url`; nil when there is no such file.
  public static func readIfPresent(from url: URL) throws -> TrainingCost? {
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    do {
      return try JSONDecoder().decode(TrainingCost.self, from: Data(contentsOf: url))
    } catch {
      throw WatermarkError("\(url.path) is not a training cost file: \(error)")
    }
  }
}

/// Counts passes and times steps by wrapping a training step's backward hook
/// (the `ClassifierTrainer.backward` shape: it gets the loss closure, leaves
/// gradients in `.grad` and returns the loss value).
///
/// Forward passes are counted when the loss closure is called. Backward
/// passes are counted by the autograd engine itself: the loss goes through
/// an identity node whose Swift backward increments the counter, so a
/// method's extra passes are seen however it makes them (WaterMAS's second
/// pass, the replicas' R passes) and a loss computed but never
/// differentiated is not counted as a backward pass.
public final class TrainingCostMeter {
  public private(set) var cost = TrainingCost()
  private var lastStepStart: UInt64?

  public init() {}

  /// The plain step: one forward, one backward (skipped on a non-finite loss, as the trainer does).
  public static func plainBackward(_ loss: () throws -> Tensor) throws -> Double {
    let l = try loss()
    let value = try l.item()
    if value.isFinite { try l.backward() }
    return value
  }

  /// `backward` with every step counted and timed.
  public func instrument(
    _ backward: @escaping (_ loss: () throws -> Tensor) throws -> Double
  ) -> (_ loss: () throws -> Tensor) throws -> Double {
    { [self] loss in
      let start = DispatchTime.now().uptimeNanoseconds
      if let lastStepStart {
        cost.stepIntervalSeconds += Double(start - lastStepStart) / 1e9
        cost.stepIntervals += 1
      }
      lastStepStart = start
      cost.steps += 1
      defer { cost.passSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
      return try withoutActuallyEscaping(loss) { loss in
        try backward {
          let l = try loss()
          self.cost.forwardPasses += 1
          let output = try withNoGrad { try l.clone() }
          return try CustomFunction.apply(output: output, inputs: [l]) { grad, _ in
            self.cost.backwardPasses += 1
            return [grad]
          }
        }
      }
    }
  }
}

extension TrainingCost {
  /// "2.00 forward / 2.00 backward passes per step, 2116.6 ms per step (2098.6 ms in the passes), 234 steps counted".
  public var summary: String {
    String(format: "%.2f forward / %.2f backward passes per step, %.1f ms per step (%.1f ms in the passes), %d steps counted",
           forwardPassesPerStep ?? .nan, backwardPassesPerStep ?? .nan, 1000 * (secondsPerStep ?? .nan),
           1000 * (passSecondsPerStep ?? .nan), steps)
  }
}
