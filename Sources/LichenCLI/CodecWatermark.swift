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

  /// The mark --watermark-* asks for, or nil.
  func mark() throws -> CodecMark? {
    guard watermarkMessage != nil || watermarkBits != nil else { return nil }
    return CodecMark(payload: try payloadBits(message: watermarkMessage, bits: watermarkBits), method: watermarkMethod,
                     settings: try insertion.settings())
  }
}
