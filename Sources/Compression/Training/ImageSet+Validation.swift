import Foundation
import Torch

extension ImageSet {
  /// Sums of estimated bits per pixel and of MSE over the images (eval-mode rounding, each image
  /// cropped to a multiple of the codec's downsampling factor): what codec training validates.
  /// The caller puts the codec in evaluation mode.
  /// - Parameters:
  ///   - codec: the codec measured.
  ///   - shard: with data parallelism, this rank's images (r, r + W, ...).
  /// - Returns: the two sums over the shard's images (divide by `images.count` for means).
  public func validationTotals(of codec: any CompressionModel, shard: DataShard = .whole) throws
    -> (bpp: Double, mse: Double) {
    var bpp = 0.0, mse = 0.0
    let factor = codec.downsamplingFactor
    try withNoGrad {
      for (index, image) in images.enumerated() where index % shard.count == shard.index {
        let w = image.width / factor * factor, h = image.height / factor * factor
        guard w > 0, h > 0 else { continue }
        let x = try image.tensor().narrow(2, start: 0, length: h).narrow(3, start: 0, length: w)
        let result = try codec.forward(x, mode: .dequantize)
        bpp += try result.bitsPerPixel(pixels: w * h).item()
        mse += try Loss.mse(result.reconstruction.clamp(min: 0, max: 1), x).item()
      }
    }
    return (bpp, mse)
  }

  /// Mean estimated rate and PSNR of the codec on these images, measured as training validates
  /// (`validationTotals`); the codec is left in evaluation mode.
  public func validationPoint(of codec: any CompressionModel) throws -> RDPoint {
    guard !images.isEmpty else { throw CodecError.invalidInput("no validation images") }
    codec.setTraining(false)
    let totals = try validationTotals(of: codec)
    let count = Double(images.count)
    return RDPoint(rate: totals.bpp / count, quality: psnr(mse: totals.mse / count))
  }
}
