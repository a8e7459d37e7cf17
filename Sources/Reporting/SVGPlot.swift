import Foundation

/// A line/scatter chart written as SVG (no dependencies), for training
/// curves, RD plots and attack sweeps: round-number ticks, axes fitted to the
/// data (optionally from zero), the emphasised series (ours) drawn on top,
/// and a legend sized to its labels so nothing is clipped.
public struct SVGPlot {
  public struct Series {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var markers: Bool
    /// Drawn last, thicker: the series the plot is about (Lichen's own).
    public var emphasized: Bool
    public init(name: String, points: [(x: Double, y: Double)], markers: Bool = true, emphasized: Bool = false) {
      self.name = name
      self.points = points
      self.markers = markers
      self.emphasized = emphasized
    }
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [Series]
  public var width = 720.0
  public var height = 480.0
  /// Start the x axis at 0 (rates: bits per pixel are never negative).
  public var xFromZero = false
  public var yFromZero = false

  public init(title: String, xLabel: String, yLabel: String, series: [Series], xFromZero: Bool = false,
              yFromZero: Bool = false) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.xFromZero = xFromZero
    self.yFromZero = yFromZero
  }

  public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                        "#bcbd22", "#17becf"]

  /// Approximate width of `text` at the 12 px sans-serif the charts use.
  public static func textWidth(_ text: String, fontSize: Double = 12) -> Double { Double(text.count) * fontSize * 0.6 }

  /// Total width including the legend column (wider than `width` when labels are long).
  public var renderedWidth: Double {
    let legend = (series.map { Self.textWidth($0.name) }.max() ?? 0) + 44
    return Swift.max(width, 70 + 300 + legend + 10)
  }

  public func render() -> String {
    let totalWidth = renderedWidth
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(totalWidth))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    s += body(width: totalWidth)
    return s + "</svg>\n"
  }

  /// The chart's elements (no `<svg>` wrapper), laid out in `width` x `height`.
  func body(width totalWidth: Double) -> String {
    let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let xAxis = NiceAxis(all.map(\.x), fromZero: xFromZero)
    let yAxis = NiceAxis(all.map(\.y), fromZero: yFromZero)
    let legendWidth = (series.map { Self.textWidth($0.name) }.max() ?? 0) + 44
    let yTickWidth = yAxis.ticks.map { Self.textWidth(yAxis.label($0)) }.max() ?? 0
    let left = Swift.max(60, yTickWidth + 34), top = 40.0, bottom = 50.0
    let right = legendWidth + 10
    let pw = totalWidth - left - right, ph = height - top - bottom
    func px(_ x: Double) -> Double { left + (x - xAxis.lower) / (xAxis.upper - xAxis.lower) * pw }
    func py(_ y: Double) -> Double { top + (1 - (y - yAxis.lower) / (yAxis.upper - yAxis.lower)) * ph }
    var s = "<text x=\"\(f(totalWidth / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(Self.escape(title))</text>\n"
    for x in xAxis.ticks {
      s += "<line x1=\"\(f(px(x)))\" y1=\"\(f(top))\" x2=\"\(f(px(x)))\" y2=\"\(f(top + ph))\" stroke=\"#eee\"/>\n"
      s += "<text class=\"xtick\" x=\"\(f(px(x)))\" y=\"\(f(top + ph + 16))\" text-anchor=\"middle\">\(xAxis.label(x))</text>\n"
    }
    for y in yAxis.ticks {
      s += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(left + pw))\" y2=\"\(f(py(y)))\" stroke=\"#eee\"/>\n"
      s += "<text class=\"ytick\" x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(yAxis.label(y))</text>\n"
    }
    s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"black\"/>\n"
    s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
    s += "<text transform=\"translate(16 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
    // Others first, the emphasised series last so it lies on top.
    let order = series.indices.filter { !series[$0].emphasized } + series.indices.filter { series[$0].emphasized }
    for i in order {
      let serie = series[i]
      let color = Self.palette[i % Self.palette.count]
      let pts = serie.points.filter { $0.x.isFinite && $0.y.isFinite }
      let stroke = serie.emphasized ? 3.0 : 1.5, radius = serie.emphasized ? 4.0 : 3.0
      if pts.count > 1 {
        let path = pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
        s += "<polyline class=\"series\" data-name=\"\(Self.escape(serie.name))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(stroke)\" points=\"\(path)\"/>\n"
      }
      if serie.markers {
        for p in pts { s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"\(radius)\" fill=\"\(color)\"/>\n" }
      }
    }
    for (i, serie) in series.enumerated() {
      let color = Self.palette[i % Self.palette.count]
      let ly = top + 14 + Double(i) * 18
      s += "<rect x=\"\(f(left + pw + 12))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"\(serie.emphasized ? 5 : 3)\" fill=\"\(color)\"/>\n"
      s += "<text x=\"\(f(left + pw + 30))\" y=\"\(f(ly))\"\(serie.emphasized ? " font-weight=\"bold\"" : "")>\(Self.escape(serie.name))</text>\n"
    }
    return s
  }

  /// Several charts stacked vertically in one SVG (one quantity per panel).
  public static func stacked(_ plots: [SVGPlot]) -> String {
    let width = plots.map(\.renderedWidth).max() ?? 720
    let height = plots.map(\.height).reduce(0, +)
    var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    var offset = 0.0
    for plot in plots {
      s += "<g transform=\"translate(0 \(f(offset)))\">\n" + plot.body(width: width) + "</g>\n"
      offset += plot.height
    }
    return s + "</svg>\n"
  }

  /// Writes atomically.
  public func write(to url: URL) throws {
    try Data(render().utf8).write(to: url, options: .atomic)
  }

  public static func format(_ v: Double) -> String {
    Swift.abs(v) >= 1000 || (Swift.abs(v) < 0.01 && v != 0) ? String(format: "%.2g", v) : String(format: "%.3g", v)
  }

  public static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}

/// Coordinates with two decimals: enough for a screen, and stable text.
private func f(_ v: Double) -> String { String(format: "%.2f", v) }

/// An axis from the data to round numbers: a step of 1, 2, 2.5 or 5 times a
/// power of ten, giving 4 to 8 ticks, the range widened to whole steps.
public struct NiceAxis: Equatable {
  public var lower: Double
  public var upper: Double
  public var step: Double
  public var ticks: [Double]
  /// Decimals that show every tick exactly.
  public var decimals: Int

  public init(_ values: [Double], fromZero: Bool = false, maxTicks: Int = 7) {
    let finite = values.filter(\.isFinite)
    var lo = finite.min() ?? 0, hi = finite.max() ?? 1
    if fromZero { lo = Swift.min(0, lo); hi = Swift.max(0, hi) }
    if lo == hi {
      let pad = lo == 0 ? 1 : Swift.abs(lo) * 0.1
      (lo, hi) = (lo - pad, hi + pad)
      if fromZero, lo < 0, (finite.min() ?? 0) >= 0 { lo = 0 }
    }
    let raw = (hi - lo) / Double(Swift.max(2, maxTicks) - 1)
    let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
    var multiple = 10.0
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] where m * magnitude >= raw * (1 - 1e-9) {
      multiple = m
      break
    }
    step = multiple * magnitude
    let first = Foundation.floor(lo / step + 1e-9), last = Foundation.ceil(hi / step - 1e-9)
    lower = first * step
    upper = Swift.max(last, first + 1) * step
    let tickStep = multiple * magnitude
    ticks = (Int(first)...Int(Swift.max(last, first + 1))).map { Double($0) * tickStep }
    let places = -Int(Foundation.floor(Foundation.log10(step) + 1e-9))
    decimals = Swift.max(0, places + (multiple == 2.5 ? 1 : 0))
  }

  /// The tick's text: fixed decimals, no "-0".
  public func label(_ value: Double) -> String {
    let text = String(format: "%.\(decimals)f", value)
    return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
  }
}
