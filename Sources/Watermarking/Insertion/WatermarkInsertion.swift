import Foundation
import Torch
import Training

/// A training run a watermark can be inserted into: the one `Trainer`, whatever its task
/// (classification, segmentation, a codec's RD loss).
public protocol MarkableTraining: AnyObject {
  /// The model the mark is written into.
  var markedModel: any Module { get }
  /// The optimizer whose masks freeze the mark.
  var parameterOptimizer: any Optimizer { get }
  var step: Int { get }
  /// The hook that replaces the plain backward pass.
  var backward: ((_ loss: () throws -> Tensor) throws -> Double)? { get set }
  var runDirectory: URL { get }
  /// Whether this process writes files (rank 0, or not distributed).
  var isPrimary: Bool { get }
  /// Whether the run keeps a run folder (false for an in-memory run).
  var persists: Bool { get }
}

extension Trainer: MarkableTraining {
  public var markedModel: any Module { task.model }
}

/// One training run's mark: draws (or, resumed, reads) the key and writes the payload, then
/// installs the method's backward pass on the trainer, counted by a `TrainingCostMeter`.
public final class WatermarkInsertion {
  /// The method and its parameters, as the model file records them.
  public let description: String
  public let meter = TrainingCostMeter()
  /// The method's last logged quantity (WaterMAS: the sharpness along the mark).
  public private(set) var last: (name: String, value: Double)?
  /// The run folder's `watermark.csv`: the method's quantities at every step (WaterMAS: loss, sharpness
  /// along the mark and whether the step sharpened; replicas: the replica-centre loss gap), so a
  /// run that diverges or stalls shows when. Nil for methods with nothing to log, in-memory runs and
  /// ranks other than 0.
  public let stepLog: TrainingLog?
  public static let stepLogName = "watermark.csv"

  /// The run's key: a resumed run reads back its key.json (its checkpoint already carries the
  /// mark); otherwise `beforeMarking` runs (e.g. loading the weights to fine-tune), a key is drawn
  /// for the model, the payload written into it and the key saved in the run folder (rank 0).
  public static func key(
    for payload: [Bool], method: WatermarkMethod, settings: InsertionSettings, training: some MarkableTraining,
    resumed: Bool, beforeMarking: () throws -> Void = {}
  ) throws -> WatermarkKey {
    let keyURL = training.runDirectory.appendingPathComponent("key.json")
    if resumed, FileManager.default.fileExists(atPath: keyURL.path) {
      let key = try WatermarkKey.read(from: keyURL)
      guard key.payloadBits == payload.count else {
        throw WatermarkError("\(keyURL.path) carries \(key.payloadBits) payload bits, the payload has \(payload.count)")
      }
      return key
    }
    guard method != .laplacian || settings.absoluteMagnitude == nil else {
      throw WatermarkError("an absolute magnitude does not apply to the laplacian method, which draws its own value per position")
    }
    guard method != .laplacian || settings.magnitudes == .layer else {
      throw WatermarkError("magnitudes \(settings.magnitudes.rawValue) do not apply to the laplacian method, which draws its own value per position")
    }
    try beforeMarking()
    let model = training.markedModel
    var key = try KeyGenerator.generate(for: model, payloadBits: payload.count, code: settings.code,
                                        seed: settings.keySeed, alpha: settings.alpha, spread: settings.magnitudes)
    if let value = settings.absoluteMagnitude {
      guard value > 0, value.isFinite else { throw WatermarkError("the absolute magnitude must be positive, got \(value)") }
      key.mapping.magnitudes = key.mapping.magnitudes.mapValues { _ in value }
    }
    if method == .laplacian {
      try LaplacianSubstitution.substitute(payload, into: model, key: key, scale: 1, seed: settings.keySeed)
    } else {
      try Embedder.substitute(payload, into: model, key: key)
    }
    if training.isPrimary { try key.write(to: keyURL) }
    return key
  }

  /// Freezes the key's weights in the run's optimizer and installs the method's step.
  /// - Parameter seed: the run's training seed (the replica baseline draws its noise from it and the step).
  public init(method: WatermarkMethod, settings: InsertionSettings, key: WatermarkKey, training: some MarkableTraining,
              seed: UInt64) throws {
    try Embedder.freeze(training.markedModel, key: key, in: training.parameterOptimizer)
    description = settings.describe(method)
    let header: String?
    switch method {
    case .watermas where settings.sharpness != 0: header = "step,loss,sharpness,sharpened"
    case .replicas: header = "step,loss,replica_centre_gap"
    case .watermas, .substitution, .laplacian: header = nil
    }
    let logURL = training.runDirectory.appendingPathComponent(Self.stepLogName)
    stepLog = training.persists && training.isPrimary ? header.map { TrainingLog(url: logURL, header: $0) } : nil
    // A resumed run logs the steps after its checkpoint again; a fresh one starts an empty log.
    try stepLog?.truncate(afterStep: training.step)
    let stepLog = stepLog  // captured by the step itself: the log keeps going whoever holds this insertion
    var backward: (_ loss: () throws -> Tensor) throws -> Double = TrainingCostMeter.plainBackward
    switch method {
    case .watermas where settings.sharpness != 0:
      let mas = try WaterMAS(model: training.markedModel, key: key, rho: settings.rho, lambda: settings.sharpness,
                             sharpnessTarget: settings.sharpnessTarget)
      backward = { [weak self, weak training] loss in
        let (value, s) = try mas.backward(loss)
        self?.last = ("last sharpness", s)
        try stepLog?.append([String((training?.step ?? 0) + 1), Self.format(value), Self.format(s),
                             mas.lastStepSharpened ? "1" : "0"])
        return value
      }
    case .replicas:
      let replica = try LossLandscapeReplicas(
        model: training.markedModel, key: key, replicas: settings.replicas, noiseStd: settings.replicaNoise,
        ascentStep: settings.replicaStep, coupling: settings.coupling, seed: seed)
      backward = { [weak self, weak training] loss in
        let (value, r) = try replica.backward(loss, step: training?.step ?? 0)
        self?.last = ("last replica-centre loss gap", r - value)
        try stepLog?.append([String((training?.step ?? 0) + 1), Self.format(value), Self.format(r - value)])
        return value
      }
    case .watermas, .substitution, .laplacian:  // frozen marks, plain step (WaterMAS with lambda = 0 is substitution)
      break
    }
    training.backward = meter.instrument(backward)
  }

  private static func format(_ value: Double) -> String { String(format: "%.6g", value) }

  /// How many of the run's steps sharpened (WaterMAS): the rows of `watermark.csv` whose `sharpened`
  /// column is 1, out of all its rows, so a resumed run counts the steps before its restart too. With a
  /// sharpness target it says how long the hinge kept the sharpness term off. Nil without a WaterMAS log.
  public func sharpenedSteps() throws -> (sharpened: Int, steps: Int)? {
    guard let log = stepLog, log.header.hasSuffix(",sharpened") else { return nil }
    let text: String
    do { text = try String(contentsOf: log.url, encoding: .utf8) } catch {
      throw WatermarkError("cannot read \(log.url.path): \(error.localizedDescription)")
    }
    let rows = text.split(separator: "\n").dropFirst()
    return (rows.filter { $0.hasSuffix(",1") }.count, rows.count)
  }

  /// No mark: plain training, counted the same way (the reference of a cost comparison).
  public init(unmarked training: some MarkableTraining) {
    description = "unmarked"
    stepLog = nil
    training.backward = meter.instrument(TrainingCostMeter.plainBackward)
  }

  /// The run's cost: this process's counts added to those its run folder kept when resumed.
  /// Written back to the run folder's cost.json; call once, after training.
  public func recordCost(runDirectory: URL, resumed: Bool) throws -> TrainingCost {
    let url = runDirectory.appendingPathComponent(TrainingCost.fileName)
    let earlier = resumed ? try TrainingCost.readIfPresent(from: url) : nil
    let total = earlier.map { $0.adding(meter.cost) } ?? meter.cost
    try total.write(to: url)
    return total
  }
}
