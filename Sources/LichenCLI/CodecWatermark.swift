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
    let resumed = resume && FileManager.default.fileExists(atPath: trainer.checkpointURL.path)
    let settings = try insertion.settings()
    let key = try WatermarkInsertion.key(for: payload, method: watermarkMethod, settings: settings, training: trainer,
                                         resumed: resumed)
    let step = try WatermarkInsertion(method: watermarkMethod, settings: settings, key: key, training: trainer,
                                      seed: trainer.config.seed)
    if trainer.isPrimary {
      say("watermark: \(step.description), \(key.positions.count) weights in \(Set(key.positions.map(\.layer)).count) "
        + "layers; key -> \(runURL.appendingPathComponent("key.json").path) (keep it secret)")
    }
    return CodecMark(key: key, payload: payload, insertion: step, method: watermarkMethod, strength: settings.strength,
                     resumed: resumed)
  }
}

/// A mark being inserted into a codec run.
struct CodecMark {
  let key: WatermarkKey
  let payload: [Bool]
  let insertion: WatermarkInsertion
  let method: WatermarkMethod
  /// "alpha=A" or "absolute=V" (`InsertionSettings.strength`).
  let strength: String
  /// Whether the run continued from a checkpoint (its cost adds to the one recorded).
  let resumed: Bool

  /// What the saved model file records about the mark (not the key).
  var metadata: [String: String] {
    [MetadataKey.watermark: "\(insertion.description) \(strength) code=\(key.code)", MetadataKey.watermarkMethod: method.rawValue]
  }

  /// After training: the cost record and a check that the model carries the payload.
  func report(trainer: RDTrainer, runURL: URL) throws {
    guard trainer.isPrimary else { return }
    let cost = try insertion.recordCost(runDirectory: trainer.runDirectory, resumed: resumed)
    say("cost: " + cost.summary + " -> \(runURL.appendingPathComponent(TrainingCost.fileName).path)")
    let check = try Extractor.extract(from: trainer.model, key: key, expected: payload)
    say(String(format: "watermark: BER %.4f, false-positive probability %.3g%@", check.bitErrorRate ?? 1,
               check.falsePositiveProbability ?? 1,
               insertion.last.map { String(format: ", %@ %.4f", $0.name, $0.value) } ?? ""))
  }
}
