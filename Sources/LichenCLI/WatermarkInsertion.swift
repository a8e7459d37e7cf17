import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// The insertion methods `lichen watermark embed` and `tradeoff` offer. All
/// of them write the payload into key positions by sign and freeze those
/// weights, so the same key file verifies, attacks and evaluates every one.
enum WatermarkMethod: String, ExpressibleByArgument, CaseIterable {
  /// Substitution + sharpness-aware maximization along the mark (De Sousa Trias et al. 2024).
  case watermas
  /// Substitution alone (the ablation: WaterMAS without the sharpness term).
  case substitution
  /// Substitution + the replica loss-landscape term (Tartaglione et al. 2020).
  case replicas
  /// Fixed weights drawn from a Laplacian whose sign is the bit (Tondi, Costanzo, Barni 2024).
  case laplacian
}

/// How a mark is made and inserted while a model trains: key, code and
/// each method's parameters (shared by `embed` and `tradeoff`).
extension KeyGenerator.MagnitudeSpread: ExpressibleByArgument {}

struct WatermarkInsertionOptions: ParsableArguments {
  @Option(help: "Repetition code: copies of each bit (odd; 1 = none). Shorthand for --code rep:N.") var copies = 1
  @Option(help: "Error-correcting code of the payload: none | rep:N (N odd copies) | bch:N:tT (N = 2^m - 1 in 7...1023, T errors corrected per block, e.g. bch:63:t5).")
  var code: String?
  @Option(help: "Secret seed of the key positions.") var keySeed: UInt64 = 1
  @Option(help: "Marked weight magnitude in units of the layer's std (laplacian: Laplace scale = 1 std).") var alpha = 1.0
  @Option(help: "layer: one magnitude per layer (alpha x std); half-normal: alpha x std x |z| per position (|z| >= 0.5), which keeps the key from showing as repeated values (lichen watermark secrecy).")
  var magnitudes: KeyGenerator.MagnitudeSpread = .layer
  @Option(help: "WaterMAS perturbation radius along the marked weights.") var rho = 0.05
  @Option(help: "WaterMAS sharpness weight (0: plain substitution, no sharpening).") var sharpness = 1.0
  @Option(help: "WaterMAS: stop sharpening while [L(w+eps) - L(w)] / L(w) is at least this (a hinge; default: never stop). Needed on losses that can grow without bound, such as a codec's RD loss.")
  var sharpnessTarget: Double?
  @Option(help: "replicas: number of replicas R.") var replicas = 4
  @Option(help: "replicas: std of the Gaussian noise on the replicas' marked weights (absolute).") var replicaNoise = 0.01
  @Option(help: "replicas: size of each replica's ascent step along its gradient.") var replicaStep = 0.1
  @Option(help: "replicas: coupling lambda pushing the model away from the replicas' mean.") var coupling = 1e-6

  func validate() throws {
    guard copies >= 1, copies % 2 == 1 else { throw ValidationError("--copies must be odd") }
    if code != nil, copies != 1 { throw ValidationError("give either --code or --copies, not both") }
    _ = try payloadCode()
  }

  func payloadCode() throws -> PayloadCode {
    try code.map(PayloadCode.init(spec:)) ?? (copies > 1 ? .repetition(copies: copies) : .none)
  }

  /// The values that define a mark, for a sweep's settings record.
  var settings: [String: String] {
    ["code": (try? payloadCode().description) ?? code ?? "", "key-seed": "\(keySeed)", "alpha": "\(alpha)",
     "magnitudes": magnitudes.rawValue, "rho": "\(rho)", "sharpness": "\(sharpness)", "sharpness-target": sharpnessTarget.map { "\($0)" } ?? "none", "replicas": "\(replicas)", "replica-noise": "\(replicaNoise)",
     "replica-step": "\(replicaStep)", "coupling": "\(coupling)"]
  }

  /// The run's key. A resumed run reads back its key.json (its checkpoint already carries the mark);
  /// otherwise `beforeMarking` runs (e.g. loading the weights to fine-tune), a key is drawn for the
  /// model, the payload written into it and the key saved in the run folder.
  func key(for payload: [Bool], method: WatermarkMethod, session: some MarkableRun,
           beforeMarking: () throws -> Void = {}) throws -> WatermarkKey {
    let model = session.markedModel
    let keyURL = session.runURL.appendingPathComponent("key.json")
    if session.resumed, FileManager.default.fileExists(atPath: keyURL.path) {
      let key = try WatermarkKey.read(from: keyURL)
      guard key.payloadBits == payload.count else {
        throw ValidationError("\(keyURL.path) carries \(key.payloadBits) payload bits, the payload has \(payload.count)")
      }
      return key
    }
    guard method != .laplacian || magnitudes == .layer else {
      throw ValidationError("--magnitudes \(magnitudes.rawValue) does not apply to --method laplacian, which draws its own value per position")
    }
    try beforeMarking()
    let key = try KeyGenerator.generate(for: model, payloadBits: payload.count, code: payloadCode(), seed: keySeed,
                                        alpha: alpha, spread: magnitudes)
    if method == .laplacian {
      try LaplacianSubstitution.substitute(payload, into: model, key: key, scale: 1, seed: keySeed)
    } else {
      try Embedder.substitute(payload, into: model, key: key)
    }
    if session.isPrimary { try key.write(to: keyURL) }
    return key
  }
}

/// One training run's step: the method's backward pass (or the plain one
/// for an unmarked reference) on the trainer, counted by a `TrainingCostMeter`.
final class WatermarkInsertion {
  /// The method and its parameters, as the model file records them.
  let description: String
  let meter = TrainingCostMeter()
  /// The method's last logged quantity (WaterMAS: the sharpness along the mark).
  private(set) var last: (name: String, value: Double)?

  /// Freezes the key's weights in the run's optimizer and installs the method's step.
  init(method: WatermarkMethod, options: WatermarkInsertionOptions, key: WatermarkKey, run: some MarkableRun)
    throws
  {
    try Embedder.freeze(run.markedModel, key: key, in: run.parameterOptimizer)
    description = Self.describe(method, options)
    var backward: (_ loss: () throws -> Tensor) throws -> Double = TrainingCostMeter.plainBackward
    switch method {
    case .watermas where options.sharpness != 0:
      let mas = try WaterMAS(
        model: run.markedModel, key: key, rho: options.rho, lambda: options.sharpness,
        sharpnessTarget: options.sharpnessTarget)
      backward = { [weak self] loss in
        let (value, s) = try mas.backward(loss)
        self?.last = ("last sharpness", s)
        return value
      }
    case .replicas:
      let replica = try LossLandscapeReplicas(
        model: run.markedModel, key: key, replicas: options.replicas, noiseStd: options.replicaNoise,
        ascentStep: options.replicaStep, coupling: options.coupling, seed: run.seed)
      let currentStep = run.currentStep
      backward = { [weak self] loss in
        let (value, r) = try replica.backward(loss, step: currentStep())
        self?.last = ("last replica-centre loss gap", r - value)
        return value
      }
    case .watermas, .substitution, .laplacian:  // frozen marks, plain step (WaterMAS with lambda = 0 is substitution)
      break
    }
    run.setBackward(meter.instrument(backward))
  }

  static func describe(_ method: WatermarkMethod, _ o: WatermarkInsertionOptions) -> String {
    switch method {
    case .watermas where o.sharpness != 0:
      return "WaterMAS rho=\(o.rho) lambda=\(o.sharpness)" + (o.sharpnessTarget.map { " target=\($0)" } ?? "")
    case .watermas, .substitution: return "substitution"
    case .replicas: return "replicas R=\(o.replicas) noise=\(o.replicaNoise) step=\(o.replicaStep) coupling=\(o.coupling)"
    case .laplacian: return "laplacian"
    }
  }

  /// No mark: plain training, counted the same way (the reference of a cost comparison).
  init(unmarked run: some MarkableRun) {
    description = "unmarked"
    run.setBackward(meter.instrument(TrainingCostMeter.plainBackward))
  }

  /// The run's cost: this process's counts added to those its run folder kept when resumed.
  /// Written back to the run folder's cost.json; call once, after training.
  func recordCost(in session: some MarkableRun) throws -> TrainingCost {
    let url = session.runURL.appendingPathComponent(TrainingCost.fileName)
    let earlier = session.resumed ? try TrainingCost.readIfPresent(from: url) : nil
    let total = earlier.map { $0.adding(meter.cost) } ?? meter.cost
    try total.write(to: url)
    return total
  }
}

/// One line on a run's measured cost.
func costSummary(_ cost: TrainingCost) -> String {
  String(format: "%.2f forward / %.2f backward passes per step, %.1f ms per step (%.1f ms in the passes), %d steps counted",
         cost.forwardPassesPerStep ?? .nan, cost.backwardPassesPerStep ?? .nan, 1000 * (cost.secondsPerStep ?? .nan),
         1000 * (cost.passSecondsPerStep ?? .nan), cost.steps)
}
