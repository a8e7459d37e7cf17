import Foundation
import Imaging
import Torch

/// Per-image results of coding real files: real bitstream bpp (file bytes * 8
/// / pixels) beside the likelihood estimate, RGB PSNR, MS-SSIM and times.
public struct ImageResult: Codable, Sendable {
  public var name: String
  public var width: Int
  public var height: Int
  public var bytes: Int
  public var bpp: Double
  /// The likelihood estimate (nil for codecs without one, e.g. the integer engine).
  public var estimatedBpp: Double?
  public var psnr: Double
  public var msSSIM: Double?
  public var encodeSeconds: Double
  public var decodeSeconds: Double

  enum CodingKeys: String, CodingKey {
    case name, width, height, bytes, bpp, psnr
    case estimatedBpp = "estimated_bpp"
    case msSSIM = "ms_ssim"
    case encodeSeconds = "encode_seconds"
    case decodeSeconds = "decode_seconds"
  }
}

/// Evaluation of one model on a folder: per-image rows and their means.
public struct EvaluationReport: Codable, Sendable {
  public var model: String
  public var dataset: String
  public var threads: Int
  /// How the encoder ran when it is not the plain one (e.g. latent refinement's settings).
  public var encoder: String?
  public var images: [ImageResult]
  public var mean: ImageResult

  public static func summarize(model: String, dataset: String, threads: Int, encoder: String? = nil,
                               images: [ImageResult]) -> EvaluationReport {
    func avg(_ f: (ImageResult) -> Double) -> Double { images.map(f).reduce(0, +) / Double(Swift.max(1, images.count)) }
    let ssims = images.compactMap(\.msSSIM)
    let mean = ImageResult(
      name: "mean", width: 0, height: 0, bytes: Int(avg { Double($0.bytes) }.rounded()), bpp: avg(\.bpp),
      estimatedBpp: images.allSatisfy({ $0.estimatedBpp != nil }) ? avg { $0.estimatedBpp ?? 0 } : nil, psnr: avg(\.psnr),
      msSSIM: ssims.isEmpty ? nil : ssims.reduce(0, +) / Double(ssims.count), encodeSeconds: avg(\.encodeSeconds),
      decodeSeconds: avg(\.decodeSeconds))
    return EvaluationReport(model: model, dataset: dataset, threads: threads, encoder: encoder, images: images, mean: mean)
  }
}

public enum Evaluator {
  /// Codes each image for real, decodes it, and measures.
  public static func evaluate(_ loaded: LoadedModel, image: RGBImage, name: String) throws -> ImageResult {
    try evaluate(ImageCodec(loaded), image: image, name: name)
  }

  /// Codes with the float codec; the likelihood estimate is that of the
  /// latents coded (the refined ones when the codec refines).
  public static func evaluate(_ codec: ImageCodec, image: RGBImage, name: String) throws -> ImageResult {
    guard codec.refinement != nil else {
      let (padded, _) = try image.padded(toMultipleOf: codec.loaded.model.downsamplingFactor, mode: .replicate)
      let estimated = try withNoGrad {
        try codec.loaded.model.forward(padded.tensor(), mode: .dequantize)
          .bitsPerPixel(pixels: image.width * image.height).item()
      }
      return try evaluate(codec, image: image, name: name, estimatedBpp: estimated)
    }
    var report: LatentRefinement.Report?
    var row = try measure(image: image, name: name, estimatedBpp: nil, encode: {
      let coded = try codec.compressReporting(image)
      report = coded.refinement
      return coded.bytes
    }, decode: codec.decompress)
    row.estimatedBpp = report?.refined.bpp
    return row
  }

  /// Codes with any compressor; `estimatedBpp` is reported as given (nil when the codec has no estimate).
  public static func evaluate(
    _ codec: some ImageCompressor, image: RGBImage, name: String, estimatedBpp: Double? = nil
  ) throws -> ImageResult {
    try measure(image: image, name: name, estimatedBpp: estimatedBpp, encode: { try codec.compress(image) },
                decode: codec.decompress)
  }

  static func measure(
    image: RGBImage, name: String, estimatedBpp: Double?, encode: () throws -> [UInt8],
    decode: ([UInt8]) throws -> RGBImage
  ) throws -> ImageResult {
    let t0 = Date()
    let bytes = try encode()
    let t1 = Date()
    let decoded = try decode(bytes)
    let t2 = Date()
    let pixels = Double(image.width * image.height)
    let side = Swift.min(image.width, image.height)
    return ImageResult(
      name: name, width: image.width, height: image.height, bytes: bytes.count, bpp: Double(bytes.count * 8) / pixels,
      estimatedBpp: estimatedBpp, psnr: try ImageMetrics.psnr(image, decoded),
      msSSIM: side > 160 ? try ImageMetrics.msSSIM(image, decoded) : nil,
      encodeSeconds: t1.timeIntervalSince(t0), decodeSeconds: t2.timeIntervalSince(t1))
  }
}
