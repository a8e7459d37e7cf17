import Compression
import Foundation
import Imaging

/// One image coded for real and timed, as `lichen compress` reports it.
public struct TimedCompression {
  /// The `.lic` bitstream.
  public var bytes: [UInt8]
  /// What latent refinement did; nil when the codec does not refine.
  public var refinement: LatentRefinement.Report?
  /// Encoding time in seconds.
  public var seconds: Double
  /// Bits of `bytes` per pixel of the image.
  public var bitsPerPixel: Double
}

extension CodecChoice {
  /// Codes `image` for real, refining its latents first when the float codec is set to, and times it.
  /// - Returns: the bitstream, the refinement's report, the encoding time and the rate.
  /// - Throws: the codec's errors.
  public func compressTimed(_ image: RGBImage) throws -> TimedCompression {
    let start = Date()
    let (bytes, refinement) = try float.map { try $0.compressReporting(image) } ?? (try compressor.compress(image), nil)
    return TimedCompression(bytes: bytes, refinement: refinement, seconds: Date().timeIntervalSince(start),
                            bitsPerPixel: Double(bytes.count * 8) / Double(image.width * image.height))
  }

  /// The codec that decodes the `.lic` file `bytes`: the model `nameOrPath` names (`named(_:forFileWithHash:...)`),
  /// or without one the bundled model whose weights wrote the file (`bundled(madeFileWithHash:...)`).
  /// - Parameters:
  ///   - engine: The arithmetic asked for.
  ///   - threads: Threads of the integer engine.
  /// - Throws: `CodecError` for a file that is not a `.lic` bitstream or that no bundled model made; the loaders'
  ///   errors.
  public static func decoding(_ bytes: [UInt8], nameOrPath: String?, engine: Engine, threads: Int) throws -> CodecChoice {
    let header = try ImageCodec.peek(bytes)
    return try nameOrPath.map { try named($0, forFileWithHash: header.weightsHash, engine: engine, threads: threads) }
      ?? bundled(madeFileWithHash: header.weightsHash, engine: engine, threads: threads)
  }

  /// Decodes the `.lic` file `bytes` and times it.
  /// - Returns: the image and the decoding time in seconds.
  /// - Throws: the codec's errors (`CodecError` for a bitstream this model did not write).
  public func decompressTimed(_ bytes: [UInt8]) throws -> (image: RGBImage, seconds: Double) {
    let start = Date()
    let image = try compressor.decompress(bytes)
    return (image, Date().timeIntervalSince(start))
  }
}
