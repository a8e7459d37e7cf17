import ArgumentParser
import Foundation
import Torch
import Vision
import Watermarking

/// `lichen watermark extract|verify`: read a mark from any model file with its key.
struct Watermark: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Read and verify WaterMAS watermarks in model files.",
    subcommands: [Embed.self, Extract.self, Verify.self, WatermarkAttack.self])

  /// `lichen watermark embed`: train (or fine-tune) a classifier with a WaterMAS mark.
  struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Train a classifier from scratch (or fine-tune one) while inserting a WaterMAS watermark.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var training: ClassifierTrainingOptions
    @Option(help: "Payload as UTF-8 text.") var message: String?
    @Option(help: "Payload as a string of 0/1.") var bits: String?
    @Option(help: "Repetition code: copies of each bit (odd; 1 = none). Shorthand for --code rep:N.") var copies = 1
    @Option(help: "Error-correcting code of the payload: none | rep:N (N odd copies) | bch:N:tT (N = 2^m - 1 in 7...1023, T errors corrected per block, e.g. bch:63:t5).")
    var code: String?
    @Option(help: "Secret seed of the key positions.") var keySeed: UInt64 = 1
    @Option(help: "Marked weight magnitude in units of the layer's std.") var alpha = 1.0
    @Option(help: "WaterMAS perturbation radius along the marked weights.") var rho = 0.05
    @Option(help: "WaterMAS sharpness weight (0: plain substitution, no sharpening).") var sharpness = 1.0
    @Option(help: "Fine-tune this classifier file instead of training from scratch.") var initFrom: String?

    func run() throws {
      try global.apply()
      let payload = try payloadBits(message: message, bits: bits)
      guard copies >= 1, copies % 2 == 1 else { throw ValidationError("--copies must be odd") }
      if code != nil, copies != 1 { throw ValidationError("give either --code or --copies, not both") }
      let payloadCode = try code.map(PayloadCode.init(spec:)) ?? (copies > 1 ? .repetition(copies: copies) : .none)
      let session = try training.makeSession()
      let model = session.trainer.model
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
        try Embedder.substitute(payload, into: model, key: key)
        try key.write(to: keyURL)
      }
      try Embedder.freeze(model, key: key, in: session.trainer.parameterOptimizer)
      var lastSharpness = 0.0
      if sharpness != 0 {  // with lambda = 0 the second pass would not change the gradient: skip it
        let mas = try WaterMAS(model: model, key: key, rho: rho, lambda: sharpness)
        session.trainer.backward = { loss in
          let (value, s) = try mas.backward(loss)
          lastSharpness = s
          return value
        }
      }
      say("key: \(key.positions.count) weights in \(Set(key.positions.map(\.layer)).count) layers -> \(keyURL.path) (keep it secret)")
      let evaluation = try session.train(
        options: training,
        extraMetadata: ["watermark": "WaterMAS rho=\(rho) lambda=\(sharpness) alpha=\(alpha) code=\(key.code)"])
      let check = try Extractor.extract(from: model, key: key, expected: payload)
      say(String(format: "watermark: BER %.4f, false-positive probability %.3g, last sharpness %.4f%@",
                 check.bitErrorRate ?? 1, check.falsePositiveProbability ?? 1, lastSharpness,
                 evaluation.map { String(format: ", test accuracy %.2f%%", 100 * $0.accuracy) } ?? ""))
    }
  }

  struct FileOptions: ParsableArguments {
    @Option(help: "Model file (.safetensors, .pth, .pth.tar): float, quantized or exported.") var model: String
    @Option(help: "Watermark key (JSON).") var key: String
    @Option(help: "Decision threshold on the false-positive probability.") var threshold = 1e-6

    func load() throws -> ([String: TensorRecord], WatermarkKey) {
      let url = URL(fileURLWithPath: model)
      let entries: [String: TensorRecord]
      if model.hasSuffix(".safetensors") {
        entries = try SafeTensors.read(from: url).tensors
      } else {
        entries = Dictionary(try PyTorchCheckpoint.stateDict(from: url).map { ($0.name, $0.tensor) },
                             uniquingKeysWith: { a, _ in a })
      }
      return (entries, try WatermarkKey.read(from: URL(fileURLWithPath: key)))
    }
  }

  struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the payload a model carries under a key.")
    @OptionGroup var options: FileOptions

    func run() throws {
      let (entries, key) = try options.load()
      let result = try Extractor.extract(fromStateDict: entries, key: key)
      print("payload bits: \(result.payload.map { $0 ? "1" : "0" }.joined())")
      print("as text: \(Payload.text(from: result.payload))")
      print(codeSummary(key.code, result))
    }
  }

  struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a model against a key and an expected payload; exit 1 when the mark is not detected.")
    @OptionGroup var options: FileOptions
    @Option(help: "Expected payload as UTF-8 text.") var message: String?
    @Option(help: "Expected payload as a string of 0/1.") var bits: String?

    func run() throws {
      let (entries, key) = try options.load()
      let expected = try payloadBits(message: message, bits: bits)
      let result = try Extractor.extract(fromStateDict: entries, key: key, expected: expected, threshold: options.threshold)
      print(String(format: "BER %.4f (%d/%d coded bits match), false-positive probability %.3g: %@",
                   result.bitErrorRate ?? 1, result.matches ?? 0, result.total, result.falsePositiveProbability ?? 1,
                   result.detected == true ? "WATERMARK DETECTED" : "not detected"))
      print(codeSummary(key.code, result) + String(format: ", payload BER after decoding %.4f", result.payloadBitErrorRate ?? 1))
      if result.detected != true { throw ExitCode(1) }
    }
  }
}

/// The payload given as --message TEXT or --bits 0101...
func payloadBits(message: String?, bits: String?) throws -> [Bool] {
  switch (message, bits) {
  case let (message?, nil): return Payload.bits(of: message)
  case let (nil, bits?): return try Payload.bits(parsing: bits)
  case (.some, .some): throw ValidationError("give the payload with --message or --bits, not both")
  case (nil, nil): throw ValidationError("give the payload with --message TEXT or --bits 0101...")
  }
}

/// One line on what the error-correcting code did.
func codeSummary(_ code: PayloadCode, _ result: ExtractionResult) -> String {
  "code \(code): \(result.correctedBits ?? 0) coded bits corrected, \(result.failedBlocks ?? 0) blocks uncorrectable"
}
