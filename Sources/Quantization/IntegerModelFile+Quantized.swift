import Compression
import Foundation
import Torch

extension IntegerModelFile {
  /// The integer model of a calibrated float hyperprior, with its provenance in the metadata: the float
  /// model's name, weights hash, lambda, quality and steps, the scheme, the calibration and the QAT steps
  /// (what `lichen quantize` writes and `lichen models` shows).
  /// - Parameters:
  ///   - loaded: The float model as loaded (its source, hash and metadata).
  ///   - hyperprior: Its network, in evaluation mode (after any quantization-aware fine-tuning).
  ///   - scheme: The bits of every layer.
  ///   - statistics: Activation statistics from the calibration images.
  ///   - calibrationImages: How many images `statistics` came from.
  ///   - options: Range method and GDN table size.
  ///   - qatSteps: Quantization-aware fine-tuning steps run before (0: none).
  ///   - source: What to call the file (its path).
  /// - Returns: The file, and the per-layer table (bits, clips, accumulators).
  public static func quantized(
    _ loaded: LoadedModel, hyperprior: any HyperpriorModel, scheme: QuantizationScheme, statistics: CalibrationStatistics,
    calibrationImages: Int, options: IntegerConverter.Options, qatSteps: Int, source: String
  ) throws -> (file: IntegerModelFile, layers: [QuantizedLayerReport]) {
    let (integer, layers) = try IntegerConverter.convert(hyperprior, scheme: scheme, statistics: statistics, options: options)
    var meta: [String: String] = [:]
    for key in [MetadataKey.lambda, MetadataKey.quality, MetadataKey.steps] { if let v = loaded.metadata[key] { meta[key] = v } }
    meta[MetadataKey.scheme] = scheme.specification
    meta[MetadataKey.calibration] = "\(options.method) on \(calibrationImages) images"
    if qatSteps > 0 { meta[MetadataKey.qatSteps] = String(qatSteps) }
    meta[MetadataKey.floatModel] = loaded.source
    meta[MetadataKey.floatHash] = String(format: "%016llx", loaded.weightsHash)
    let file = try IntegerModelFile(model: integer, configuration: loaded.configuration, metadata: meta, source: source)
    return (file, layers)
  }
}
