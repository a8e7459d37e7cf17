import ArgumentParser
import Compression
import Foundation
import Imaging
import Torch

/// `lichen eval --data DIR --model M --json out.json`.
struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Code every PNG of a folder for real and report bpp, PSNR, MS-SSIM and times.")

  @OptionGroup var global: GlobalOptions
  @OptionGroup var modelOptions: ModelOptions
  @OptionGroup var refinementOptions: RefinementOptions
  @Option(help: "Folder of PNG images (e.g. Kodak).") var data: String
  @Option(help: "Write the per-image results and means as JSON here.") var json: String?
  @Option(help: "Evaluate only the first K images.") var limit: Int?

  func run() throws {
    try global.apply()
    let chosen = try refinementOptions.apply(to: modelOptions.codec(needsFloat: refinementOptions.isOn))
    if let loaded = chosen.float?.loaded, let warning = TeacherLink.warning(for: loaded) { say("warning: \(warning)") }
    let set = try ImageSet.load(directory: URL(fileURLWithPath: data))
    var rows: [ImageResult] = []
    let count = min(limit ?? set.images.count, set.images.count)
    for i in 0..<count {
      let row = try chosen.float.map { try Evaluator.evaluate($0, image: set.images[i], name: set.names[i]) }
        ?? Evaluator.evaluate(chosen.compressor, image: set.images[i], name: set.names[i])
      rows.append(row)
      say(String(format: "[%d/%d] %@  %.4f bpp%@  %.2f dB  MS-SSIM %@  enc %.2f s  dec %.2f s", i + 1,
                   count, row.name, row.bpp, Self.estimate(row.estimatedBpp), row.psnr,
                   row.msSSIM.map { String(format: "%.4f", $0) } ?? "-", row.encodeSeconds, row.decodeSeconds))
    }
    // Refined results form their own RD series ("hyperprior-q4-refined" -> "hyperprior-refined").
    let refinement = chosen.float?.refinement
    let report = EvaluationReport.summarize(
      model: chosen.source + (refinement == nil ? "" : "-refined"), dataset: data, threads: Torch.threads,
      encoder: refinement?.summary, images: rows)
    let m = report.mean
    print(String(format: "mean: %.4f bpp%@  %.2f dB  MS-SSIM %@  enc %.2f s  dec %.2f s", m.bpp,
                 Self.estimate(m.estimatedBpp), m.psnr, m.msSSIM.map { String(format: "%.4f", $0) } ?? "-", m.encodeSeconds,
                 m.decodeSeconds))
    if let json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(report).write(to: URL(fileURLWithPath: json), options: .atomic)
    }
  }
}

extension Eval {
  /// " (est. 0.6512)" for a float model's likelihood estimate; nothing when the model has none (integer models).
  static func estimate(_ bpp: Double?) -> String {
    guard let bpp, bpp.isFinite else { return "" }
    return String(format: " (est. %.4f)", bpp)
  }
}

/// `lichen models`: the registry with sizes, recorded Kodak RD and the engine each name runs on.
struct Models: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List the bundled models.")

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try global.apply()
    ModelRegistry.listing.forEach { print($0) }
  }
}
