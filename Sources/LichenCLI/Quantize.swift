import ArgumentParser
import Compression
import Foundation
import IntegerEngine
import Quantization
import Torch

/// `lichen quantize --model M --scheme SPEC --calib DIR --out q.safetensors`.
struct Quantize: GlobalOptionsCommand {
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
  @Option(help: "Number of calibration images (evenly spaced over the folder); equalization needs many: 16 clip outliers.") var calibCount: Int = 128
  @Option(help: "Activation range method: max (default; safest for 16-bit activations), mse, percentile:<p>.")
  var calibration: String = "max"
  @Option(help: "Equalize the channels on both sides of every GDN before calibrating (0: off, 1: every channel at its tensor's full range; exact in float, see docs/quantization.md).")
  var equalize = 0.0
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
    guard out.hasSuffix(".safetensors") else { throw ValidationError("--out must end in .safetensors") }
    let fineTuning = qatSteps > 0 ? QuantizationPipeline.FineTuning(
      steps: qatSteps, data: data.map { URL(fileURLWithPath: $0) },
      runFolder: qatRun.map { URL(fileURLWithPath: $0) } ?? QuantizationPipeline.FineTuning.runFolder(besideOutput: out),
      lambda: lambda, learningRate: learningRate, batchSize: batchSize, crop: crop) : nil
    let pipeline = try QuantizationPipeline(
      scheme: scheme, calibration: calibration, calibrationFolder: URL(fileURLWithPath: calib),
      calibrationCount: calibCount, equalization: equalize, tableIndexBits: lutIndexBits,
      tableFractionBits: lutFractionBits, fineTuning: fineTuning)
    let quantized = try pipeline.quantize(model ?? ModelRegistry.defaultName, saveTo: out, log: { print($0) }) {
      try $0.trainInRunFolder(resume: resume, progress: Lichen.progress, log: say, stopSignal: InterruptFlag.install)
    }
    guard let (file, layers) = quantized else { throw ExitCode.interrupted }
    print(QuantizationPipeline.table(layers))
    print(String(format: "wrote %@ (scheme %@, hash %016llx)", out, pipeline.scheme.specification, file.weightsHash))
    if let report { try PrettyJSON.write(layers, to: URL(fileURLWithPath: report)) }
  }
}
