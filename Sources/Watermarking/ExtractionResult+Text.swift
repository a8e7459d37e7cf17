import Foundation

extension ExtractionResult {
  /// One line on what the error-correcting code did: "code bch:63:t5: 3 coded bits corrected, 0 blocks uncorrectable".
  public func codeSummary(_ code: PayloadCode) -> String {
    "code \(code): \(correctedBits ?? 0) coded bits corrected, \(failedBlocks ?? 0) blocks uncorrectable"
  }

  /// The detector's verdict against an expected payload: bit error rate, matching coded bits, false-positive
  /// probability and "WATERMARK DETECTED" or "not detected".
  public var verdict: String {
    String(format: "BER %.4f (%d/%d coded bits match), false-positive probability %.3g: %@", bitErrorRate ?? 1,
           matches ?? 0, total, falsePositiveProbability ?? 1, detected == true ? "WATERMARK DETECTED" : "not detected")
  }
}
