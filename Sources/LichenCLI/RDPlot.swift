import ArgumentParser
import Compression
import Foundation

extension RDMetric: ExpressibleByArgument {}

/// `lichen rd-plot FILE.json... --out plot.svg`: RD curves of evaluation
/// files (learned or classic codecs) and their Bjøntegaard deltas against an
/// anchor, so a new model is summarised the way papers and peers report it.
struct RDPlot: ParsableCommand {
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
    try global.apply()
    let curves = try RDCurve.load(files: try Self.expand(files))
    guard !curves.isEmpty else { throw ValidationError("no evaluation files given") }
    let anchorName = anchor ?? (curves.contains { $0.series == "jpeg" } ? "jpeg" : curves[0].series)
    guard curves.contains(where: { $0.series == anchorName }) else {
      throw ValidationError(
        "no series named \(anchorName); series: \(curves.map(\.series).joined(separator: ", "))")
    }

    let plot = SVGPlot(
      title: title ?? "Rate-distortion (\(metric == .psnr ? "RGB PSNR" : "MS-SSIM"))", xLabel: "bits per pixel",
      yLabel: metric.label,
      series: try curves.map { curve in
        SVGPlot.Series(name: curve.series, points: try curve.rdPoints(metric).map { ($0.rate, $0.quality) },
                       emphasized: !RDCurve.isPeer(curve.series))
      }, xFromZero: true)
    try plot.write(to: URL(fileURLWithPath: out))
    print("wrote \(out): \(curves.count) series, \(curves.map(\.points.count).reduce(0, +)) points")

    let rows = try BjontegaardRow.table(curves, anchor: anchorName, metric: metric)
    print(Self.text(rows, anchor: anchorName, metric: metric))
    if let table {
      try Data(Self.csv(rows).utf8).write(to: URL(fileURLWithPath: table), options: .atomic)
      print("wrote \(table)")
    }
  }

  /// Files as given; folders become their .json files, sorted by name.
  static func expand(_ paths: [String]) throws -> [URL] {
    var urls: [URL] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ValidationError("\(path) does not exist")
      }
      if isDirectory.boolValue {
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }.sorted()
        urls += names.map { URL(fileURLWithPath: path).appendingPathComponent($0) }
      } else {
        urls.append(URL(fileURLWithPath: path))
      }
    }
    return urls
  }

  static func text(_ rows: [BjontegaardRow], anchor: String, metric: RDMetric) -> String {
    func cell(_ result: Result<Double, BjontegaardError>?, overlap: Double, format: String) -> String {
      switch result {
      case .success(let v)?: return String(format: format, v) + (overlap < 0.75 ? "*" : " ")
      case .failure?, nil: return "n/a "
      }
    }
    let width = max(14, rows.map(\.series.count).max() ?? 0)
    let header = [
      "series".padding(toLength: width, withPad: " ", startingAt: 0), "pts",
      "BD-rate cubic", "BD-rate pchip", "\(metric.deltaName) cubic", "\(metric.deltaName) pchip",
    ]
    var lines = ["Bjontegaard deltas against \(anchor) (\(metric.label)); negative BD-rate = fewer bits",
                 header.joined(separator: "  ")]
    var failures: [String] = []
    for row in rows {
      var fields = [
        row.series.padding(toLength: width, withPad: " ", startingAt: 0), String(format: "%3d", row.pointCount),
      ]
      for method in Bjontegaard.Method.allCases {
        fields.append(cell(row.deltaRate[method], overlap: row.qualityOverlap, format: "%+11.2f %%")
          .leftPadded(to: 13))
      }
      for method in Bjontegaard.Method.allCases {
        fields.append(cell(row.deltaQuality[method], overlap: row.rateOverlap, format: "%+9.3f dB")
          .leftPadded(to: metric.deltaName.count + 6))
      }
      lines.append(fields.joined(separator: "  "))
      for result in Array(row.deltaRate.values) + Array(row.deltaQuality.values) {
        if case .failure(let error) = result { failures.append("\(row.series): \(error)") }
      }
    }
    lines += Array(Set(failures)).sorted().map { "n/a: \($0)" }
    return lines.joined(separator: "\n")
  }

  static func csv(_ rows: [BjontegaardRow]) -> String {
    func value(_ result: Result<Double, BjontegaardError>?) -> String {
      if case .success(let v)? = result { return String(format: "%.6f", v) }
      return ""
    }
    var lines = [
      "series,anchor,metric,points,bd_rate_cubic_percent,bd_rate_pchip_percent,bd_quality_cubic_db,"
        + "bd_quality_pchip_db,quality_overlap,rate_overlap"
    ]
    for row in rows {
      lines.append(
        [row.series, row.anchor, row.metric.rawValue, String(row.pointCount), value(row.deltaRate[.cubic]),
         value(row.deltaRate[.pchip]), value(row.deltaQuality[.cubic]), value(row.deltaQuality[.pchip]),
         String(format: "%.4f", row.qualityOverlap), String(format: "%.4f", row.rateOverlap)]
          .joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
