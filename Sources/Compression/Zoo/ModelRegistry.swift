import Foundation

/// Bundled models, named after CompressAI's quality index (hyperprior-q2 is
/// lambda 0.0035, -q3 0.0067, -q4 0.0130, -q5 0.0250). Weights ship as
/// package resources in `Zoo/Weights`.
public enum ModelRegistry {
  public struct Entry: Sendable {
    public var name: String
    public var file: String
    public var lambda: Double
    /// What the model is; `summary` appends its measured Kodak RD.
    public var description: String
    /// An integer-engine model (`lichen quantize` output) rather than float weights.
    public var isInteger = false
    /// For an integer model: the float entry it was quantized from.
    public var quantizedFrom: String? = nil

    /// Measured Kodak mean (real bitstream bpp, PSNR in dB, MS-SSIM), from
    /// `Weights/kodak-rd.json`, which the evaluation scripts write
    /// (scripts/registry-kodak-rd.py); nil when not measured.
    public var kodak: KodakRD? { KodakRD.measured[name] }
    public var kodakBPP: Double? { kodak?.bpp }
    public var kodakPSNR: Double? { kodak?.psnr }

    public var summary: String {
      guard let kodak else { return description }
      return description + String(format: ", Kodak %.3f bpp / %.2f dB", kodak.bpp, kodak.psnr)
    }

    /// The bundled file; throws when this build does not carry it.
    public func url() throws -> URL {
      let candidates = [
        Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "Weights"),
        Bundle.module.url(forResource: file, withExtension: nil),
      ]
      guard let url = candidates.compactMap({ $0 }).first(where: { FileManager.default.fileExists(atPath: $0.path) })
      else {
        throw CodecError.invalidModel("bundled model \(name) (\(file)) is missing from this build")
      }
      return url
    }
  }

  public static let entries: [Entry] = [
    Entry(name: "hyperprior-q2", file: "hyperprior-q2.safetensors", lambda: 0.0035,
          description: "ScaleHyperprior N=128 M=192"),
    Entry(name: "hyperprior-q3", file: "hyperprior-q3.safetensors", lambda: 0.0067,
          description: "ScaleHyperprior N=128 M=192"),
    Entry(name: "hyperprior-q4", file: "hyperprior-q4.safetensors", lambda: 0.0130,
          description: "ScaleHyperprior N=128 M=192"),
    Entry(name: "hyperprior-q5", file: "hyperprior-q5.safetensors", lambda: 0.0250,
          description: "ScaleHyperprior N=128 M=192"),
    // Distilled students (N=96: scripts/distill-width.sh, N=64: scripts/continue-n64.sh,
    // N=32: LICHEN_SELECT_FROM=hyperprior-q4-n64 scripts/distill-width.sh 32 4000 500 2000; docs/distillation.md).
    Entry(name: "hyperprior-q2-n96", file: "hyperprior-q2-n96.safetensors", lambda: 0.0035,
          description: "student N=96 distilled from hyperprior-q2 (44,421 steps): hyperprior-q4-n96 fine-tuned 1,000 steps (2026-12-07)"),
    Entry(name: "hyperprior-q3-n96", file: "hyperprior-q3-n96.safetensors", lambda: 0.0067,
          description: "student N=96 distilled from hyperprior-q3 (44,421 steps): hyperprior-q4-n96 fine-tuned 1,000 steps (2026-12-07)"),
    Entry(name: "hyperprior-q4-n96", file: "hyperprior-q4-n96.safetensors", lambda: 0.0130,
          description: "student N=96 distilled from hyperprior-q4 (44,421 steps): 8,000 steps from the teacher's selected channels (2026-12-07)"),
    Entry(name: "hyperprior-q5-n96", file: "hyperprior-q5-n96.safetensors", lambda: 0.0250,
          description: "student N=96 distilled from hyperprior-q5 (44,421 steps): hyperprior-q4-n96 fine-tuned 1,000 steps (2026-12-07)"),
    Entry(name: "hyperprior-q2-n64", file: "hyperprior-q2-n64.safetensors", lambda: 0.0035,
          description: "student N=64 distilled from hyperprior-q2 (44,421 steps): hyperprior-q4-n64 fine-tuned 1,000 steps (2026-12-07)"),
    Entry(name: "hyperprior-q2-n32", file: "hyperprior-q2-n32.safetensors", lambda: 0.0035,
          description: "student N=32 distilled from hyperprior-q2 (44,421 steps): hyperprior-q4-n32 fine-tuned 500 steps (2026-12-07)"),
    Entry(name: "hyperprior-q3-n64", file: "hyperprior-q3-n64.safetensors", lambda: 0.0067,
          description: "student N=64 distilled from hyperprior-q3 (44,421 steps): hyperprior-q4-n64 fine-tuned 1,000 steps (2026-12-07)"),
    Entry(name: "hyperprior-q3-n32", file: "hyperprior-q3-n32.safetensors", lambda: 0.0067,
          description: "student N=32 distilled from hyperprior-q3 (44,421 steps): hyperprior-q4-n32 fine-tuned 500 steps (2026-12-07)"),
    Entry(name: "hyperprior-q4-n64", file: "hyperprior-q4-n64.safetensors", lambda: 0.0130,
          description: "student N=64 distilled from hyperprior-q4 (44,421 steps): 18,197 steps, the last 9,000 against this teacher (2026-12-07)"),
    Entry(name: "hyperprior-q4-n32", file: "hyperprior-q4-n32.safetensors", lambda: 0.0130,
          description: "student N=32 distilled from hyperprior-q4 (44,421 steps): 4,000 steps from hyperprior-q4-n64's selected channels (2026-12-07)"),
    Entry(name: "hyperprior-q5-n64", file: "hyperprior-q5-n64.safetensors", lambda: 0.0250,
          description: "student N=64 distilled from hyperprior-q5 (44,421 steps): hyperprior-q4-n64 fine-tuned 1,000 steps (2026-12-07)"),
    Entry(name: "hyperprior-q5-n32", file: "hyperprior-q5-n32.safetensors", lambda: 0.0250,
          description: "student N=32 distilled from hyperprior-q5 (44,421 steps): hyperprior-q4-n32 fine-tuned 500 steps (2026-12-07)"),
  ]

  /// Integer-engine models, one per bundled float model (scripts/bundle-integer-models.sh:
  /// hybrid scheme, max calibration on 16 training photos, 300 QAT steps at the model's lambda), then the
  /// 8-bit N=64 students the FPGA plans run and the teachers in int8-y16 (scripts/int8-qat.sh).
  /// `lichen compress`, `decompress` and `eval` run these in place of their float model unless
  /// told `--engine float`: the integer engine decodes bit-exactly on any machine and thread count.
  public static let integerEntries: [Entry] = entries.map { float in
    Entry(name: float.name + "-hybrid", file: float.name + "-hybrid.safetensors", lambda: float.lambda,
          description: "\(float.name) quantized for the integer engine (hybrid: 8-bit weights, 16-bit activations and GDN; 300 QAT steps)",
          isInteger: true, quantizedFrom: float.name)
  } + qualities.map { quality, lambda in
    // What the FPGA plans run (docs/fpga.md): every product 8x8. Listed after the hybrid versions,
    // which stay what `--engine auto` runs.
    Entry(name: "hyperprior-\(quality)-n64-int8-s16", file: "hyperprior-\(quality)-n64-int8-s16.safetensors", lambda: lambda,
          description: "hyperprior-\(quality)-n64 in 8 bits for the FPGA (int8-s16: 8-bit weights, activations and GDN, scales 16-bit; channel equalization, 1500 QAT steps at lr 1e-5; scripts/int8-qat.sh n64)",
          isInteger: true, quantizedFrom: "hyperprior-\(quality)-n64")
  } + qualities.map { quality, lambda in
    // The teachers in 8 bits but for the latent: the best scheme measured on them (docs/quantization.md).
    Entry(name: "hyperprior-\(quality)-int8-y16", file: "hyperprior-\(quality)-int8-y16.safetensors", lambda: lambda,
          description: "hyperprior-\(quality) in 8 bits but the latent (int8-y16: 8-bit weights, activations and GDN, y and the scales 16-bit; channel equalization and calibration on 128 photos, 1500 QAT steps at lr 1e-5; scripts/int8-qat.sh teachers)",
          isInteger: true, quantizedFrom: "hyperprior-\(quality)")
  }

  /// The bundled teachers' quality names and lambdas, which their integer versions share.
  private static let qualities: [(name: String, lambda: Double)] = [("q2", 0.0035), ("q3", 0.0067), ("q4", 0.0130), ("q5", 0.0250)]

  /// The model used when `--model` is omitted.
  public static let defaultName = "hyperprior-q4"

  public static func entry(named name: String) -> Entry? { (entries + integerEntries).first { $0.name == name } }

  /// Float entries whose weights are present in this build.
  public static var available: [Entry] { entries.filter { (try? $0.url()) != nil } }

  /// Integer entries present in this build.
  public static var availableIntegers: [Entry] { integerEntries.filter { (try? $0.url()) != nil } }

  /// The integer model quantized from the float entry `name`, when this build carries one.
  public static func integerVersion(of name: String) -> Entry? {
    availableIntegers.first { $0.quantizedFrom == name }
  }
}

/// One model's measured Kodak mean (24 images, real bitstreams).
public struct KodakRD: Codable, Sendable, Equatable {
  public var bpp: Double
  public var psnr: Double
  public var msSSIM: Double
  public var images: Int
  /// The `lichen eval --json` file it was read from (repository-relative).
  public var evaluation: String

  enum CodingKeys: String, CodingKey {
    case bpp, psnr, images, evaluation
    case msSSIM = "ms_ssim"
  }

  /// The bundled table; empty (every model unmeasured) when it is missing or unreadable.
  static let measured: [String: KodakRD] = {
    let url = Bundle.module.url(forResource: "kodak-rd", withExtension: "json", subdirectory: "Weights")
      ?? Bundle.module.url(forResource: "kodak-rd", withExtension: "json")
    guard let url, let data = try? Data(contentsOf: url) else { return [:] }
    return (try? JSONDecoder().decode([String: KodakRD].self, from: data)) ?? [:]
  }()
}
