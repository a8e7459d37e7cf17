import CodecFormat
import Imaging
import IntegerEngine

/// `.lic` coding with an integer model: the same container as the float
/// codec, with the integer model's hash, so a file decodes only with the
/// integer model that made it, on any machine and thread count.
public struct IntegerImageCodec: ImageCompressor {
  public let file: IntegerModelFile
  public var threads: Int

  public init(_ file: IntegerModelFile, threads: Int = 1) {
    self.file = file
    self.threads = threads
  }

  public func compress(_ image: RGBImage) throws -> [UInt8] {
    let paddedWidth = (image.width + 63) / 64 * 64, paddedHeight = (image.height + 63) / 64 * 64
    let encoded = try file.model.compress(height: paddedHeight, width: paddedWidth, threads: threads) { rows in
      try Self.pixelRows(rows, of: image, paddedWidth: paddedWidth)
    }
    let latents = CompressedLatents(strings: [[encoded.yString], [encoded.zString]], latentHeight: encoded.zHeight,
                                    latentWidth: encoded.zWidth)
    let stream = Bitstream(model: file.configuration, weightsHash: file.weightsHash, width: image.width,
                           height: image.height, paddedWidth: paddedWidth, paddedHeight: paddedHeight, latents: latents)
    return try stream.encoded()
  }

  /// Rows `rows` of the image padded on the right and at the bottom by repeating its last column and row
  /// (`RGBImage.padded(toMultipleOf:mode: .replicate)`), as 8-bit values; the padded image is never built.
  static func pixelRows(_ rows: Range<Int>, of image: RGBImage, paddedWidth: Int) throws -> IntTensor {
    var band = IntTensor(zerosChannels: 3, height: rows.count, width: paddedWidth)
    let plane = image.planeCount
    for c in 0..<3 {
      for (r, y) in rows.enumerated() {
        let source = c * plane + Swift.min(y, image.height - 1) * image.width
        let target = (c * rows.count + r) * paddedWidth
        for x in 0..<paddedWidth {
          band.values[target + x] = Int16(RGBImage.quantize8(image.pixels[source + Swift.min(x, image.width - 1)]))
        }
      }
    }
    return band
  }

  public func decompress(_ bytes: [UInt8]) throws -> RGBImage {
    let stream = try Bitstream(decoding: bytes)
    try stream.checkMadeBy(file.configuration, weightsHash: file.weightsHash, source: file.source)
    guard stream.latents.strings.count == 2, stream.latents.strings.allSatisfy({ $0.count == 1 }) else {
      throw CodecError.invalidBitstream("the hyperprior expects one y and one z string")
    }
    guard stream.paddedWidth == stream.latents.latentWidth * 64, stream.paddedHeight == stream.latents.latentHeight * 64
    else { throw CodecError.invalidBitstream("latent grid does not match the padded image size") }
    let encoded = IntegerHyperprior.Encoded(
      yString: stream.latents.strings[0][0], zString: stream.latents.strings[1][0],
      zHeight: stream.latents.latentHeight, zWidth: stream.latents.latentWidth)
    // Only the image's own rows and columns are kept; g_s streams into them band by band.
    var pixels = [Float](repeating: 0, count: 3 * stream.width * stream.height)
    let plane = stream.width * stream.height
    do {
      try file.model.decompress(encoded, threads: threads) { rows, band in
        for c in 0..<3 {
          for (r, y) in rows.enumerated() where y < stream.height {
            let source = (c * rows.count + r) * band.width, target = c * plane + y * stream.width
            for x in 0..<stream.width { pixels[target + x] = Float(band.values[source + x]) / 255 }
          }
        }
      }
    } catch {
      throw CodecError.invalidBitstream("\(error)")
    }
    return try RGBImage(width: stream.width, height: stream.height, pixels: pixels)
  }
}
