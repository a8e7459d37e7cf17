import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

extension WatermarkMethod: ExpressibleByArgument {}

extension KeyGenerator.MagnitudeSpread: ExpressibleByArgument {}

/// How a mark is made and inserted while a model trains: the options of `embed`, `segment embed`,
/// `tradeoff` and the codec commands (`InsertionSettings` in the library).
struct WatermarkInsertionOptions: ParsableArguments {
  @Option(help: "Repetition code: copies of each bit (odd; 1 = none). Shorthand for --code rep:N.") var copies = 1
  @Option(help: "Error-correcting code of the payload: none | rep:N (N odd copies) | bch:N:tT (N = 2^m - 1 in 7...1023, T errors corrected per block, e.g. bch:63:t5).")
  var code: String?
  @Option(help: "Secret seed of the key positions.") var keySeed: UInt64 = 1
  @Option(help: "Marked weight magnitude in units of the layer's std (laplacian: Laplace scale = 1 std).") var alpha = 1.0
  @Option(help: "Marked weight magnitude as one absolute value in every layer (as the WaterMAS authors' testbed writes marks; overrides --alpha's std units).")
  var absoluteMagnitude: Double?
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

  /// The library's settings for these options.
  func settings() throws -> InsertionSettings {
    InsertionSettings(code: try payloadCode(), keySeed: keySeed, alpha: alpha, absoluteMagnitude: absoluteMagnitude,
                      magnitudes: magnitudes, rho: rho, sharpness: sharpness, sharpnessTarget: sharpnessTarget,
                      replicas: replicas, replicaNoise: replicaNoise, replicaStep: replicaStep, coupling: coupling)
  }
}

/// The payload, method and insertion of a mark a training command inserts (`watermark embed`, `segment embed`).
struct EmbeddingOptions: ParsableArguments {
  @Option(help: "Payload as UTF-8 text.") var message: String?
  @Option(help: "Payload as a string of 0/1.") var bits: String?
  @Option(help: "watermas | substitution (no sharpening) | replicas (Tartaglione et al. 2020) | laplacian (Tondi et al. 2024).")
  var method: WatermarkMethod = .watermas
  @OptionGroup var insertion: WatermarkInsertionOptions

  func payload() throws -> [Bool] { try payloadBits(message: message, bits: bits) }

  /// Inserts `payload` while `train` trains (`WatermarkInsertion.embedWhileTraining`), fine-tuning from `initFrom`.
  func embed(_ payload: [Bool], into trainer: some MarkableTraining, seed: UInt64, resumed: Bool, initFrom: String?,
             train: (_ metadata: [String: String]) throws -> (finished: Bool, summary: String?)) throws {
    try WatermarkInsertion.embedWhileTraining(
      trainer, payload: payload, method: method, settings: try insertion.settings(), seed: seed, resumed: resumed,
      beforeMarking: { if let initFrom { try InitialWeights.load(initFrom, into: trainer.markedModel, log: say) } },
      log: primarySay(trainer.isPrimary), train: train)
  }
}
