import Foundation
import Imaging
import Torch

/// Anything that turns an image into `.lic` bytes and back (the float codec,
/// the integer engine's codec); evaluation and the CLI work through this.
public protocol ImageCompressor {
  func compress(_ image: RGBImage) throws -> [UInt8]
  func decompress(_ bytes: [UInt8]) throws -> RGBImage
}

/// Compresses RGB images to `.lic` bytes and back with one loaded model.
public struct ImageCodec: ImageCompressor {
  public let loaded: LoadedModel
  /// Encoder-side latent refinement (slower encoding, same decoder); nil: code the analysis transform's latents.
  public var refinement: LatentRefinement?
  /// Sees each refinement step (the CLI prints progress with it).
  public var refinementProgress: ((_ step: Int, _ point: LatentRefinement.Point) -> Void)?

  public init(_ loaded: LoadedModel, refinement: LatentRefinement? = nil) {
    self.loaded = loaded
    self.refinement = refinement
  }

  public struct Timing: Sendable {
    public var seconds: Double
  }

  /// Pads (replicating edges) to the model's multiple, codes, and wraps in the container.
  public func compress(_ image: RGBImage) throws -> [UInt8] { try compressReporting(image).bytes }

  /// `compress`, plus what refinement did (nil without refinement).
  public func compressReporting(_ image: RGBImage) throws -> (bytes: [UInt8], refinement: LatentRefinement.Report?) {
    let factor = loaded.model.downsamplingFactor
    let (padded, _) = try image.padded(toMultipleOf: factor, mode: .replicate)
    let latents: CompressedLatents
    var report: LatentRefinement.Report?
    if let refinement {
      let refined = try refinement.refine(loaded.model, image: padded.tensor(), height: image.height,
                                          width: image.width, progress: refinementProgress)
      latents = try loaded.model.compress(latents: refined.latents)
      report = refined.report
    } else {
      latents = try loaded.model.compress(padded.tensor())
    }
    let stream = Bitstream(model: loaded.configuration, weightsHash: loaded.weightsHash, width: image.width,
                           height: image.height, paddedWidth: padded.width, paddedHeight: padded.height,
                           latents: latents)
    return (try stream.encoded(), report)
  }

  /// Parses and decodes; the file must come from this exact model.
  public func decompress(_ bytes: [UInt8]) throws -> RGBImage {
    let stream = try Bitstream(decoding: bytes)
    guard stream.modelConfiguration == loaded.configuration else {
      throw CodecError.invalidBitstream(
        "file was made by \(stream.architecture.rawValue) N=\(stream.n) M=\(stream.m) \(stream.gdnVariant.rawValue) GDN, "
          + "not by the loaded model (\(loaded.configuration.architecture.rawValue) N=\(loaded.configuration.n) M=\(loaded.configuration.m))")
    }
    guard stream.weightsHash == loaded.weightsHash else {
      throw CodecError.invalidBitstream(String(
        format: "file was made by another model's weights (hash %016llx, loaded %@ has %016llx)",
        stream.weightsHash, loaded.source, loaded.weightsHash))
    }
    let x = try loaded.model.decompress(stream.latents)
    return try RGBImage(tensor: x).cropped(width: stream.width, height: stream.height)
  }

  /// Reads the model identity of a `.lic` file without decoding it.
  public static func peek(_ bytes: [UInt8]) throws -> Bitstream { try Bitstream(decoding: bytes) }
}
