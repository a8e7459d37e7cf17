import Foundation
import Imaging
import Torch

/// Compresses RGB images to `.lic` bytes and back with one loaded model.
public struct ImageCodec: ImageCompressor {
  public let loaded: LoadedModel
  /// Encoder-side latent refinement (slower encoding, same decoder); nil: code the analysis transform's latents.
  public var refinement: LatentRefinement?
  /// Sees each refinement step (the CLI prints progress with it).
  public var refinementProgress: ((_ step: Int, _ point: LatentRefinement.Point) -> Void)?
  /// Tiles for g_a and g_s; nil: whole images up to `TiledTransforms.wholeImageLimit`
  /// padded pixels, tiles of `TiledTransforms.defaultPixelBudget` beyond.
  public var tiles: TiledTransforms?

  public init(_ loaded: LoadedModel, refinement: LatentRefinement? = nil) {
    self.loaded = loaded
    self.refinement = refinement
  }

  /// This codec refining the latents of every image it codes (`LatentRefinement`) before coding them.
  /// - Parameters:
  ///   - steps: Adam steps on each image's own RD loss.
  ///   - learningRate: In latent units, annealed by a cosine.
  ///   - lambda: The RD trade-off (the model's training lambda keeps the point on its curve).
  ///   - progress: Each step as one line ("  refine step 3: loss 0.51234  0.4321 bpp  30.12 dB"); nil: silent.
  /// - Throws: `LatentRefinement.init`'s error for settings out of range.
  public func refining(steps: Int, learningRate: Double, lambda: Double, progress: ((String) -> Void)?) throws -> ImageCodec {
    var codec = self
    codec.refinement = try LatentRefinement(steps: steps, learningRate: learningRate, lambda: lambda)
    if let progress {
      codec.refinementProgress = { step, point in
        progress(String(format: "  refine step %d: loss %.5f  %.4f bpp  %.2f dB", step, point.loss, point.bpp, point.psnr))
      }
    }
    return codec
  }

  public struct Timing: Sendable {
    public var seconds: Double
  }

  /// Pads (replicating edges) to the model's multiple, codes, and wraps in the container.
  public func compress(_ image: RGBImage) throws -> [UInt8] { try compressReporting(image).bytes }

  /// `compress`, plus what refinement did (nil without refinement).
  public func compressReporting(_ image: RGBImage) throws -> (bytes: [UInt8], refinement: LatentRefinement.Report?) {
    let factor = loaded.model.downsamplingFactor
    let paddedWidth = (image.width + factor - 1) / factor * factor
    let paddedHeight = (image.height + factor - 1) / factor * factor
    if refinement == nil, let tiles = tiles(paddedWidth: paddedWidth, paddedHeight: paddedHeight) {
      // Large images: the padded image is never materialised, only its tiles.
      let model = loaded.model
      let y = try tiles.analyze(model.analysisTransform, paddedWidth: paddedWidth, paddedHeight: paddedHeight) {
        try image.paddedRegionTensor(x: $0, y: $1, width: $2, height: $3)
      }
      let latents = try withNoGrad { try model.compress(latents: model.latents(analyzed: y)) }
      let stream = Bitstream(model: loaded.configuration, weightsHash: loaded.weightsHash, width: image.width,
                             height: image.height, paddedWidth: paddedWidth, paddedHeight: paddedHeight, latents: latents)
      return (try stream.encoded(), nil)
    }
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
    try stream.checkMadeBy(loaded.configuration, weightsHash: loaded.weightsHash, source: loaded.source)
    guard let tiles = tiles(paddedWidth: stream.paddedWidth, paddedHeight: stream.paddedHeight) else {
      let x = try loaded.model.decompress(stream.latents)
      return try RGBImage(tensor: x).cropped(width: stream.width, height: stream.height)
    }
    // Large images: each tile of g_s's output goes straight into the cropped picture.
    let yHat = try loaded.model.decodedLatent(stream.latents)
    let (width, height) = (stream.width, stream.height)
    let (_, _, latentHeight, latentWidth) = try yHat.size4("y_hat")
    guard latentWidth * TiledTransforms.stride >= width, latentHeight * TiledTransforms.stride >= height else {
      throw CodecError.invalidBitstream("latent size \(latentWidth)x\(latentHeight) is too small for \(width)x\(height)")
    }
    var pixels = [Float](repeating: 0, count: 3 * width * height)
    try tiles.synthesize(loaded.model.synthesisTransform, yHat: yHat) { tile, left, top in
      let (_, _, rows, columns) = try tile.size4("g_s tile")
      guard left < width, top < height else { return }
      let values = try tile.floats()
      let keptRows = Swift.min(rows, height - top), keptColumns = Swift.min(columns, width - left)
      pixels.withUnsafeMutableBufferPointer { target in
        for c in 0..<3 { for r in 0..<keptRows {
          let from = (c * rows + r) * columns, to = (c * height + top + r) * width + left
          for x in 0..<keptColumns { target[to + x] = values[from + x] }
        } }
      }
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  /// The tiles to use for a padded size, or nil to code the image whole.
  func tiles(paddedWidth: Int, paddedHeight: Int) -> TiledTransforms? {
    if let tiles { return tiles }
    guard paddedWidth * paddedHeight > TiledTransforms.wholeImageLimit else { return nil }
    return TiledTransforms()
  }

  /// Reads the model identity of a `.lic` file without decoding it.
  public static func peek(_ bytes: [UInt8]) throws -> Bitstream { try Bitstream(decoding: bytes) }
}
