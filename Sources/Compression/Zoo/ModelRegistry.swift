import Foundation

/// Bundled models, named after CompressAI's quality index (hyperprior-q2 is
/// lambda 0.0035, -q3 0.0067, -q4 0.0130, -q5 0.0250). Weights ship as
/// package resources in `Zoo/Weights`.
public enum ModelRegistry {
  public struct Entry: Sendable {
    public var name: String
    public var file: String
    public var lambda: Double
    public var summary: String
    /// An integer-engine model (`lichen quantize` output) rather than float weights.
    public var isInteger = false
    /// Measured Kodak mean (real bitstream bpp, PSNR in dB), for tools that tabulate models.
    public var kodakBPP: Double? = nil
    public var kodakPSNR: Double? = nil

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
    // Kodak RD measured by scripts/eval-bundled-models.sh (docs/results/hyperprior-q*.json).
    Entry(name: "hyperprior-q2", file: "hyperprior-q2.safetensors", lambda: 0.0035,
          summary: "ScaleHyperprior N=128 M=192, Kodak 0.306 bpp / 28.83 dB"),
    Entry(name: "hyperprior-q3", file: "hyperprior-q3.safetensors", lambda: 0.0067,
          summary: "ScaleHyperprior N=128 M=192, Kodak 0.465 bpp / 30.62 dB"),
    Entry(name: "hyperprior-q4", file: "hyperprior-q4.safetensors", lambda: 0.0130,
          summary: "ScaleHyperprior N=128 M=192, Kodak 0.652 bpp / 32.17 dB"),
    Entry(name: "hyperprior-q5", file: "hyperprior-q5.safetensors", lambda: 0.0250,
          summary: "ScaleHyperprior N=128 M=192, Kodak 0.847 bpp / 33.41 dB"),
    // Distilled students (scripts/distill-students.sh; docs/distillation.md).
    Entry(name: "hyperprior-q2-n64", file: "hyperprior-q2-n64.safetensors", lambda: 0.0035,
          summary: "student N=64 distilled from hyperprior-q2 (1000 steps), Kodak 0.331 bpp / 27.21 dB", kodakBPP: 0.331, kodakPSNR: 27.21),
    Entry(name: "hyperprior-q2-n32", file: "hyperprior-q2-n32.safetensors", lambda: 0.0035,
          summary: "student N=32 distilled from hyperprior-q2 (1000 steps), Kodak 0.240 bpp / 25.18 dB", kodakBPP: 0.240, kodakPSNR: 25.18),
    Entry(name: "hyperprior-q3-n64", file: "hyperprior-q3-n64.safetensors", lambda: 0.0067,
          summary: "student N=64 distilled from hyperprior-q3 (1000 steps), Kodak 0.467 bpp / 28.37 dB", kodakBPP: 0.467, kodakPSNR: 28.37),
    Entry(name: "hyperprior-q3-n32", file: "hyperprior-q3-n32.safetensors", lambda: 0.0067,
          summary: "student N=32 distilled from hyperprior-q3 (1000 steps), Kodak 0.352 bpp / 25.68 dB", kodakBPP: 0.352, kodakPSNR: 25.68),
    Entry(name: "hyperprior-q4-n64", file: "hyperprior-q4-n64.safetensors", lambda: 0.0130,
          summary: "student N=64 distilled from hyperprior-q4 (1000 steps), Kodak 0.632 bpp / 29.19 dB", kodakBPP: 0.632, kodakPSNR: 29.19),
    Entry(name: "hyperprior-q4-n32", file: "hyperprior-q4-n32.safetensors", lambda: 0.0130,
          summary: "student N=32 distilled from hyperprior-q4 (1000 steps), Kodak 0.489 bpp / 25.79 dB", kodakBPP: 0.489, kodakPSNR: 25.79),
    Entry(name: "hyperprior-q5-n64", file: "hyperprior-q5-n64.safetensors", lambda: 0.0250,
          summary: "student N=64 distilled from hyperprior-q5 (1000 steps), Kodak 0.775 bpp / 28.69 dB", kodakBPP: 0.775, kodakPSNR: 28.69),
    Entry(name: "hyperprior-q5-n32", file: "hyperprior-q5-n32.safetensors", lambda: 0.0250,
          summary: "student N=32 distilled from hyperprior-q5 (1000 steps), Kodak 0.633 bpp / 25.65 dB", kodakBPP: 0.633, kodakPSNR: 25.65),
  ]

  /// Integer-engine models (quantized from the float entry of the same quality).
  public static let integerEntries: [Entry] = [
    Entry(name: "hyperprior-q4-hybrid", file: "hyperprior-q4-hybrid.safetensors", lambda: 0.0130,
          summary: "hyperprior-q4 quantized (hybrid: 8-bit weights, 16-bit activations and GDN; max calibration), integer engine",
          isInteger: true),
  ]

  /// The model used when `--model` is omitted.
  public static let defaultName = "hyperprior-q4"

  public static func entry(named name: String) -> Entry? { (entries + integerEntries).first { $0.name == name } }

  /// Float entries whose weights are present in this build.
  public static var available: [Entry] { entries.filter { (try? $0.url()) != nil } }

  /// Integer entries present in this build.
  public static var availableIntegers: [Entry] { integerEntries.filter { (try? $0.url()) != nil } }
}
