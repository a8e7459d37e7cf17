import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// The insertion methods `lichen watermark embed` offers. All of them write
/// the payload into key positions by sign and freeze those weights, so the
/// same key file verifies, attacks and evaluates every one of them.
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

extension Watermark {
  /// `lichen watermark embed`: train (or fine-tune) a classifier while inserting a mark.
  struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a classifier from scratch (or fine-tune one) while inserting a watermark (WaterMAS or a baseline).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var training: ClassifierTrainingOptions
    @Option(help: "Payload as UTF-8 text.") var message: String?
    @Option(help: "Payload as a string of 0/1.") var bits: String?
    @Option(help: "watermas | substitution (no sharpening) | replicas (Tartaglione et al. 2020) | laplacian (Tondi et al. 2024).")
    var method: WatermarkMethod = .watermas
    @Option(help: "Repetition code: copies of each bit (odd; 1 = none). Shorthand for --code rep:N.") var copies = 1
    @Option(help: "Error-correcting code of the payload: none | rep:N (N odd copies) | bch:N:tT (N = 2^m - 1 in 7...1023, T errors corrected per block, e.g. bch:63:t5).")
    var code: String?
    @Option(help: "Secret seed of the key positions.") var keySeed: UInt64 = 1
    @Option(help: "Marked weight magnitude in units of the layer's std (laplacian: Laplace scale = 1 std).") var alpha = 1.0
    @Option(help: "WaterMAS perturbation radius along the marked weights.") var rho = 0.05
    @Option(help: "WaterMAS sharpness weight (0: plain substitution, no sharpening).") var sharpness = 1.0
    @Option(help: "replicas: number of replicas R.") var replicas = 4
    @Option(help: "replicas: std of the Gaussian noise on the replicas' marked weights (absolute).") var replicaNoise = 0.01
    @Option(help: "replicas: size of each replica's ascent step along its gradient.") var replicaStep = 0.1
    @Option(help: "replicas: coupling lambda pushing the model away from the replicas' mean.") var coupling = 1e-6
    @Option(help: "Fine-tune this classifier file instead of training from scratch.") var initFrom: String?

    func run() throws {
      try global.apply()
      let payload = try payloadBits(message: message, bits: bits)
      guard copies >= 1, copies % 2 == 1 else { throw ValidationError("--copies must be odd") }
      if code != nil, copies != 1 { throw ValidationError("give either --code or --copies, not both") }
      let payloadCode = try code.map(PayloadCode.init(spec:)) ?? (copies > 1 ? .repetition(copies: copies) : .none)
      let session = try training.makeSession()
      let trainer = session.trainer
      let model = trainer.model
      let keyURL = session.runURL.appendingPathComponent("key.json")
      let key: WatermarkKey
      if session.resumed, FileManager.default.fileExists(atPath: keyURL.path) {
        key = try WatermarkKey.read(from: keyURL)  // the checkpoint already carries the mark
      } else {
        if let initFrom {
          let file = try SafeTensors.read(from: URL(fileURLWithPath: initFrom))
          try model.load(stateDict: file.tensors)
          say("fine-tuning from \(initFrom)")
        }
        key = try KeyGenerator.generate(
          for: model, payloadBits: payload.count, code: payloadCode, seed: keySeed, alpha: alpha)
        if method == .laplacian {
          try LaplacianSubstitution.substitute(payload, into: model, key: key, scale: 1, seed: keySeed)
        } else {
          try Embedder.substitute(payload, into: model, key: key)
        }
        try key.write(to: keyURL)
      }
      try Embedder.freeze(model, key: key, in: trainer.parameterOptimizer)
      var last: (name: String, value: Double)?
      let description: String
      switch method {
      case .watermas where sharpness != 0:
        let mas = try WaterMAS(model: model, key: key, rho: rho, lambda: sharpness)
        trainer.backward = { loss in
          let (value, s) = try mas.backward(loss)
          last = ("last sharpness", s)
          return value
        }
        description = "WaterMAS rho=\(rho) lambda=\(sharpness)"
      case .watermas, .substitution:  // with lambda = 0 WaterMAS's second pass would not change the gradient
        description = "substitution"
      case .replicas:
        let replica = try LossLandscapeReplicas(
          model: model, key: key, replicas: replicas, noiseStd: replicaNoise, ascentStep: replicaStep,
          coupling: coupling, seed: training.seed)
        trainer.backward = { [unowned trainer] loss in
          let (value, r) = try replica.backward(loss, step: trainer.step)
          last = ("last replica-centre loss gap", r - value)
          return value
        }
        description = "replicas R=\(replicas) noise=\(replicaNoise) step=\(replicaStep) coupling=\(coupling)"
      case .laplacian:
        description = "laplacian"
      }
      say("method \(description); key: \(key.positions.count) weights in \(Set(key.positions.map(\.layer)).count) layers -> \(keyURL.path) (keep it secret)")
      let evaluation = try session.train(
        options: training,
        extraMetadata: ["watermark": "\(description) alpha=\(alpha) code=\(key.code)",
                        "watermark-method": method.rawValue])
      let check = try Extractor.extract(from: model, key: key, expected: payload)
      say(String(format: "watermark: BER %.4f, false-positive probability %.3g%@%@",
                 check.bitErrorRate ?? 1, check.falsePositiveProbability ?? 1,
                 last.map { String(format: ", %@ %.4f", $0.name, $0.value) } ?? "",
                 evaluation.map { String(format: ", test accuracy %.2f%%", 100 * $0.accuracy) } ?? ""))
    }
  }
}
