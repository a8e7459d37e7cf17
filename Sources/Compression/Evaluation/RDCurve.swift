import Foundation
import Reporting

/// Which quality axis an RD curve is read on.
public enum RDMetric: String, Sendable, CaseIterable, Codable {
  case psnr
  case msSSIM = "ms-ssim"

  /// Axis label; MS-SSIM is shown in dB because its useful range is squeezed
  /// against 1 (0.97 vs 0.99 is a large step) and BD deltas need a roughly
  /// linear-in-log-rate quality.
  public var label: String {
    switch self {
    case .psnr: return "PSNR (dB)"
    case .msSSIM: return "MS-SSIM (dB)"
    }
  }

  /// Name of the BD-quality delta on this axis.
  public var deltaName: String {
    switch self {
    case .psnr: return "BD-PSNR"
    case .msSSIM: return "BD-MS-SSIM"
    }
  }

  /// `-10 log10(1 - ms_ssim)`: MS-SSIM on a dB scale, as in the learned
  /// compression literature. Infinite for a perfect score.
  public static func decibels(msSSIM: Double) -> Double {
    -10 * Foundation.log10(1 - msSSIM)
  }
}

/// Why evaluation files could not become RD curves.
public enum RDCurveError: Error, CustomStringConvertible {
  case unreadable(file: String, reason: String)
  case missingMetric(series: String, model: String, metric: RDMetric)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason):
      return "\(file) is not a lichen eval JSON file: \(reason)"
    case .missingMetric(let series, let model, let metric):
      return "series \(series): \(model) has no \(metric.rawValue) value (MS-SSIM is measured only on images over "
        + "160 pixels a side, and not at all by classic_codecs.py --no-ms-ssim)"
    }
  }
}

/// The RD points of one codec family: one point per evaluation file (one
/// model or quality setting), from the file's mean row, sorted by bpp.
/// Built from `lichen eval --json` files and the same-format files of
/// `scripts/peers/classic_codecs.py`, so learned and classic codecs are
/// compared by one code path.
public struct RDCurve: Sendable {
  /// One evaluation file's mean.
  public struct Point: Sendable {
    public var model: String
    public var bpp: Double
    public var psnr: Double
    public var msSSIM: Double?
    public var file: String

    public init(model: String, bpp: Double, psnr: Double, msSSIM: Double?, file: String) {
      self.model = model
      self.bpp = bpp
      self.psnr = psnr
      self.msSSIM = msSSIM
      self.file = file
    }

    /// The quality on `metric`'s axis in dB, nil when it was not measured.
    public func quality(_ metric: RDMetric) -> Double? {
      switch metric {
      case .psnr: return psnr
      case .msSSIM: return msSSIM.map(RDMetric.decibels(msSSIM:))
      }
    }
  }

  public var series: String
  public var points: [Point]

  public init(series: String, points: [Point]) {
    self.series = series
    self.points = points.sorted { $0.bpp < $1.bpp }
  }

  /// (bpp, quality in dB) pairs for plotting and Bjøntegaard deltas.
  public func rdPoints(_ metric: RDMetric) throws(RDCurveError) -> [RDPoint] {
    try points.map { (p: Point) throws(RDCurveError) -> RDPoint in
      guard let q = p.quality(metric) else {
        throw .missingMetric(series: series, model: p.model, metric: metric)
      }
      return RDPoint(rate: p.bpp, quality: q)
    }
  }

  /// The codec family of a model name: the last path component without a
  /// weights extension, less a trailing `-<letters><number>` quality tag
  /// (`jpeg-q50` -> `jpeg`, `hyperprior-q3` -> `hyperprior`, `jxl-d1.5` ->
  /// `jxl`, `runs/a/mbt-q4.safetensors` -> `mbt`). Names without such a tag
  /// are their own series. A `-q<number>` tag inside the name is dropped too
  /// (`hyperprior-q3-N64-distilled` -> `hyperprior-N64-distilled`), so
  /// variants of a quality-indexed family form their own series.
  /// Series of other codecs (the classic codecs, CompressAI): RD plots draw
  /// them under Lichen's own series, which are emphasised.
  public static func isPeer(_ series: String) -> Bool {
    let peers = ["jpeg", "webp", "jxl", "jpeg2000", "hevc", "avif", "compressai", "bpg", "vvc"]
    return peers.contains { series == $0 || series.hasPrefix($0 + "-") }
  }

  public static func seriesName(forModel model: String) -> String {
    var name = model.split(separator: "/").last.map(String.init) ?? model
    for ext in [".safetensors", ".pth", ".pt", ".json"] where name.hasSuffix(ext) {
      name.removeLast(ext.count)
    }
    let parts = name.split(separator: "-", omittingEmptySubsequences: false)
    if parts.count > 2, let inner = parts.indices.dropFirst().dropLast().first(where: { i in
      parts[i].count > 1 && parts[i].first == "q" && parts[i].dropFirst().allSatisfy(\.isNumber)
    }), !parts[0].isEmpty {
      var kept = parts
      kept.remove(at: inner)
      return kept.joined(separator: "-")
    }
    guard let dash = name.lastIndex(of: "-"), dash != name.startIndex else { return name }
    let tag = name[name.index(after: dash)...]
    let letters = tag.prefix { $0.isLetter }
    let number = tag.dropFirst(letters.count)
    let isNumber = !number.isEmpty && number.first?.isNumber == true && number.allSatisfy { $0.isNumber || $0 == "." }
      && number.filter { $0 == "." }.count <= 1
    return isNumber ? String(name[..<dash]) : name
  }

  /// The series Bjøntegaard deltas are measured against: `name` when given, else jpeg when present, else the
  /// first series (papers and peers report against a JPEG anchor).
  /// - Returns: the anchor's series name, or nil when no curve is named `name` (or there are no curves).
  public static func anchor(named name: String?, in curves: [RDCurve]) -> String? {
    guard let first = curves.first else { return nil }
    let anchor = name ?? (curves.contains { $0.series == "jpeg" } ? "jpeg" : first.series)
    return curves.contains { $0.series == anchor } ? anchor : nil
  }

  /// Reads evaluation files and groups them into curves by series name, in
  /// the order each series first appears.
  public static func load(files: [URL]) throws(RDCurveError) -> [RDCurve] {
    var order: [String] = []
    var grouped: [String: [Point]] = [:]
    for url in files {
      let report: EvaluationReport
      do {
        report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: url))
      } catch {
        throw .unreadable(file: url.path, reason: String(describing: error))
      }
      let series = seriesName(forModel: report.model)
      if grouped[series] == nil { order.append(series) }
      grouped[series, default: []].append(
        Point(model: report.model, bpp: report.mean.bpp, psnr: report.mean.psnr, msSSIM: report.mean.msSSIM,
              file: url.path))
    }
    return order.map { RDCurve(series: $0, points: grouped[$0] ?? []) }
  }
}

/// Bjøntegaard deltas of one series against an anchor, by both methods.
/// Each value is a `Result` so one unusable pair (too few points, no
/// overlap) leaves the rest of a table intact.
public struct BjontegaardRow: Sendable {
  public var series: String
  public var anchor: String
  public var metric: RDMetric
  public var pointCount: Int
  /// BD-rate in percent, per method.
  public var deltaRate: [Bjontegaard.Method: Result<Double, BjontegaardError>]
  /// BD-quality in dB (BD-PSNR for PSNR), per method.
  public var deltaQuality: [Bjontegaard.Method: Result<Double, BjontegaardError>]
  /// Shared fraction of the quality range (BD-rate axis) and log-rate range (BD-quality axis).
  public var qualityOverlap: Double
  public var rateOverlap: Double

  /// Deltas of every curve but the anchor against the anchor.
  public static func table(
    _ curves: [RDCurve], anchor: String, metric: RDMetric
  ) throws(RDCurveError) -> [BjontegaardRow] {
    guard let reference = curves.first(where: { $0.series == anchor }) else { return [] }
    let anchorPoints = try reference.rdPoints(metric)
    var rows: [BjontegaardRow] = []
    for curve in curves where curve.series != anchor {
      let points = try curve.rdPoints(metric)
      var rate: [Bjontegaard.Method: Result<Double, BjontegaardError>] = [:]
      var quality: [Bjontegaard.Method: Result<Double, BjontegaardError>] = [:]
      for method in Bjontegaard.Method.allCases {
        rate[method] = Result { () throws(BjontegaardError) -> Double in
          try Bjontegaard.deltaRate(of: points, against: anchorPoints, method: method)
        }
        quality[method] = Result { () throws(BjontegaardError) -> Double in
          try Bjontegaard.deltaQuality(of: points, against: anchorPoints, method: method)
        }
      }
      rows.append(
        BjontegaardRow(
          series: curve.series, anchor: anchor, metric: metric, pointCount: points.count, deltaRate: rate,
          deltaQuality: quality,
          qualityOverlap: Bjontegaard.overlap(of: points, against: anchorPoints, alongQuality: true),
          rateOverlap: Bjontegaard.overlap(of: points, against: anchorPoints, alongQuality: false)))
    }
    return rows
  }
}

extension RDCurve {
  /// The RD plot of `curves` on `metric` (bits per pixel from zero; peers' series drawn plain, ours emphasized).
  /// - Parameter title: nil: "Rate-distortion (RGB PSNR)" or "Rate-distortion (MS-SSIM)".
  /// - Throws: `RDCurveError` when a curve lacks the metric.
  public static func plot(_ curves: [RDCurve], metric: RDMetric, title: String?) throws -> SVGPlot {
    SVGPlot(
      title: title ?? "Rate-distortion (\(metric == .psnr ? "RGB PSNR" : "MS-SSIM"))", xLabel: "bits per pixel",
      yLabel: metric.label,
      series: try curves.map { curve in
        SVGPlot.Series(name: curve.series, points: try curve.rdPoints(metric).map { ($0.rate, $0.quality) },
                       emphasized: !isPeer(curve.series))
      }, xFromZero: true)
  }
}
