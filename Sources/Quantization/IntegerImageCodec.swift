import Compression
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
    let (padded, _) = try image.padded(toMultipleOf: 64, mode: .replicate)
    let pixels = try IntTensor(channels: 3, height: padded.height, width: padded.width,
                               values: padded.pixels.map { Int16(RGBImage.quantize8($0)) })
    let encoded = try file.model.compress(pixels: pixels, threads: threads)
    let latents = CompressedLatents(strings: [[encoded.yString], [encoded.zString]], latentHeight: encoded.zHeight,
                                    latentWidth: encoded.zWidth)
    let stream = Bitstream(model: file.configuration, weightsHash: file.weightsHash, width: image.width,
                           height: image.height, paddedWidth: padded.width, paddedHeight: padded.height, latents: latents)
    return try stream.encoded()
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
    let pixels: IntTensor
    do { pixels = try file.model.decompress(encoded, threads: threads) } catch {
      throw CodecError.invalidBitstream("\(error)")
    }
    let image = try RGBImage(width: pixels.width, height: pixels.height, pixels: pixels.values.map { Float($0) / 255 })
    return try image.cropped(width: stream.width, height: stream.height)
  }
}
