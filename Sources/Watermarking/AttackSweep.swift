import Foundation
import Reporting
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
  case globalMagnitudePruning = "global-magnitude-pruning"
  case keyInterceptionZero = "key-interception-zero"
  /// SGD on exactly the key weights, from their marked values (`KeyWeightFineTuning`).
  case keyInterceptionFineTune = "key-interception-fine-tune"
  /// Re-randomize the key weights, then SGD on exactly them to win the accuracy back.
  case keyInterceptionRandomizeFineTune = "key-interception-randomize-fine-tune"
  /// Function-preserving obfuscation: the channels inside each residual block permuted (`ChannelPermutation`).
  case channelPermutation = "channel-permutation"
  /// Function-preserving obfuscation: the channels inside each residual block rescaled, by up to the strength.
  case channelRescaling = "channel-rescaling"
  /// A random fraction of each layer's weights zeroed (the WaterMAS testbed's random unstructured pruning).
  case randomPruning = "random-pruning"
  /// Per-tensor min-max quantization to 2^bits levels (the WaterMAS testbed's quantization).
  case minMaxQuantization = "min-max-quantization"
  /// Dormant channels pruned, then fine-tuning (`FinePruning`): strength is the fraction pruned per block,
  /// `AttackSetting.fineTuneSteps` the attacker's steps after it.
  case finePruning = "fine-pruning"
  /// A fresh network of the same architecture trained for `strength` steps on the marked model's soft
  /// outputs over the attacker's data (`AttackSubject.distill`); the mark is read from the fresh network.
  case distillation
  /// Function-preserving obfuscation: cancelling pairs of dummy channels added inside each residual block
  /// (strength: the fraction of the block's channels added), then every channel permuted (`DummyNeurons`).
  case dummyNeurons = "dummy-neurons"
  /// Function-preserving obfuscation: the signs of a fraction (the strength) of each residual block's channels
  /// flipped (conv1 and the batch norm's mean and scale negated), then every channel permuted
  /// (`ChannelPermutation.flipSigns`).
  case channelSignFlip = "channel-sign-flip"
  /// Function-preserving obfuscation: a fraction (the strength) of each residual block's channels copied, each
  /// conv2 column shared between original and copy, then every channel permuted (`DummyNeurons.split`).
  case neuronSplitting = "neuron-splitting"

  /// Row name in tables (the names `lichen watermark attack` has always printed).
  public var title: String {
    switch self {
    case .none: return "none"
    case .gaussianNoise: return "gaussian noise (x std)"
    case .magnitudePruning: return "magnitude pruning (per layer)"
    case .globalMagnitudePruning: return "magnitude pruning (global)"
    case .quantization: return "quantization (bits)"
    case .fineTuning: return "fine-tuning (steps)"
    case .overwriting: return "overwriting (steps)"
    case .keyInterceptionRandomize: return "key interception: randomize"
    case .keyInterceptionFlip: return "key interception: flip"
    case .keyInterceptionZero: return "key interception: zero"
    case .keyInterceptionFineTune: return "key interception: fine-tune (steps)"
    case .keyInterceptionRandomizeFineTune: return "key interception: randomize + fine-tune (steps)"
    case .channelPermutation: return "channel permutation (function-preserving)"
    case .channelRescaling: return "channel rescaling (function-preserving)"
    case .randomPruning: return "random pruning (per layer)"
    case .minMaxQuantization: return "min-max quantization (bits)"
    case .finePruning: return "fine-pruning (dormant channels, then fine-tuning)"
    case .distillation: return "distillation into a fresh network (steps)"
    case .dummyNeurons: return "dummy neurons (function-preserving)"
    case .channelSignFlip: return "channel sign flips (function-preserving)"
    case .neuronSplitting: return "neuron splitting (function-preserving)"
    }
  }

  /// What the strength axis measures.
  public var strengthLabel: String {
    switch self {
    case .none, .keyInterceptionRandomize, .keyInterceptionFlip, .keyInterceptionZero, .channelPermutation: return "strength"
    case .gaussianNoise: return "noise std / layer std"
    case .channelRescaling: return "largest factor"
    case .magnitudePruning, .randomPruning: return "fraction of weights pruned per layer"
    case .finePruning: return "fraction of each block's channels pruned"
    case .distillation: return "attacker's training steps of the fresh network"
    case .dummyNeurons: return "dummy channels added per block / its channels"
    case .channelSignFlip: return "fraction of each block's channels flipped"
    case .neuronSplitting: return "fraction of each block's channels split"
    case .minMaxQuantization: return "bits per weight (min-max levels)"
    case .globalMagnitudePruning: return "fraction of all weights pruned (one threshold)"
    case .quantization: return "bits per weight"
    case .fineTuning, .overwriting: return "attacker's SGD steps"
    case .keyInterceptionFineTune, .keyInterceptionRandomizeFineTune: return "attacker's SGD steps on the key weights"
    }
  }

  /// Strength 0 is the unattacked model (not so for quantization, where strength is bits, nor for
  /// randomize + fine-tune, whose 0 steps still randomize).
  public var zeroIsClean: Bool {
    switch self {
    case .gaussianNoise, .magnitudePruning, .globalMagnitudePruning, .randomPruning, .fineTuning, .overwriting,
      .keyInterceptionFineTune:
      return true
    default: return false
    }
  }
}

/// One attack at one strength.
public struct AttackSetting: Sendable, Equatable, CustomStringConvertible {
  public var family: AttackFamily
  public var strength: Double
  /// Step size of the key-interception fine-tuning families (nil: `KeyWeightFineTuning.defaultLearningRate`);
  /// the other families ignore it.
  public var learningRate: Double?
  /// The attacker's fine-tuning steps after fine-pruning (nil: none); the other families ignore it.
  public var fineTuneSteps: Int?

  public init(_ family: AttackFamily, _ strength: Double, learningRate: Double? = nil, fineTuneSteps: Int? = nil) {
    self.family = family
    self.strength = strength
    self.learningRate = learningRate
    self.fineTuneSteps = fineTuneSteps
  }

  /// Parses `family:strength` (e.g. `gaussian-noise:0.1`, `quantization:4`, `fine-tuning:100`), a
  /// bare family name for the attacks without a strength (`key-interception-flip`, strength 1), or
  /// `fine-pruning:FRACTION:STEPS` (the fine-tuning steps after the pruning; without them, none).
  public init(spec: String) throws {
    let parts = spec.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
    let names = AttackFamily.allCases.filter { $0 != .none }.map(\.rawValue).joined(separator: ", ")
    guard let name = parts.first, let family = AttackFamily(rawValue: String(name)),
      parts.count <= (family == .finePruning ? 3 : 2)
    else {
      throw WatermarkError("unknown attack '\(spec)': write FAMILY:STRENGTH with FAMILY one of \(names)"
        + " (fine-pruning:FRACTION:STEPS)")
    }
    var fineTuneSteps: Int?
    if parts.count == 3 {
      guard let steps = Int(parts[2]), steps >= 0 else {
        throw WatermarkError("attack '\(spec)': '\(parts[2])' is not a step count")
      }
      fineTuneSteps = steps
    }
    let strength: Double
    if parts.count >= 2 {
      guard let value = Double(parts[1]), value.isFinite else {
        throw WatermarkError("attack '\(spec)': '\(parts[1])' is not a number")
      }
      strength = value
    } else {
      guard family.takesNoStrength else {
        throw WatermarkError("attack '\(spec)' needs a strength (\(family.strengthLabel)): \(family.rawValue):VALUE")
      }
      strength = 1
    }
    self.init(family, strength, fineTuneSteps: fineTuneSteps)
  }

  /// The spec `init(spec:)` reads back.
  public var description: String {
    guard !family.takesNoStrength else { return family.rawValue }
    let integral = strength == strength.rounded() && abs(strength) < 1e15
    let steps = family == .finePruning ? fineTuneSteps.map { ":\($0)" } ?? "" : ""
    return "\(family.rawValue):" + (integral ? String(Int(strength)) : "\(strength)") + steps
  }
}

extension AttackFamily {
  /// The families that train the key weights (`AttackSetting.learningRate` applies).
  public var isKeyFineTuning: Bool { self == .keyInterceptionFineTune || self == .keyInterceptionRandomizeFineTune }

  /// The obfuscations that keep the network's function (the realigning detector's attacks).
  public var isFunctionPreserving: Bool {
    [.channelPermutation, .channelRescaling, .dummyNeurons, .channelSignFlip, .neuronSplitting].contains(self)
  }

  /// The obfuscations that add channels, so the key's shapes no longer fit the model.
  public var widensBlocks: Bool { self == .dummyNeurons || self == .neuronSplitting }

  /// Attacks that are all or nothing (strength is always 1).
  public var takesNoStrength: Bool {
    self == .none || self == .keyInterceptionRandomize || self == .keyInterceptionFlip || self == .keyInterceptionZero
      || self == .channelPermutation
  }
}

/// What a task's evaluation measures: the kind of an attack row's `accuracy` value.
public enum TaskMetric: String, Codable, Sendable, CaseIterable {
  /// Classification accuracy in [0, 1].
  case accuracy
  /// Segmentation mean intersection over union in [0, 1].
  case meanIoU = "mIoU"
  /// A codec's PSNR in dB.
  case psnr = "PSNR"

  /// Whether values are fractions shown as percentages (accuracy, mIoU) rather than dB.
  public var isFraction: Bool { self != .psnr }
}

/// The task side of an attack sweep: fresh copies of a marked model (`AttackSubject`), read from
/// its file, with the task's metric. Classifiers and segmentation models have theirs in Vision.
public protocol AttackTask {
  var url: URL { get }
  var metadata: [String: String] { get }
  /// What `AttackSubject.evaluate` measures.
  var metric: TaskMetric { get }
  func load() throws -> AttackSubject
}

/// A fresh copy of the marked model with what the task can do to it.
public struct AttackSubject {
  public var model: any Module
  /// Task performance of `model` now (`metric`: accuracy for classifiers, in [0, 1]).
  public var evaluate: () throws -> Double
  /// What `evaluate` measures (recorded in every row).
  public var metric: TaskMetric
  /// The attacker's training: `steps` steps on data the owner did not use,
  /// with the weights of `frozen` (the attacker's own key) masked when given.
  /// nil: the task cannot train, fine-tuning and overwriting are refused.
  public var fineTune: ((_ steps: Int, _ frozen: WatermarkKey?) throws -> Void)?
  /// The task loss of `model` on the attacker's batch `step` (data the owner did not use), for the
  /// key-interception fine-tuning, which trains only the key weights itself (`KeyWeightFineTuning`).
  /// nil: those attacks are refused.
  public var attackerLoss: ((_ step: Int) throws -> Tensor)?
  /// Named task metrics of `model` now, kept in each row beside `evaluate`'s value (a codec
  /// reports its rate and distortion: "bpp", "psnr"). nil: none.
  public var measure: (() throws -> [String: Double])?
  /// The distillation attack: trains a fresh network of the same architecture for `steps` steps to
  /// match `model`'s outputs on the attacker's data, then writes its weights into `model` (so
  /// `evaluate` and extraction see the fresh network). nil: the attack is refused.
  public var distill: ((_ steps: Int) throws -> Void)?

  public init(model: any Module, evaluate: @escaping () throws -> Double, metric: TaskMetric = .accuracy,
              fineTune: ((_ steps: Int, _ frozen: WatermarkKey?) throws -> Void)?,
              attackerLoss: ((_ step: Int) throws -> Tensor)? = nil, measure: (() throws -> [String: Double])? = nil,
              distill: ((_ steps: Int) throws -> Void)? = nil) {
    self.model = model
    self.evaluate = evaluate
    self.metric = metric
    self.fineTune = fineTune
    self.attackerLoss = attackerLoss
    self.measure = measure
    self.distill = distill
  }
}

/// One row of a sweep: the model after one attack setting.
public struct AttackSweepRow: Codable, Sendable, Equatable {
  public var attack: String
  public var family: AttackFamily
  public var strength: Double
  /// Step size of the key-interception fine-tuning rows (nil for the other attacks).
  public var learningRate: Double?
  /// The task metric after the attack (its kind is `metric`; the name is the one earlier files used).
  public var accuracy: Double
  /// BER of the coded bits.
  public var bitErrorRate: Double
  /// BER of the payload after error correction.
  public var payloadBitErrorRate: Double
  public var falsePositiveProbability: Double
  public var detected: Bool
  /// Wall time of the attack, the evaluation and the extraction together.
  public var seconds: Double
  /// The subject's named metrics (`AttackSubject.measure`), nil when it has none.
  public var metrics: [String: Double]? = nil
  /// What `accuracy` holds; nil in files written before rows carried it (classifier accuracy).
  public var metric: TaskMetric? = nil

  /// The kind of `accuracy`'s value.
  public var taskMetric: TaskMetric { metric ?? .accuracy }
}

/// Runs attack settings on fresh copies of a marked model and reads the mark back after each.
public enum AttackSweep {
  /// The settings `lichen watermark attack` and `evaluate` sweep: noise 0.01-1 x std, pruning 10-90%
  /// (per layer, then global), quantization 8-2 bits, fine-tuning and overwriting for each of
  /// `fineTuneSteps`, key interception (randomize, flip, zero, then fine-tuning the key weights from
  /// the marked and from randomized values for each of `keyFineTuneSteps` at `keyFineTuneLearningRate`).
  public static func standardSettings(
    fineTuneSteps: [Int], keyFineTuneSteps: [Int] = [], keyFineTuneLearningRate: Double? = nil
  ) -> [AttackSetting] {
    let fractions = [0.1, 0.3, 0.5, 0.7, 0.9]
    return [AttackSetting(.none, 0)]
      + [0.01, 0.05, 0.1, 0.5, 1.0].map { AttackSetting(.gaussianNoise, $0) }
      + fractions.map { AttackSetting(.magnitudePruning, $0) }
      + [8, 6, 4, 3, 2].map { AttackSetting(.quantization, Double($0)) }
      + fineTuneSteps.map { AttackSetting(.fineTuning, Double($0)) }
      + fineTuneSteps.map { AttackSetting(.overwriting, Double($0)) }
      + [AttackSetting(.keyInterceptionRandomize, 1), AttackSetting(.keyInterceptionFlip, 1)]
      + fractions.map { AttackSetting(.globalMagnitudePruning, $0) }
      + [AttackSetting(.keyInterceptionZero, 1)]
      + keyFineTuneSteps.map { AttackSetting(.keyInterceptionFineTune, Double($0), learningRate: keyFineTuneLearningRate) }
      + keyFineTuneSteps.map {
        AttackSetting(.keyInterceptionRandomizeFineTune, Double($0), learningRate: keyFineTuneLearningRate)
      }
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
      var metrics = try subject.measure?()
      // Dummy neurons widen the blocks: the plain detector cannot read the model at all (the key's
      // shapes no longer fit), which counts as a lost mark.
      let widened = setting.family.widensBlocks
      let check = widened ? nil : try Extractor.extract(from: subject.model, key: key, expected: expected)
      if setting.family.isFunctionPreserving {
        // The owner's detector that finds the permuted channels again from the key (its signatures or
        // magnitudes). Widened blocks it cannot map back to the key's shapes count as lost.
        var realigned: ExtractionResult?
        do {
          realigned = try ChannelPermutation.realigned(from: subject.model, key: key, expected: expected)
        } catch is WatermarkError where widened {
          realigned = nil
        }
        metrics = (metrics ?? [:]).merging(["realigned_ber": realigned?.bitErrorRate ?? 1,
                                            "realigned_detected": realigned?.detected == true ? 1 : 0]) { _, new in new }
      }
      if setting.family == .finePruning {
        metrics = (metrics ?? [:]).merging(["fine_tune_steps": Double(setting.fineTuneSteps ?? 0)]) { _, new in new }
      }
      let row = AttackSweepRow(
        attack: setting.family.title, family: setting.family, strength: setting.strength,
        learningRate: setting.family.isKeyFineTuning ? setting.learningRate ?? KeyWeightFineTuning.defaultLearningRate : nil,
        accuracy: accuracy,
        bitErrorRate: check?.bitErrorRate ?? 1, payloadBitErrorRate: check?.payloadBitErrorRate ?? 1,
        falsePositiveProbability: check?.falsePositiveProbability ?? 1, detected: check?.detected ?? false,
        seconds: Date().timeIntervalSince(start), metrics: metrics, metric: subject.metric)
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
    func trainKeyWeights(_ steps: Int) throws {
      guard let loss = subject.attackerLoss else {
        throw WatermarkError("\(setting.family.title) needs a task that gives the attacker's loss")
      }
      let attack = try KeyWeightFineTuning(steps: steps, learningRate: setting.learningRate ?? KeyWeightFineTuning.defaultLearningRate)
      try attack.apply(to: model, key: key, loss: loss)
    }
    switch setting.family {
    case .none: return
    case .gaussianNoise: try Attack.gaussianNoise(relativeStd: s).apply(to: model, seed: seed)
    case .magnitudePruning: try Attack.magnitudePruning(fraction: s).apply(to: model, seed: seed)
    case .globalMagnitudePruning: try Attack.globalMagnitudePruning(fraction: s).apply(to: model, seed: seed)
    case .quantization:
      guard s == s.rounded(), s >= 2, s <= 32 else { throw WatermarkError("quantization to \(s) bits: give 2...32 bits") }
      try Attack.quantization(bits: Int(s)).apply(to: model, seed: seed)
    case .randomPruning: try Attack.randomPruning(fraction: s).apply(to: model, seed: seed)
    case .minMaxQuantization:
      guard s == s.rounded(), s >= 1, s <= 16 else { throw WatermarkError("min-max quantization to \(s) bits: give 1...16 bits") }
      try Attack.minMaxQuantization(bits: Int(s)).apply(to: model, seed: seed)
    case .fineTuning: try train(try steps(), nil)
    case .overwriting:
      // The attacker embeds the inverted payload under a key of their own, then fine-tunes with it frozen.
      let attackerKey = try KeyGenerator.generate(for: model, payloadBits: expected.count, code: key.code,
                                                  seed: seed &+ 1000, alpha: key.mapping.alpha)
      try Embedder.substitute(expected.map { !$0 }, into: model, key: attackerKey)
      try train(try steps(), attackerKey)
    case .keyInterceptionRandomize: try Attack.keyInterceptionRandomize.apply(to: model, key: key, seed: seed)
    case .keyInterceptionFlip: try Attack.keyInterceptionFlip.apply(to: model, key: key, seed: seed)
    case .keyInterceptionZero: try Attack.keyInterceptionZero.apply(to: model, key: key, seed: seed)
    case .channelPermutation: try ChannelPermutation.apply(to: model, seed: seed)
    case .distillation:
      guard let distill = subject.distill else {
        throw WatermarkError("\(setting.family.title) needs a task that can train a fresh network (classifiers)")
      }
      try distill(try steps())
    case .finePruning:
      guard let loss = subject.attackerLoss else {
        throw WatermarkError("\(setting.family.title) needs a task that runs the attacker's batches")
      }
      let steps = setting.fineTuneSteps ?? 0
      if steps > 0, subject.fineTune == nil {
        throw WatermarkError("\(setting.family.title) needs a task that can train the model")
      }
      let activity = try FinePruning.channelActivity(of: model, batches: FinePruning.activityBatches) { _ = try loss($0) }
      try FinePruning.prune(model, activity: activity, fraction: s)
      if steps > 0 { try train(steps, nil) }
    case .channelRescaling: try ChannelPermutation.rescale(model, maximumFactor: s, seed: seed)
    case .dummyNeurons: try DummyNeurons.apply(to: model, fraction: s, seed: seed)
    case .neuronSplitting: try DummyNeurons.split(model, fraction: s, seed: seed)
    case .channelSignFlip:
      try ChannelPermutation.flipSigns(model, fraction: s, seed: seed)
      try ChannelPermutation.apply(to: model, seed: seed &+ 1)
    case .keyInterceptionFineTune: try trainKeyWeights(try steps())
    case .keyInterceptionRandomizeFineTune:
      let n = try steps()  // refuse a bad step count before touching the model
      try Attack.keyInterceptionRandomize.apply(to: model, key: key, seed: seed)
      try trainKeyWeights(n)
    }
  }

  /// The rows as CSV (the first six columns are what `lichen watermark attack` always wrote; the
  /// third is named after the rows' task metric: accuracy, mIoU or PSNR, or `value` with a closing
  /// `metric` column when rows of several tasks mix; learning_rate is empty except for the
  /// key-interception fine-tuning rows; then one column per named metric any row has, in name order).
  public static func csv(_ rows: [AttackSweepRow], label: String? = nil) -> String {
    var metricNames = Set(rows.flatMap { $0.metrics?.keys.map { $0 } ?? [] }).sorted()
    let kinds = Set(rows.map(\.taskMetric))
    let mixed = kinds.count > 1
    let valueColumn = mixed ? "value" : (kinds.first ?? .accuracy).rawValue
    if mixed { metricNames.removeAll { $0 == "metric" } }
    let header = "attack,strength,\(valueColumn),ber,false_positive_probability,detected,family,payload_ber,seconds,learning_rate"
      + metricNames.map { "," + $0 }.joined() + (mixed ? ",metric" : "")
    let lines = rows.map { r in
      "\(CSV.field(r.attack)),\(r.strength),\(r.accuracy),\(r.bitErrorRate),\(r.falsePositiveProbability),\(r.detected),"
        + "\(r.family.rawValue),\(r.payloadBitErrorRate),\(r.seconds),\(r.learningRate.map { "\($0)" } ?? "")"
        + metricNames.map { name in "," + (r.metrics?[name].map { "\($0)" } ?? "") }.joined()
        + (mixed ? "," + r.taskMetric.rawValue : "")
    }
    guard let label else { return ([header] + lines).joined(separator: "\n") + "\n" }
    return (["method," + header] + lines.map { CSV.field(label) + "," + $0 }).joined(separator: "\n") + "\n"
  }
}

extension AttackSweepRow {
  /// One line of a sweep's progress: the attack, its strength, the task metric, BER, false-positive probability
  /// and whether the mark is still detected.
  public var line: String {
    let label = attack.padding(toLength: 48, withPad: " ", startingAt: 0)
    let value = taskMetric.isFraction ? String(format: "%6.2f%%", 100 * accuracy) : String(format: "%6.2f dB", accuracy)
    return label + String(format: "%8.3g  %@ %@  BER %.4f  p %.3g  ", strength, taskMetric.rawValue, value, bitErrorRate,
                          falsePositiveProbability) + (detected ? "detected" : "LOST")
  }

  /// `line` for a codec sweep: the attack, its strength, bits per pixel and PSNR of the real bitstreams (the row's
  /// "bpp" and "psnr" metrics; nan when absent), BER, false-positive probability and whether the mark is detected.
  public var codecLine: String {
    let label = attack.padding(toLength: 48, withPad: " ", startingAt: 0)
    return label + String(format: "%8.3g  bpp %.4f  PSNR %6.2f dB  BER %.4f  p %.3g  ", strength, metrics?["bpp"] ?? .nan,
                          metrics?["psnr"] ?? .nan, bitErrorRate, falsePositiveProbability) + (detected ? "detected" : "LOST")
  }
}

extension AttackSetting {
  /// A comma-separated list of `FAMILY[:STRENGTH]` settings (as the commands' `--attacks` take it), the
  /// key-interception fine-tunings at `keyFineTuneLearningRate` when given.
  /// - Throws: `WatermarkError` for an empty list or a setting that does not parse.
  public static func list(parsing text: String, keyFineTuneLearningRate: Double?) throws -> [AttackSetting] {
    let specs = text.split(separator: ",").map(String.init)
    guard !specs.isEmpty else { throw WatermarkError("the attack list '\(text)' names no attack") }
    return try specs.map { spec in
      var setting = try AttackSetting(spec: spec)
      if setting.family.isKeyFineTuning, let keyFineTuneLearningRate { setting.learningRate = keyFineTuneLearningRate }
      return setting
    }
  }

  /// Whether the attack trains the model (and so needs the attacker's data).
  public var trainsTheModel: Bool {
    [.fineTuning, .overwriting, .keyInterceptionFineTune, .keyInterceptionRandomizeFineTune].contains(family)
  }
}
