import ArgumentParser
import Compression
import Foundation

extension RDMetric: ExpressibleByArgument {}

/// `lichen rd-plot FILE.json... --out plot.svg`: RD curves of evaluation
/// files (learned or classic codecs) and their Bjøntegaard deltas against an
/// anchor, so a new model is summarised the way papers and peers report it.
struct RDPlot: GlobalOptionsCommand {
  static let configuration = CommandConfiguration(
    commandName: "rd-plot",
    abstract: "Plot RD curves of eval JSON files and print BD-rate / BD-PSNR against an anchor series.",
    discussion: """
      Each file (from `lichen eval --json` or scripts/peers/classic_codecs.py) is one RD point; files are grouped \
      into series by model name ("jpeg-q50" -> "jpeg"). A folder stands for every .json file in it. Deltas are \
      given by both the VCEG-M33 cubic fit and piecewise cubic Hermite (PCHIP) interpolation; '*' marks an \
      overlap under 75% of the two curves' joint range.
      """)

  @Argument(help: "Evaluation JSON files, or folders of them.") var files: [String]
  @Option(help: "Write the SVG plot here.") var out: String
  @Option(help: "Quality axis: psnr or ms-ssim (shown in dB, -10 log10(1 - MS-SSIM)).") var metric: RDMetric = .psnr
  @Option(help: "Series the deltas are measured against (default: jpeg if present, else the first series).")
  var anchor: String?
  @Option(help: "Also write the BD table as CSV here.") var table: String?
  @Option(help: "Plot title.") var title: String?

  @OptionGroup var global: GlobalOptions

  func run() throws {
    let curves = try RDCurve.load(files: try RDCurve.files(expanding: files))
    guard !curves.isEmpty else { throw ValidationError("no evaluation files given") }
    guard let anchorName = RDCurve.anchor(named: anchor, in: curves) else {
      throw ValidationError("no series named \(anchor ?? ""); series: \(curves.map(\.series).joined(separator: ", "))")
    }

    try RDCurve.plot(curves, metric: metric, title: title).write(to: URL(fileURLWithPath: out))
    print("wrote \(out): \(curves.count) series, \(curves.map(\.points.count).reduce(0, +)) points")

    let rows = try BjontegaardRow.table(curves, anchor: anchorName, metric: metric)
    print(BjontegaardRow.text(rows, anchor: anchorName, metric: metric))
    try writeFile(table) { try Data(BjontegaardRow.csv(rows).utf8).write(to: $0, options: .atomic) }
  }
}
