import ArgumentParser
import Foundation

/// `lichen-bench SUITE`: measurements as JSON lines (suite, case, value,
/// unit, and peer/peer_value/ratio when a peer ran in the same process run).
struct LichenBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lichen-bench", abstract: "Lichen benchmarks (JSON lines on stdout).")

  enum Suite: String, ExpressibleByArgument, CaseIterable {
    case torch
    case codec
    case integer
    case largeImage = "large-image"
  }

  @Argument(help: "Suite to run: \(Suite.allCases.map(\.rawValue).joined(separator: ", ")).")
  var suite: Suite

  @Option(help: "Threads for Lichen and the peer.")
  var threads = 2

  @Option(help: "Timed repetitions per case (median reported).")
  var repeats = 5

  @Option(help: "integer suite: comma-separated quantization schemes.")
  var schemes = "int8,hybrid"

  @Flag(help: "Skip the peer measurement.")
  var noPeer = false

  @Option(help: "large-image suite: comma-separated sides of the square test photos (pixels).")
  var sides = "1024,2048,4096,8192"

  @Option(help: "large-image suite: model to code with (default: lichen's default model).")
  var model: String?

  @Option(help: "large-image suite: lichen's --engine (auto, float, integer).")
  var engine = "auto"

  func run() throws {
    switch suite {
    case .torch: try TorchSuite.run(threads: threads, repeats: repeats, withPeer: !noPeer)
    case .codec: try CodecSuite.run(threads: threads, repeats: repeats, withPeer: !noPeer)
    case .integer:
      try IntegerSuite.run(threads: threads, repeats: repeats, schemes: schemes.split(separator: ",").map(String.init))
    case .largeImage:
      let sides = try sides.split(separator: ",").map { text -> Int in
        guard let side = Int(text), side > 0, side <= 16_384 else {
          throw ValidationError("--sides takes positive sides up to 16384, got '\(text)'")
        }
        return side
      }
      try LargeImageSuite.run(threads: threads, sides: sides, model: model, engine: engine)
    }
  }
}

LichenBench.main()
