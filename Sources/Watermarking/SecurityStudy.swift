import Foundation
import Torch

/// Is a mark both harmless to its host and costly to remove for someone who
/// holds the key, while the key stays hidden? One `Run` per marked model
/// (fine-tuned from a reference beside an unmarked control with the same
/// schedule and seed); `cells` pools the seeds of each setting.
public enum SecurityStudy {
  /// Mean and sample standard deviation over seeds (std 0 for one seed).
  public struct Spread: Codable, Sendable, Equatable {
    public var mean: Double
    public var std: Double
    public var count: Int

    public init(_ values: [Double]) {
      count = values.count
      mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
      let m = mean
      std = values.count < 2 ? 0 : (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }
  }

  /// One marked model and what was measured on it.
  public struct Run: Codable, Sendable, Equatable {
    /// What defines the mark apart from the seed (method, strength, spread, method parameters).
    public var setting: String
    public var method: String
    /// Magnitude of the marked weights in units of the layer's std.
    public var alpha: Double
    /// "layer" (one magnitude per layer) or "half-normal" (one per position).
    public var magnitudes: String
    public var seed: UInt64
    /// Test accuracy of the marked model, in [0, 1].
    public var accuracy: Double
    /// Test accuracy of the unmarked control of the same seed (nil: none found).
    public var controlAccuracy: Double?
    /// Key-interception attack rows (and the clean row), as `watermark attack` wrote them.
    public var attacks: [AttackSweepRow]
    /// Key secrecy rows, as `watermark secrecy` wrote them.
    public var secrecy: [KeySecrecy.Row]
    /// The detector's false-positive probability on the unmarked control of the same seed, read
    /// under this run's key with the payload the marked model carries (nil: no control).
    public var controlFalsePositiveProbability: Double?
    /// Whether the detector claimed the mark in that control (a false positive).
    public var controlDetected: Bool?
    /// Whole-model attack rows (noise, pruning, quantization, fine-tuning), as `watermark attack` wrote them
    /// to the run's `robustness.json`; nil when the run has none.
    public var robustness: [AttackSweepRow]?

    public init(setting: String, method: String, alpha: Double, magnitudes: String, seed: UInt64, accuracy: Double,
                controlAccuracy: Double?, attacks: [AttackSweepRow], secrecy: [KeySecrecy.Row],
                robustness: [AttackSweepRow]? = nil) {
      self.setting = setting
      self.method = method
      self.alpha = alpha
      self.magnitudes = magnitudes
      self.seed = seed
      self.accuracy = accuracy
      self.controlAccuracy = controlAccuracy
      self.attacks = attacks
      self.secrecy = secrecy
      self.robustness = robustness
    }

    /// Whether the unattacked marked model's mark was detected (false: a false negative).
    public var detected: Bool { attacks.first { $0.family == .none }?.detected ?? false }

    /// Accuracy points the mark costs against the control (positive: the mark hurts).
    public var cost: Double? { controlAccuracy.map { 100 * ($0 - accuracy) } }

    /// Accuracy points each attack costs the attacker (marked - attacked) and whether the mark survived it,
    /// by attack spec (`AttackSetting.description`, e.g. "key-interception-fine-tune:100").
    public var interception: [String: (cost: Double, detected: Bool)] {
      var result: [String: (cost: Double, detected: Bool)] = [:]
      for row in attacks where row.family != .none {
        result[AttackSetting(row.family, row.strength).description] = (100 * (accuracy - row.accuracy), row.detected)
      }
      return result
    }

    /// The cheapest attack that removed the mark: its spec and accuracy cost in points (nil: no attack removed it).
    public var cheapestRemoval: (attack: String, cost: Double)? {
      interception.filter { !$0.value.detected }.map { ($0.key, $0.value.cost) }.min { $0.1 < $1.1 }
    }

    /// The best statistic's share of the key found among the top K = key size weights (1: the model gives the key away).
    public var keyFound: Double { keyFoundByStatistic.values.max() ?? .nan }

    /// Each statistic's share of the key among its top K = key size weights, by statistic name.
    public var keyFoundByStatistic: [String: Double] {
      Dictionary(secrecy.filter { $0.k == $0.positions }.map { ($0.statistic.rawValue, $0.hitRate) },
                 uniquingKeysWith: { a, _ in a })
    }

    /// A random ranking's expected share at the same K.
    public var keyFoundByChance: Double {
      secrecy.first { $0.k == $0.positions }.map { $0.chance / Double(max($0.positions, 1)) } ?? .nan
    }
  }

  /// The criteria of a secure setting (the security claim put to the test).
  public struct Criteria: Codable, Sendable, Equatable {
    /// The mark may cost at most this many accuracy points against the control.
    public var maximumCost = 1.0
    /// Removing it must cost the key holder at least this many points.
    public var minimumRemovalCost = 5.0
    /// The best key-free ranking may find at most this share of the key among its top K = key size.
    public var maximumKeyFound = 0.05

    public init() {}

    public init(maximumCost: Double, minimumRemovalCost: Double, maximumKeyFound: Double) {
      self.maximumCost = maximumCost
      self.minimumRemovalCost = minimumRemovalCost
      self.maximumKeyFound = maximumKeyFound
    }
  }

  /// One setting pooled over its seeds.
  public struct Cell: Codable, Sendable, Equatable {
    public var setting: String
    public var method: String
    public var alpha: Double
    public var magnitudes: String
    public var seeds: [UInt64]
    public var accuracy: Spread
    public var controlAccuracy: Spread?
    /// Points the mark costs against the control.
    public var cost: Spread?
    /// Points each attack costs the attacker, by attack spec.
    public var interceptionCost: [String: Spread]
    /// Seeds (of `seeds.count`) in which each attack removed the mark.
    public var removals: [String: Int]
    /// Seeds in which the realigning detector (`ChannelPermutation.realigned`) still found the mark
    /// after each function-preserving attack, by attack spec.
    public var realignedKept: [String: Int]
    /// Points the cheapest removing attack costs (seeds where some attack removed the mark).
    public var cheapestRemoval: Spread?
    /// Share of the key the best key-free ranking finds in its top K = key size.
    public var keyFound: Spread
    /// The same share for each ranking that every seed ran, by statistic name.
    public var keyFoundByStatistic: [String: Spread]
    public var keyFoundByChance: Double
    /// Every seed meets every criterion.
    public var secure: Bool
    /// Unattacked marked models whose mark went undetected (MPAI-NNW's false negatives), of `seeds.count`.
    public var falseNegatives: Int
    /// Unmarked controls the detector claimed under this setting's keys (false positives), and how many were tested.
    public var falsePositives: Int
    public var controlsTested: Int
    /// The smallest false-positive probability the detector gave a control (the closest call to a false alarm).
    public var smallestControlFalsePositiveProbability: Double?
  }

  /// Pools runs by setting; cells ordered by method, magnitudes and alpha.
  public static func cells(_ runs: [Run], criteria: Criteria = Criteria()) -> [Cell] {
    let groups = Dictionary(grouping: runs, by: \.setting)
    return groups.values.map { group in
      let runs = group.sorted { $0.seed < $1.seed }
      let first = runs[0]
      var interception: [String: Spread] = [:]
      var removals: [String: Int] = [:]
      var realignedKept: [String: Int] = [:]
      for run in runs {
        for row in run.attacks {
          guard let kept = row.metrics?["realigned_detected"] else { continue }
          realignedKept[AttackSetting(row.family, row.strength).description, default: 0] += kept == 1 ? 1 : 0
        }
      }
      for attack in Set(runs.flatMap { $0.interception.keys }) {
        let values = runs.compactMap { $0.interception[attack] }
        interception[attack] = Spread(values.map(\.cost))
        removals[attack] = values.filter { !$0.detected }.count
      }
      let costs = runs.compactMap(\.cost)
      let controls = runs.compactMap(\.controlAccuracy)
      let removalCosts = runs.compactMap { $0.cheapestRemoval?.cost }
      // Only the rankings every seed ran, so each spread covers all seeds.
      let statistics = first.keyFoundByStatistic.keys.filter { name in runs.allSatisfy { $0.keyFoundByStatistic[name] != nil } }
      let keyFoundByStatistic = Dictionary(uniqueKeysWithValues: statistics.map { name in
        (name, Spread(runs.compactMap { $0.keyFoundByStatistic[name] }))
      })
      let secure = runs.allSatisfy { run in
        guard let cost = run.cost else { return false }
        // A mark no attack removed counts as costly to remove.
        let removal = run.cheapestRemoval?.cost ?? .infinity
        return cost <= criteria.maximumCost && removal >= criteria.minimumRemovalCost
          && run.keyFound <= criteria.maximumKeyFound
      }
      return Cell(
        setting: first.setting, method: first.method, alpha: first.alpha, magnitudes: first.magnitudes,
        seeds: runs.map(\.seed), accuracy: Spread(runs.map(\.accuracy)),
        controlAccuracy: controls.isEmpty ? nil : Spread(controls), cost: costs.isEmpty ? nil : Spread(costs),
        interceptionCost: interception, removals: removals, realignedKept: realignedKept,
        cheapestRemoval: removalCosts.isEmpty ? nil : Spread(removalCosts),
        keyFound: Spread(runs.map(\.keyFound)), keyFoundByStatistic: keyFoundByStatistic, keyFoundByChance: first.keyFoundByChance, secure: secure,
        falseNegatives: runs.filter { !$0.detected }.count,
        falsePositives: runs.filter { $0.controlDetected == true }.count,
        controlsTested: runs.filter { $0.controlDetected != nil }.count,
        smallestControlFalsePositiveProbability: runs.compactMap(\.controlFalsePositiveProbability).min())
    }.sorted { ($0.method, $0.magnitudes, $0.alpha, $0.setting) < ($1.method, $1.magnitudes, $1.alpha, $1.setting) }
  }
}
