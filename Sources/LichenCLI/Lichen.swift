import ArgumentParser
import Foundation
import Torch

/// `lichen`: the command-line front of every Lichen library. Thin: parse,
/// call a library API, print.
@main
struct Lichen: ParsableCommand {
  static let version = "0.1.0"

  /// Parses and runs; errors go through `ErrorReporting` (one line, non-zero exit).
  static func main() { ErrorReporting.main() }

  static let configuration = CommandConfiguration(
    commandName: "lichen",
    abstract: "Learned image compression from trained network to hardware, with watermarking.",
    version: version,
    subcommands: [Compress.self, Decompress.self, Eval.self, Quantize.self, Models.self, Train.self, Distill.self, Launch.self, DistillSweep.self, DistillCurve.self, RDPlot.self, ExportModel.self, Classify.self, Segment.self, Watermark.self, FPGA.self, Smoke.self]
  )

  /// A progress line, on every rank of a distributed job (unbuffered, like `say`).
  static func progress(_ line: String) { say(line) }
}

/// When `path` is given: `write` writes it, then "wrote PATH" goes to `log`.
func writeFile(_ path: String?, log: (String) -> Void = { print($0) }, _ write: (URL) throws -> Void) throws {
  guard let path else { return }
  try write(URL(fileURLWithPath: path))
  log("wrote \(path)")
}

/// A command that takes the global options; `ErrorReporting.main` applies them before `run()`.
protocol GlobalOptionsCommand: ParsableCommand {
  var global: GlobalOptions { get }
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
  @Option(name: .long, help: "Threads for tensor ops (default: number of cores).")
  var threads: Int?

  func apply() throws {
    if let threads {
      guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
      try Torch.setThreads(threads)
    }
  }
}
