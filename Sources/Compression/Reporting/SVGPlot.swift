import Foundation

/// A minimal line/scatter chart written as SVG (no dependencies), for
/// training curves and RD plots.
public struct SVGPlot {
  public struct Series {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var markers: Bool
    public init(name: String, points: [(x: Double, y: Double)], markers: Bool = true) {
      self.name = name
      self.points = points
      self.markers = markers
    }
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [Series]
  public var width = 720.0
  public var height = 480.0

  public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
  }

  public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                        "#bcbd22", "#17becf"]

  public func render() -> String {
    let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let (x0, x1) = Self.range(all.map(\.x))
    let (y0, y1) = Self.range(all.map(\.y))
    let left = 70.0, right = 170.0, top = 40.0, bottom = 50.0
    let pw = width - left - right, ph = height - top - bottom
    func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
    func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * ph }
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    s += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(Self.escape(title))</text>\n"
    for i in 0...5 {
      let fx = x0 + (x1 - x0) * Double(i) / 5, fy = y0 + (y1 - y0) * Double(i) / 5
      s += "<line x1=\"\(px(fx))\" y1=\"\(top)\" x2=\"\(px(fx))\" y2=\"\(top + ph)\" stroke=\"#eee\"/>\n"
      s += "<line x1=\"\(left)\" y1=\"\(py(fy))\" x2=\"\(left + pw)\" y2=\"\(py(fy))\" stroke=\"#eee\"/>\n"
      s += "<text x=\"\(px(fx))\" y=\"\(top + ph + 16)\" text-anchor=\"middle\">\(Self.format(fx))</text>\n"
      s += "<text x=\"\(left - 6)\" y=\"\(py(fy) + 4)\" text-anchor=\"end\">\(Self.format(fy))</text>\n"
    }
    s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"black\"/>\n"
    s += "<text x=\"\(left + pw / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
    s += "<text transform=\"translate(16 \(top + ph / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
    for (i, serie) in series.enumerated() {
      let color = Self.palette[i % Self.palette.count]
      let pts = serie.points.filter { $0.x.isFinite && $0.y.isFinite }
      if pts.count > 1 {
        let path = pts.map { "\(px($0.x)),\(py($0.y))" }.joined(separator: " ")
        s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
      }
      if serie.markers {
        for p in pts { s += "<circle cx=\"\(px(p.x))\" cy=\"\(py(p.y))\" r=\"3\" fill=\"\(color)\"/>\n" }
      }
      let ly = top + 14 + Double(i) * 18
      s += "<rect x=\"\(left + pw + 12)\" y=\"\(ly - 9)\" width=\"12\" height=\"3\" fill=\"\(color)\"/>\n"
      s += "<text x=\"\(left + pw + 30)\" y=\"\(ly)\">\(Self.escape(serie.name))</text>\n"
    }
    return s + "</svg>\n"
  }

  /// Writes atomically.
  public func write(to url: URL) throws {
    try Data(render().utf8).write(to: url, options: .atomic)
  }

  static func range(_ values: [Double]) -> (Double, Double) {
    guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
    if lo == hi { return (lo - 1, hi + 1) }
    let pad = (hi - lo) * 0.05
    return (lo - pad, hi + pad)
  }

  public static func format(_ v: Double) -> String {
    Swift.abs(v) >= 1000 || (Swift.abs(v) < 0.01 && v != 0) ? String(format: "%.2g", v) : String(format: "%.3g", v)
  }

  public static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}

/// Training curves (loss, bpp, PSNR against step) from a trainer's CSV log.
enum TrainingPlot {
  static func write(log: URL, to url: URL) throws {
    let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").dropFirst()
    var psnr: [(Double, Double)] = [], bpp: [(Double, Double)] = [], valPSNR: [(Double, Double)] = []
    for line in lines {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
      guard f.count >= 10, let step = f[0] else { continue }
      if let p = f[4] { psnr.append((step, p)) }
      if let b = f[3] { bpp.append((step, b)) }
      if let vp = f[8] { valPSNR.append((step, vp)) }
    }
    func smooth(_ points: [(Double, Double)]) -> [(x: Double, y: Double)] {
      let k = Swift.max(1, points.count / 200)
      return stride(from: 0, to: points.count, by: k).map { i in
        let chunk = points[i..<Swift.min(points.count, i + k)]
        return (chunk.map(\.0).reduce(0, +) / Double(chunk.count), chunk.map(\.1).reduce(0, +) / Double(chunk.count))
      }
    }
    let plot = SVGPlot(title: "Training curves", xLabel: "step", yLabel: "PSNR (dB) / bpp x 10", series: [
      .init(name: "train PSNR", points: smooth(psnr), markers: false),
      .init(name: "train bpp x 10", points: smooth(bpp).map { ($0.x, $0.y * 10) }, markers: false),
      .init(name: "val PSNR", points: valPSNR.map { ($0.0, $0.1) }),
    ])
    try plot.write(to: url)
  }
}
