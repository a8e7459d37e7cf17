import ArgumentParser
import Compression
import Foundation
import IntegerEngine
import Quantization
import Torch

/// `lichen quantize --model M --scheme SPEC --calib DIR --out q.safetensors`.
struct Quantize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Quantize a float hyperprior model into an integer-engine model (post-training, calibrated on real images).",
    discussion: """
      Schemes: a preset (\(QuantizationScheme.presets.map(\.name).joined(separator: ", "))) or items SELECTOR:SPEC, \
      e.g. 'int8,gdn:w16a16,g_a.6:a16'. SELECTOR: *, conv, gdn, g_a, h_a, h_s, g_s or a layer (g_a.0); \
      SPEC: w<bits>a<bits>, w<bits> or a<bits> (2..16). See docs/quantization.md.
      """)

  @OptionGroup var global: GlobalOptions
  @Option(help: "Float model: registry name or path (default: \(ModelRegistry.defaultName)).") var model: String?
  @Option(help: "Quantization scheme (preset or SELECTOR:SPEC list).") var scheme: String = "hybrid"
  @Option(help: "Folder of PNG calibration images (use training images, not the evaluation set).") var calib: String
  @Option(help: "Number of calibration images (evenly spaced over the folder).") var calibCount: Int = 16
  @Option(help: "Activation range method: max (default; safest for 16-bit activations), mse, percentile:<p>.")
  var calibration: String = "max"
  @Option(help: "GDN lookup table: index bits (segments per unit of mantissa = 2^bits).") var lutIndexBits: Int = 6
  @Option(help: "GDN lookup table: fraction bits of the entries.") var lutFractionBits: Int = 16
  @Option(name: .shortAndLong, help: "Output integer model (.safetensors).") var out: String
  @Option(help: "Also write the per-layer table (bits, scales, accumulators) as JSON here.") var report: String?
  @Option(help: "Quantization-aware fine-tuning steps before conversion (0: post-training quantization only).")
  var qatSteps = 0
  @Option(help: "QAT: training PNG folder (default: --calib).") var data: String?
  @Option(help: "QAT: run folder for checkpoints and logs (default: OUT without extension + '-qat').") var qatRun: String?
  @Option(help: "QAT: lambda (default: the model's recorded lambda).") var lambda: Double?
  @Option(help: "QAT: learning rate.") var learningRate = 1e-5
  @Option(help: "QAT: batch size.") var batchSize = 8
  @Option(help: "QAT: crop size (multiple of 64).") var crop = 128
  @Flag(help: "QAT: continue the run folder's checkpoint.") var resume = false

  func run() throws {
    try global.apply()
    let parsedScheme = try QuantizationScheme(scheme)
    let method = try CalibrationMethod(parsing: calibration)
    guard calibCount > 0 else { throw ValidationError("--calib-count must be positive") }
    guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors") }
    let loaded = try ModelStore.load(model ?? ModelRegistry.defaultName)
    guard let hyperprior = loaded.model as? ScaleHyperprior else {
      throw ValidationError("\(loaded.source) is a \(loaded.configuration.architecture.rawValue); the integer engine implements the scale hyperprior")
    }
    hyperprior.setTraining(false)
    _ = try parsedScheme.resolve(layers: IntegerConverter.layers(of: hyperprior))  // fail before calibrating
    let images = try ImageSet.load(directory: URL(fileURLWithPath: calib), limit: calibCount)
    print("calibrating \(loaded.source) on \(images.images.count) images from \(calib) (\(method))")
    let start = Date()
    let stats = try CalibrationStatistics.collect(model: hyperprior, images: images.images) { done in
      print("  calibration image \(done)/\(images.images.count)  \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
    if qatSteps > 0 {
      guard let lambda = lambda ?? loaded.metadata[MetadataKey.lambda].flatMap(Double.init) else {
        throw ValidationError("\(loaded.source) records no lambda; pass --lambda for quantization-aware training")
      }
      guard crop > 0, crop % 64 == 0, batchSize > 0 else { throw ValidationError("--crop must be a multiple of 64, --batch-size positive") }
      let all = try ImageSet.load(directory: URL(fileURLWithPath: data ?? calib), minimumSide: crop)
      let (trainingSet, validationSet) = all.split(validationEvery: 20)
      var config = RDTrainingConfig()
      config.n = loaded.configuration.n
      config.m = loaded.configuration.m
      config.gdnVariant = loaded.configuration.gdnVariant
      config.lambda = lambda
      config.batchSize = batchSize
      config.cropSize = crop
      config.steps = qatSteps
      config.learningRate = learningRate
      config.validateEvery = Swift.max(50, qatSteps / 4)
      config.checkpointEvery = 50
      let objective = try FakeQuantizedRDLoss(model: hyperprior, scheme: parsedScheme, statistics: stats, method: method,
                                              lambda: lambda)
      let runFolder = qatRun ?? (out as NSString).deletingPathExtension + "-qat"
      let trainer = try RDTrainer(config: config, model: hyperprior, training: trainingSet, validation: validationSet,
                                  runDirectory: URL(fileURLWithPath: runFolder), objective: objective)
      print("quantization-aware fine-tuning: \(qatSteps) steps, lambda \(lambda), lr \(learningRate), run folder \(runFolder)")
      guard try drive(trainer, resume: resume, runFolder: runFolder) else { throw ExitCode.interrupted }
      try hyperprior.update()
      hyperprior.setTraining(false)
    }
    var options = IntegerConverter.Options()
    options.method = method
    options.tableIndexBits = lutIndexBits
    options.tableFractionBits = lutFractionBits
    let (file, layers) = try IntegerModelFile.quantized(
      loaded, hyperprior: hyperprior, scheme: parsedScheme, statistics: stats, calibrationImages: images.images.count,
      options: options, qatSteps: qatSteps, source: out)
    try file.save(to: URL(fileURLWithPath: out))
    print("layer     kind        w   a   accumulator  clip")
    for l in layers {
      print(String(format: "%-9@ %-11@ %2d  %2d  %2d-bit       %.4g%@", l.name, l.kind.rawValue, l.weightBits,
                   l.activationBits, l.accumulatorBits, l.clip, l.relu ? "  relu" : ""))
    }
    print(String(format: "wrote %@ (scheme %@, hash %016llx)", out, parsedScheme.specification, file.weightsHash))
    if let report {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(layers).write(to: URL(fileURLWithPath: report), options: .atomic)
    }
  }
}
