import Foundation

extension ExtractionResult {
  /// One line on what the error-correcting code did: "code bch:63:t5: 3 coded bits corrected, 0 blocks uncorrectable".
  public func codeSummary(_ code: PayloadCode) -> String {
    "code \(code): \(correctedBits ?? 0) coded bits corrected, \(failedBlocks ?? 0) blocks uncorrectable"
  }

  /// What `watermark extract` prints: the payload bits, the payload read as UTF-8 text and `codeSummary(_:)`,
  /// one per line.
  public func payloadReport(_ code: PayloadCode) -> String {
    "payload bits: \(payload.map { $0 ? "1" : "0" }.joined())\nas text: \(Payload.text(from: payload))\n"
      + codeSummary(code)
  }

  /// What `watermark verify` prints: `verdict`, then `codeSummary(_:)` with the payload's bit error rate after
  /// decoding (1 when unknown).
  public func verificationReport(_ code: PayloadCode) -> String {
    verdict + "\n" + codeSummary(code) + String(format: ", payload BER after decoding %.4f", payloadBitErrorRate ?? 1)
  }

  /// The detector's verdict against an expected payload: bit error rate, matching coded bits, false-positive
  /// probability and "WATERMARK DETECTED" or "not detected".
  public var verdict: String {
    String(format: "BER %.4f (%d/%d coded bits match), false-positive probability %.3g: %@", bitErrorRate ?? 1,
           matches ?? 0, total, falsePositiveProbability ?? 1, detected == true ? "WATERMARK DETECTED" : "not detected")
  }
}
