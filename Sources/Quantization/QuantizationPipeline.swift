import Compression
import Foundation
import LichenSerialization

/// Float hyperprior (scale or mean-scale) -> integer-engine model, as `lichen quantize` runs it: calibration of the activation
/// ranges on real images, optional quantization-aware fine-tuning (fake quantization in the loss, on the one
/// trainer; its float weights are kept as RUN/model.safetensors), then conversion and the per-layer table.
public struct QuantizationPipeline {
  /// Quantization-aware fine-tuning before conversion.
  public struct FineTuning {
    public var steps: Int
    /// Training photos (default: the calibration folder).
    public var data: URL?
    /// Checkpoints and logs.
    public var runFolder: URL
    /// The RD trade-off (default: the model's recorded lambda).
    public var lambda: Double?
    public var learningRate = 1e-5
    public var batchSize = 8
    public var crop = 128

    /// The run folder beside an output model: "q4.safetensors" -> "q4-qat".
    public static func runFolder(besideOutput output: String) -> URL {
      URL(fileURLWithPath: (output as NSString).deletingPathExtension + "-qat")
    }

    public init(steps: Int, data: URL?, runFolder: URL, lambda: Double?, learningRate: Double = 1e-5, batchSize: Int = 8,
                crop: Int = 128) {
      self.learningRate = learningRate
      self.batchSize = batchSize
      self.crop = crop
      self.steps = steps
      self.data = data
      self.runFolder = runFolder
      self.lambda = lambda
    }
  }

  public var scheme: QuantizationScheme
  public var calibrationFolder: URL
  /// Calibration images, evenly spaced over the folder.
  public var calibrationCount: Int
  /// The activation range method and the GDN table size.
  public var options = IntegerConverter.Options()
  public var fineTuning: FineTuning?
  /// Channel equalization across the GDNs before calibration (`ChannelEqualization`; 0: none).
  public var equalization = 0.0

  public init(scheme: QuantizationScheme, method: CalibrationMethod, calibrationFolder: URL, calibrationCount: Int) {
    self.scheme = scheme
    options.method = method
    self.calibrationFolder = calibrationFolder
    self.calibrationCount = calibrationCount
  }

  /// The pipeline as `lichen quantize` gives it: the scheme and the calibration method by their specifications,
  /// channel equalization, the GDN table size and, when given, quantization-aware fine-tuning.
  /// - Parameters:
  ///   - scheme: A preset or a SELECTOR:SPEC list (`QuantizationScheme`).
  ///   - calibration: max, mse or percentile:<p> (`CalibrationMethod(parsing:)`).
  ///   - equalization: The strength of `ChannelEqualization` (0: none).
  ///   - tableIndexBits, tableFractionBits: The GDN lookup table's index and entry fraction bits.
  /// - Throws: `QuantizationError` when the scheme or the method does not parse.
  public init(scheme: String, calibration: String, calibrationFolder: URL, calibrationCount: Int, equalization: Double,
              tableIndexBits: Int, tableFractionBits: Int, fineTuning: FineTuning?) throws {
    self.init(scheme: try QuantizationScheme(scheme), method: try CalibrationMethod(parsing: calibration),
              calibrationFolder: calibrationFolder, calibrationCount: calibrationCount)
    self.equalization = equalization
    options.tableIndexBits = tableIndexBits
    options.tableFractionBits = tableFractionBits
    self.fineTuning = fineTuning
  }

  /// Quantizes the float model `nameOrPath` names (`run`) and saves the integer model at `output`.
  /// - Parameters:
  ///   - nameOrPath: A registry name or a float model file.
  ///   - output: The integer model's path (.safetensors), also recorded as its source.
  ///   - log, train: As `run`.
  /// - Returns: the integer model file and its per-layer table, or nil when the fine-tuning was interrupted
  ///   (nothing saved).
  /// - Throws: the loader's, `run`'s and the save's errors.
  public func quantize(_ nameOrPath: String, saveTo output: String, log: (String) -> Void,
                       train: (RDTrainer) throws -> Bool) throws -> (file: IntegerModelFile, layers: [QuantizedLayerReport])? {
    let loaded = try ModelStore.load(nameOrPath)
    guard let (file, layers) = try run(loaded, source: output, log: log, train: train) else { return nil }
    try file.save(to: URL(fileURLWithPath: output))
    return (file, layers)
  }

  /// Quantizes `loaded`.
  /// - Parameters:
  ///   - source: the output's name, recorded in the model file.
  ///   - log: progress lines (calibration images, the fine-tuning's settings).
  ///   - train: runs the fine-tuning trainer to its end with progress and resume; false when interrupted.
  /// - Returns: the integer model file and its per-layer table, or nil when the fine-tuning was interrupted.
  public func run(_ loaded: LoadedModel, source: String, log: (String) -> Void,
                  train: (RDTrainer) throws -> Bool) throws -> (file: IntegerModelFile, layers: [QuantizedLayerReport])? {
    guard calibrationCount > 0 else { throw QuantizationError("the calibration needs at least one image") }
    guard let hyperprior = loaded.model as? any HyperpriorModel else {
      throw QuantizationError("\(loaded.source) is a \(loaded.configuration.architecture.rawValue); the integer engine implements the scale and mean-scale hyperpriors")
    }
    let scaleHyperprior = hyperprior as? ScaleHyperprior
    if scaleHyperprior == nil, equalization > 0 || (fineTuning?.steps ?? 0) > 0 {
      throw QuantizationError("\(loaded.source) is a \(loaded.configuration.architecture.rawValue): channel equalization and quantization-aware fine-tuning are implemented for the scale hyperprior only")
    }
    hyperprior.setTraining(false)
    _ = try scheme.resolve(layers: IntegerConverter.layers(of: hyperprior))  // fail before calibrating
    let images = try ImageSet.load(directory: calibrationFolder, limit: calibrationCount)
    if equalization > 0, let scaleHyperprior {
      for change in try ChannelEqualization.apply(to: scaleHyperprior, images: images.images, strength: equalization) {
        log(String(format: "  equalized %@: channel range spread %.1f -> %.1f in, %.1f -> %.1f out", change.gdn,
                   change.inputSpreadBefore, change.inputSpreadAfter, change.outputSpreadBefore, change.outputSpreadAfter))
      }
    }
    log("calibrating \(loaded.source) on \(images.images.count) images from \(calibrationFolder.path) (\(options.method))")
    let start = Date()
    let statistics = try CalibrationStatistics.collect(model: hyperprior, images: images.images) { done in
      log("  calibration image \(done)/\(images.images.count)  \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
    if let fineTuning, fineTuning.steps > 0, let scaleHyperprior {
      guard let lambda = fineTuning.lambda ?? loaded.metadata[MetadataKey.lambda].flatMap(Double.init) else {
        throw QuantizationError("\(loaded.source) records no lambda; give one for quantization-aware training")
      }
      guard fineTuning.crop > 0, fineTuning.crop % 64 == 0, fineTuning.batchSize > 0 else {
        throw QuantizationError("the fine-tuning crop must be a multiple of 64 and the batch size positive")
      }
      let all = try ImageSet.load(directory: fineTuning.data ?? calibrationFolder, minimumSide: fineTuning.crop)
      let (trainingSet, validationSet) = all.split(validationEvery: 20)
      var config = RDTrainingConfig()
      config.n = loaded.configuration.n
      config.m = loaded.configuration.m
      config.gdnVariant = loaded.configuration.gdnVariant
      config.lambda = lambda
      config.batchSize = fineTuning.batchSize
      config.cropSize = fineTuning.crop
      config.steps = fineTuning.steps
      config.learningRate = fineTuning.learningRate
      config.validateEvery = Swift.max(50, fineTuning.steps / 4)
      config.checkpointEvery = 50
      let objective = try FakeQuantizedRDLoss(model: scaleHyperprior, scheme: scheme, statistics: statistics, method: options.method,
                                              lambda: lambda)
      let trainer = try RDTrainer(config: config, model: scaleHyperprior, training: trainingSet, validation: validationSet,
                                  runDirectory: fineTuning.runFolder, objective: objective)
      log("quantization-aware fine-tuning: \(fineTuning.steps) steps, lambda \(lambda), lr \(fineTuning.learningRate), run folder \(fineTuning.runFolder.path)")
      guard try train(trainer) else { return nil }
      try hyperprior.update()
      hyperprior.setTraining(false)
      // The fine-tuned float weights (channels equalized), so other schemes can be measured on them; the trained
      // quantiles stay, since the conversion below codes z with them.
      var metadata = loaded.metadata.filter { !$0.key.hasPrefix("lichen.") }
      metadata[MetadataKey.initialModel] = loaded.source
      metadata[MetadataKey.initialSteps] = loaded.metadata[MetadataKey.steps]
      try trainer.saveFinalModel(configuration: loaded.configuration, metadata: metadata, fitsQuantiles: false, log: log)
    }
    var (file, layers) = try IntegerModelFile.quantized(
      loaded, hyperprior: hyperprior, scheme: scheme, statistics: statistics, calibrationImages: images.images.count,
      options: options, qatSteps: fineTuning?.steps ?? 0, source: source)
    if equalization > 0 { file.metadata[MetadataKey.equalization] = String(equalization) }
    return (file, layers)
  }

  /// The per-layer table as text: bits of weights and activations, accumulator width, clip, fused ReLU.
  public static func table(_ layers: [QuantizedLayerReport]) -> String {
    var lines = ["layer     kind        w   a   accumulator  clip"]
    for l in layers {
      lines.append(String(format: "%-9@ %-11@ %2d  %2d  %2d-bit       %.4g%@", l.name, l.kind.rawValue, l.weightBits,
                          l.activationBits, l.accumulatorBits, l.clip, l.relu ? "  relu" : ""))
    }
    return lines.joined(separator: "\n")
  }
}
