import Foundation
import Imaging

extension Evaluator {
  /// "0.6512 bpp, PSNR 32.55 dB, MS-SSIM 0.9801 against REF": a decoded image measured against the original PNG at
  /// `referencePath` (MS-SSIM "-" for images of 160 pixels or less on a side).
  /// - Parameter codedBytes: the size of the bitstream the image was decoded from.
  /// - Throws: `CodecError.invalidInput` when the sizes differ; the PNG reader's errors.
  public static func comparison(decoded image: RGBImage, codedBytes: Int, referencePath: String) throws -> String {
    let original = try PNGDecoder.read(fromFile: referencePath).image
    guard original.width == image.width, original.height == image.height else {
      throw CodecError.invalidInput(
        "reference is \(original.width)x\(original.height), decoded image is \(image.width)x\(image.height)")
    }
    let bpp = Double(codedBytes * 8) / Double(image.width * image.height)
    let ssim = min(image.width, image.height) > 160 ? String(format: "%.4f", try ImageMetrics.msSSIM(original, image)) : "-"
    return String(format: "%.4f bpp, PSNR %.2f dB, MS-SSIM %@ against %@", bpp, try ImageMetrics.psnr(original, image),
                  ssim, referencePath)
  }
}
