import Foundation

extension RDCurve {
  /// Files as given; folders become their .json files, sorted by name.
  /// - Parameter paths: evaluation files or folders of them.
  /// - Returns: the files, folders replaced by their .json files.
  public static func files(expanding paths: [String]) throws(RDCurveError) -> [URL] {
    var urls: [URL] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw .unreadable(file: path, reason: "no such file or folder")
      }
      if isDirectory.boolValue {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
          throw .unreadable(file: path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        urls += names.filter { $0.hasSuffix(".json") }.sorted().map { URL(fileURLWithPath: path).appendingPathComponent($0) }
      } else {
        urls.append(URL(fileURLWithPath: path))
      }
    }
    return urls
  }
}

extension BjontegaardRow {
  /// The Bjontegaard table as text: one row per series, '*' where the curves overlap under 75%.
  public static func text(_ rows: [BjontegaardRow], anchor: String, metric: RDMetric) -> String {
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

  /// The Bjontegaard table as CSV (the layout `fpga dimension --bits-price` reads).
  public static func csv(_ rows: [BjontegaardRow]) -> String {
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
