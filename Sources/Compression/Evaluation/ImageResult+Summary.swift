import Foundation

extension ImageResult {
  /// "0.6512 bpp (est. 0.6498)  32.55 dB  MS-SSIM 0.9801  enc 0.41 s  dec 0.30 s": the estimate only for float models
  /// (integer models have none), MS-SSIM "-" for images too small for it.
  public var summary: String {
    let estimate = estimatedBpp.flatMap { $0.isFinite ? String(format: " (est. %.4f)", $0) : nil } ?? ""
    return String(format: "%.4f bpp%@  %.2f dB  MS-SSIM %@  enc %.2f s  dec %.2f s", bpp, estimate, psnr,
                  msSSIM.map { String(format: "%.4f", $0) } ?? "-", encodeSeconds, decodeSeconds)
  }
}
