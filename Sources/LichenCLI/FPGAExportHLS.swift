import ArgumentParser
import Foundation
import Deployment
import Hardware

/// `lichen fpga export-hls`: per-layer C headers of an integer model and the design JSON.
struct FPGAExportHLS: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-hls",
    abstract: "Write per-layer C headers (weights, biases, multipliers, shifts, GDN tables) and design.json for an HLS flow.")

  @OptionGroup var global: GlobalOptions
  @Option(help: "Integer model: registry name (hyperprior-q4-hybrid) or file from lichen quantize.") var model: String
  @Option(help: "Output folder.") var out: String
  @Option(help: "A plan from `lichen fpga plan --json` to write as design.json (default: the full layer graph).") var plan: String?
  @Option(help: "Resolution of the layer graph written when no plan is given.") var resolution: String = "1280x720"

  func run() throws {
    let loaded = try HardwareModel.load(model)
    guard case .integer(let integer) = loaded.weights else {
      throw ValidationError("\(model) is a float model; export-hls needs an integer model (lichen quantize --model \(model) ...)")
    }
    let files = try HLSExport.write(integer, of: loaded, planFile: plan.map { URL(fileURLWithPath: $0) },
                                    resolution: resolution, to: URL(fileURLWithPath: out))
    print("wrote \(files.count) files to \(out): \(files.joined(separator: " "))")
  }
}
