import ArgumentParser
import Compression
import Foundation
import Quantization
import Torch

/// `lichen eval --data DIR --model M --json out.json`.
struct Eval: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    abstract: "Code every PNG of a folder for real and report bpp, PSNR, MS-SSIM and times.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var modelOptions: ModelOptions
  @OptionGroup var refinementOptions: RefinementOptions
  @Option(help: "Folder of PNG images (e.g. Kodak).") var data: String
  @Option(help: "Write the per-image results and means as JSON here.") var json: String?
  @Option(help: "Evaluate only the first K images.") var limit: Int?

  func run() throws {
    let chosen = try refinementOptions.apply(to: modelOptions.codec(needsFloat: refinementOptions.isOn))
    if let loaded = chosen.float?.loaded, let warning = TeacherLink.warning(for: loaded) { say("warning: \(warning)") }
    let report = try chosen.evaluate(
      try ImageSet.load(directory: URL(fileURLWithPath: data)), dataset: data, limit: limit, threads: Torch.threads
    ) { index, count, row in say("[\(index + 1)/\(count)] \(row.name)  " + row.summary) }
    print("mean: " + report.mean.summary)
    if let json { try PrettyJSON.write(report, to: URL(fileURLWithPath: json)) }
  }
}

/// `lichen models`: the registry with sizes, recorded Kodak RD and the engine each name runs on.
struct Models: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(abstract: "List the bundled models.")

  @OptionGroup var global: GlobalOptions

  func run() throws {
    ModelRegistry.listing.forEach { print($0) }
  }
}
