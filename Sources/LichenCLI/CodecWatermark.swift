import ArgumentParser
import Compression
import Foundation
import Torch
import Watermarking

/// `lichen train|distill --watermark-message TEXT`: a WaterMAS (or baseline)
/// mark written into the codec's convolution weights and kept fixed while it
/// trains, the sharpness term riding on the RD loss. The key goes to
/// OUT/key.json; the saved model records the method; `lichen watermark
/// verify` reads the mark back from the float model, a `lichen quantize`
/// integer model or an `lichen fpga export-hls` folder.
struct CodecWatermarkOptions: ParsableArguments {
  @Option(help: "Insert a watermark carrying this UTF-8 text while training (key written to OUT/key.json; keep it secret).")
  var watermarkMessage: String?
  @Option(help: "Insert a watermark carrying these 0/1 bits while training.") var watermarkBits: String?
  @Option(help: "Watermark method: watermas | substitution | replicas | laplacian.") var watermarkMethod: WatermarkMethod = .watermas
  @OptionGroup var insertion: WatermarkInsertionOptions

  func validate() throws {
    if watermarkMessage != nil, watermarkBits != nil {
      throw ValidationError("give the watermark with --watermark-message or --watermark-bits, not both")
    }
  }

  /// The mark of this run: nil without --watermark-*. Draws the key (or, when resuming, reads
  /// OUT/key.json), writes the payload into the model and installs the method on the trainer.
  func install(on trainer: RDTrainer, runURL: URL, resume: Bool) throws -> CodecMark? {
    guard watermarkMessage != nil || watermarkBits != nil else { return nil }
    let payload = try payloadBits(message: watermarkMessage, bits: watermarkBits)
    let run = CodecRun(trainer: trainer, runURL: runURL,
                       resumed: resume && FileManager.default.fileExists(atPath: trainer.checkpointURL.path))
    try FileManager.default.createDirectory(at: runURL, withIntermediateDirectories: true)
    let key = try insertion.key(for: payload, method: watermarkMethod, session: run)
    let step = try WatermarkInsertion(method: watermarkMethod, options: insertion, key: key, run: run)
    if trainer.isPrimary {
      say("watermark: \(step.description), \(key.positions.count) weights in \(Set(key.positions.map(\.layer)).count) "
        + "layers; key -> \(runURL.appendingPathComponent("key.json").path) (keep it secret)")
    }
    return CodecMark(key: key, payload: payload, insertion: step, method: watermarkMethod, alpha: insertion.alpha, run: run)
  }
}

/// A codec training run as a `MarkableRun` (the main optimizer carries the mark's masks).
struct CodecRun: MarkableRun {
  let trainer: RDTrainer
  let runURL: URL
  let resumed: Bool
  var markedModel: any Module { trainer.model }
  var parameterOptimizer: any Optimizer { trainer.mainOptimizer }
  var seed: UInt64 { trainer.config.seed }
  var currentStep: () -> Int { { [weak trainer] in trainer?.step ?? 0 } }
  var isPrimary: Bool { trainer.isPrimary }
  func setBackward(_ backward: @escaping (_ loss: () throws -> Tensor) throws -> Double) { trainer.backward = backward }
}

/// A mark being inserted into a codec run.
struct CodecMark {
  let key: WatermarkKey
  let payload: [Bool]
  let insertion: WatermarkInsertion
  let method: WatermarkMethod
  let alpha: Double
  let run: CodecRun

  /// What the saved model file records about the mark (not the key).
  var metadata: [String: String] {
    [MetadataKey.watermark: "\(insertion.description) alpha=\(alpha) code=\(key.code)", MetadataKey.watermarkMethod: method.rawValue]
  }

  /// After training: the cost record and a check that the model carries the payload.
  func report(trainer: RDTrainer, runURL: URL) throws {
    guard trainer.isPrimary else { return }
    let cost = try insertion.recordCost(in: run)
    say("cost: " + costSummary(cost) + " -> \(runURL.appendingPathComponent(TrainingCost.fileName).path)")
    let check = try Extractor.extract(from: trainer.model, key: key, expected: payload)
    say(String(format: "watermark: BER %.4f, false-positive probability %.3g%@", check.bitErrorRate ?? 1,
               check.falsePositiveProbability ?? 1,
               insertion.last.map { String(format: ", %@ %.4f", $0.name, $0.value) } ?? ""))
  }
}
