import ArgumentParser
import Deployment
import Foundation
import Hardware
import Quantization
import Torch
import Vision
import Watermarking

/// `lichen watermark embed|extract|verify|attack|evaluate|compare|tradeoff`.
struct Watermark: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Embed, read, verify, attack and evaluate WaterMAS (and baseline) watermarks; payload trade-off sweeps.",
    subcommands: [Embed.self, Extract.self, Verify.self, WatermarkAttack.self, WatermarkEvaluate.self, WatermarkCodecEvaluate.self,
                  WatermarkCompare.self,
                  WatermarkTradeoff.self, WatermarkSecrecy.self, WatermarkSecurity.self, WatermarkRobustness.self, WatermarkCheckManifest.self, WatermarkAlignKey.self])

  struct FileOptions: ParsableArguments {
    @Option(help: "Model: a float or quantized file (.safetensors, .pth, .pth.tar; a classifier, a codec, a `lichen quantize` integer codec) or an `lichen fpga export-hls` folder.")
    var model: String
    @Option(help: "Watermark key (JSON).") var key: String
    @Option(help: "Decision threshold on the false-positive probability.") var threshold = 1e-6
    @OptionGroup var global: GlobalOptions

    func load() throws -> ([String: TensorRecord], WatermarkKey) {
      (try DeployedWeights.stateDict(atPath: model), try WatermarkKey.read(from: URL(fileURLWithPath: key)))
    }
  }

  struct Extract: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(abstract: "Print the payload a model carries under a key.")
    @OptionGroup var options: FileOptions
    var global: GlobalOptions { options.global }

    func run() throws {
      let (entries, key) = try options.load()
      let result = try Extractor.extract(fromStateDict: entries, key: key)
      print(result.payloadReport(key.code))
    }
  }

  struct Verify: GlobalOptionsCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a model against a key and an expected payload; exit 1 when the mark is not detected.")
    @OptionGroup var options: FileOptions
    var global: GlobalOptions { options.global }
    @Option(help: "Expected payload as UTF-8 text.") var message: String?
    @Option(help: "Expected payload as a string of 0/1.") var bits: String?

    func run() throws {
      let (entries, key) = try options.load()
      let expected = try payloadBits(message: message, bits: bits)
      let result = try Extractor.extract(fromStateDict: entries, key: key, expected: expected, threshold: options.threshold)
      print(result.verificationReport(key.code))
      if result.detected != true { throw ExitCode(1) }
    }
  }
}

/// The payload given as --message TEXT or --bits 0101...
func payloadBits(message: String?, bits: String?) throws -> [Bool] {
  switch (message, bits) {
  case let (message?, nil): return Payload.bits(of: message)
  case let (nil, bits?): return try Payload.bits(parsing: bits)
  case (.some, .some): throw ValidationError("give the payload with --message or --bits, not both")
  case (nil, nil): throw ValidationError("give the payload with --message TEXT or --bits 0101...")
  }
}
