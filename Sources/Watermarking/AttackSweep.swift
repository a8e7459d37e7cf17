import Foundation
import Torch

/// The removal attacks a sweep runs. Weight-space attacks are `Attack`s;
/// fine-tuning and overwriting need the task's data, which the sweep gets
/// from the `AttackSubject` the caller builds.
public enum AttackFamily: String, Codable, Sendable, CaseIterable {
  case none
  case gaussianNoise = "gaussian-noise"
  case magnitudePruning = "magnitude-pruning"
  case quantization
  case fineTuning = "fine-tuning"
  case overwriting
  case keyInterceptionRandomize = "key-interception-randomize"
  case keyInterceptionFlip = "key-interception-flip"

  /// Row name in tables (the names `lichen watermark attack` has always printed).
  public var title: String {
    switch self {
    case .none: return "none"
    case .gaussianNoise: return "gaussian noise (x std)"
    case .magnitudePruning: return "magnitude pruning"
    case .quantization: return "quantization (bits)"
    case .fineTuning: return "fine-tuning (steps)"
    case .overwriting: return "overwriting (steps)"
    case .keyInterceptionRandomize: return "key interception: randomize"
    case .keyInterceptionFlip: return "key interception: flip"
    }
  }

  /// What the strength axis measures.
  public var strengthLabel: String {
    switch self {
    case .none, .keyInterceptionRandomize, .keyInterceptionFlip: return "strength"
    case .gaussianNoise: return "noise std / layer std"
    case .magnitudePruning: return "fraction of weights pruned per layer"
    case .quantization: return "bits per weight"
    case .fineTuning, .overwriting: return "attacker's SGD steps"
    }
  }

  /// Strength 0 is the unattacked model (not so for quantization, where strength is bits).
  public var zeroIsClean: Bool {
    switch self {
    case .gaussianNoise, .magnitudePruning, .fineTuning, .overwriting: return true
    default: return false
    }
  }
}

/// One attack at one strength.
public struct AttackSetting: Sendable, Equatable {
  public var family: AttackFamily
  public var strength: Double
  public init(_ family: AttackFamily, _ strength: Double) {
    self.family = family
    self.strength = strength
  }
}

/// A fresh copy of the marked model with what the task can do to it.
public struct AttackSubject {
  public var model: any Module
  /// Task performance of `model` now (accuracy for classifiers, in [0, 1]).
  public var evaluate: () throws -> Double
  /// The attacker's training: `steps` steps on data the owner did not use,
  /// with the weights of `frozen` (the attacker's own key) masked when given.
  /// nil: the task cannot train, fine-tuning and overwriting are refused.
  public var fineTune: ((_ steps: Int, _ frozen: WatermarkKey?) throws -> Void)?

  public init(model: any Module, evaluate: @escaping () throws -> Double,
              fineTune: ((_ steps: Int, _ frozen: WatermarkKey?) throws -> Void)?) {
    self.model = model
    self.evaluate = evaluate
    self.fineTune = fineTune
  }
}

/// One row of a sweep: the model after one attack setting.
public struct AttackSweepRow: Codable, Sendable, Equatable {
  public var attack: String
  public var family: AttackFamily
  public var strength: Double
  public var accuracy: Double
  /// BER of the coded bits.
  public var bitErrorRate: Double
  /// BER of the payload after error correction.
  public var payloadBitErrorRate: Double
  public var falsePositiveProbability: Double
  public var detected: Bool
  /// Wall time of the attack, the evaluation and the extraction together.
  public var seconds: Double
}

/// Runs attack settings on fresh copies of a marked model and reads the mark back after each.
public enum AttackSweep {
  /// The settings `lichen watermark attack` and `evaluate` sweep: noise 0.01-1 x std, pruning 10-90%,
  /// quantization 8-2 bits, fine-tuning and overwriting for each of `fineTuneSteps`, key interception.
  public static func standardSettings(fineTuneSteps: [Int]) -> [AttackSetting] {
    [AttackSetting(.none, 0)]
      + [0.01, 0.05, 0.1, 0.5, 1.0].map { AttackSetting(.gaussianNoise, $0) }
      + [0.1, 0.3, 0.5, 0.7, 0.9].map { AttackSetting(.magnitudePruning, $0) }
      + [8, 6, 4, 3, 2].map { AttackSetting(.quantization, Double($0)) }
      + fineTuneSteps.map { AttackSetting(.fineTuning, Double($0)) }
      + fineTuneSteps.map { AttackSetting(.overwriting, Double($0)) }
      + [AttackSetting(.keyInterceptionRandomize, 1), AttackSetting(.keyInterceptionFlip, 1)]
  }

  /// Each setting on a fresh subject from `load`; `onRow` sees every row as it is measured.
  public static func run(
    _ settings: [AttackSetting], load: () throws -> AttackSubject, key: WatermarkKey, expected: [Bool],
    seed: UInt64, onRow: (AttackSweepRow) -> Void = { _ in }
  ) throws -> [AttackSweepRow] {
    guard expected.count == key.payloadBits else {
      throw WatermarkError("expected payload has \(expected.count) bits, the key carries \(key.payloadBits)")
    }
    var rows: [AttackSweepRow] = []
    for setting in settings {
      let start = Date()
      let subject = try load()
      try apply(setting, to: subject, key: key, expected: expected, seed: seed)
      let accuracy = try subject.evaluate()
      let check = try Extractor.extract(from: subject.model, key: key, expected: expected)
      let row = AttackSweepRow(
        attack: setting.family.title, family: setting.family, strength: setting.strength, accuracy: accuracy,
        bitErrorRate: check.bitErrorRate ?? 1, payloadBitErrorRate: check.payloadBitErrorRate ?? 1,
        falsePositiveProbability: check.falsePositiveProbability ?? 1, detected: check.detected ?? false,
        seconds: Date().timeIntervalSince(start))
      rows.append(row)
      onRow(row)
    }
    return rows
  }

  /// Applies one setting to the subject's model in place.
  public static func apply(_ setting: AttackSetting, to subject: AttackSubject, key: WatermarkKey, expected: [Bool],
                           seed: UInt64) throws {
    let model = subject.model
    let s = setting.strength
    func steps() throws -> Int {
      guard s >= 0, s == s.rounded(), s <= Double(Int32.max) else {
        throw WatermarkError("\(setting.family.title): strength \(s) is not a step count")
      }
      return Int(s)
    }
    func train(_ steps: Int, _ frozen: WatermarkKey?) throws {
      guard let fineTune = subject.fineTune else {
        throw WatermarkError("\(setting.family.title) needs a task that can train the model")
      }
      try fineTune(steps, frozen)
    }
    switch setting.family {
    case .none: return
    case .gaussianNoise: try Attack.gaussianNoise(relativeStd: s).apply(to: model, seed: seed)
    case .magnitudePruning: try Attack.magnitudePruning(fraction: s).apply(to: model, seed: seed)
    case .quantization:
      guard s == s.rounded(), s >= 2, s <= 32 else { throw WatermarkError("quantization to \(s) bits: give 2...32 bits") }
      try Attack.quantization(bits: Int(s)).apply(to: model, seed: seed)
    case .fineTuning: try train(try steps(), nil)
    case .overwriting:
      // The attacker embeds the inverted payload under a key of their own, then fine-tunes with it frozen.
      let attackerKey = try KeyGenerator.generate(for: model, payloadBits: expected.count, code: key.code,
                                                  seed: seed &+ 1000, alpha: key.mapping.alpha)
      try Embedder.substitute(expected.map { !$0 }, into: model, key: attackerKey)
      try train(try steps(), attackerKey)
    case .keyInterceptionRandomize: try Attack.keyInterceptionRandomize.apply(to: model, key: key, seed: seed)
    case .keyInterceptionFlip: try Attack.keyInterceptionFlip.apply(to: model, key: key, seed: seed)
    }
  }

  /// The rows as CSV (the first six columns are what `lichen watermark attack` always wrote).
  public static func csv(_ rows: [AttackSweepRow], label: String? = nil) -> String {
    let header = "attack,strength,accuracy,ber,false_positive_probability,detected,family,payload_ber,seconds"
    let lines = rows.map { r in
      "\(csvField(r.attack)),\(r.strength),\(r.accuracy),\(r.bitErrorRate),\(r.falsePositiveProbability),\(r.detected),"
        + "\(r.family.rawValue),\(r.payloadBitErrorRate),\(r.seconds)"
    }
    guard let label else { return ([header] + lines).joined(separator: "\n") + "\n" }
    return (["method," + header] + lines.map { csvField(label) + "," + $0 }).joined(separator: "\n") + "\n"
  }

  /// Quotes a CSV field when it needs it (RFC 4180).
  static func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
