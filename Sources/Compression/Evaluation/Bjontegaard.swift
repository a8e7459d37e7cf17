import Foundation

/// One rate-distortion point: a rate (bpp, kbit/s, bytes: any positive unit,
/// as long as both curves use the same one) and a quality in dB (PSNR, or
/// MS-SSIM as `-10 log10(1 - ms_ssim)`).
public struct RDPoint: Sendable, Hashable, Codable {
  public var rate: Double
  public var quality: Double

  public init(rate: Double, quality: Double) {
    self.rate = rate
    self.quality = quality
  }
}

/// Why a Bjøntegaard delta could not be computed.
public enum BjontegaardError: Error, Equatable, CustomStringConvertible {
  /// A curve has fewer points than a cubic needs.
  case tooFewPoints(curve: String, count: Int, minimum: Int)
  /// A rate is zero, negative or not finite, or a quality is not finite.
  case invalidPoint(curve: String, rate: Double, quality: Double)
  /// Quality does not rise strictly with rate, so quality -> rate is not a function.
  case notMonotonic(curve: String)
  /// The curves share no quality range (BD-rate) or no rate range (BD-PSNR).
  case noOverlap(axis: String, anchor: ClosedRange<Double>, test: ClosedRange<Double>)

  public var description: String {
    switch self {
    case .tooFewPoints(let curve, let count, let minimum):
      return "the \(curve) curve has \(count) rate-distortion points; a Bjontegaard delta needs at least \(minimum)"
    case .invalidPoint(let curve, let rate, let quality):
      return "the \(curve) curve has an invalid point (rate \(rate), quality \(quality)): rates must be positive and "
        + "both values finite"
    case .notMonotonic(let curve):
      return "the \(curve) curve is not monotonic: quality must rise strictly with rate"
    case .noOverlap(let axis, let anchor, let test):
      return "the curves do not overlap in \(axis) (anchor \(anchor.lowerBound)...\(anchor.upperBound), "
        + "test \(test.lowerBound)...\(test.upperBound))"
    }
  }
}

/// Bjøntegaard delta metrics: the average horizontal (rate) and vertical
/// (quality) gap between two RD curves over the range where both are
/// measured. They are the standard one-number summaries of a codec
/// comparison, so a paper's or a peer's table can be checked against ours.
///
/// Both published interpolations are provided, because they disagree on
/// curves with few or unevenly spaced points and tables quote either:
/// - ``Method/cubic``: G. Bjøntegaard, VCEG-M33 (2001). One least-squares
///   cubic through all points of a curve (log-rate as a cubic of quality for
///   BD-rate, quality as a cubic of log-rate for BD-PSNR), integrated over the
///   overlap. Can oscillate between points.
/// - ``Method/pchip``: piecewise cubic Hermite interpolation with
///   Fritsch-Carlson monotone slopes, as in the JCT-VC common test conditions
///   (JCTVC-L1100) Excel sheet and the `bjontegaard` Python package's
///   `"pchip"` method (which uses SciPy's `PchipInterpolator`; this follows
///   its slope and end-point rules exactly). Never overshoots the data.
///
/// Conventions match that package: rates enter as logarithms; BD-rate is
/// `(exp(mean log-rate difference) - 1) * 100` percent, negative when the
/// test codec needs fewer bits; BD-PSNR is the mean quality difference in dB,
/// positive when the test codec is better.
public enum Bjontegaard {
  /// How a curve is interpolated between its points.
  public enum Method: String, Sendable, CaseIterable, Codable {
    case cubic
    case pchip
  }

  /// The fewest points per curve: a cubic has four coefficients.
  public static let minimumPointCount = 4

  /// BD-rate in percent: the average rate change of `test` against `anchor`
  /// at equal quality, over the quality range both curves cover.
  public static func deltaRate(
    of test: [RDPoint], against anchor: [RDPoint], method: Method = .pchip
  ) throws(BjontegaardError) -> Double {
    let a = try validated(anchor, name: "anchor")
    let t = try validated(test, name: "test")
    // x = quality, y = ln(rate): both increasing after validation.
    let mean = try averageGap(
      anchor: (a.map(\.quality), a.map { Foundation.log($0.rate) }),
      test: (t.map(\.quality), t.map { Foundation.log($0.rate) }), axis: "quality", method: method)
    return (Foundation.exp(mean) - 1) * 100
  }

  /// BD-PSNR (or BD-quality for any dB metric): the average quality change
  /// of `test` against `anchor` at equal rate, over the log-rate range both
  /// curves cover.
  public static func deltaQuality(
    of test: [RDPoint], against anchor: [RDPoint], method: Method = .pchip
  ) throws(BjontegaardError) -> Double {
    let a = try validated(anchor, name: "anchor")
    let t = try validated(test, name: "test")
    return try averageGap(
      anchor: (a.map { Foundation.log($0.rate) }, a.map(\.quality)),
      test: (t.map { Foundation.log($0.rate) }, t.map(\.quality)), axis: "rate", method: method)
  }

  /// How much of the union of the two curves' ranges they share, in `0...1`,
  /// along quality (`alongQuality`, the BD-rate integration axis) or
  /// log-rate. The `bjontegaard` package warns below 0.75: a delta over a
  /// sliver of overlap says little about the codecs.
  public static func overlap(of test: [RDPoint], against anchor: [RDPoint], alongQuality: Bool) -> Double {
    let key: (RDPoint) -> Double = alongQuality ? { $0.quality } : { Foundation.log($0.rate) }
    let a = anchor.map(key), t = test.map(key)
    guard let a0 = a.min(), let a1 = a.max(), let t0 = t.min(), let t1 = t.max() else { return 0 }
    let union = Swift.max(a1, t1) - Swift.min(a0, t0)
    guard union > 0 else { return 0 }
    return Swift.max(Swift.min(a1, t1) - Swift.max(a0, t0), 0) / union
  }

  /// The rate change in percent of one point against the anchor curve at the point's quality
  /// (the anchor's log-rate interpolated as BD-rate's PCHIP does): a one-point BD-rate, for a
  /// model whose other operating points do not exist yet (a training run's validations).
  /// - Returns: nil when the point's quality lies outside the anchor's quality range.
  public static func rateChange(of point: RDPoint, against anchor: [RDPoint]) throws(BjontegaardError) -> Double? {
    let a = try validated(anchor, name: "anchor")
    guard point.rate > 0, point.rate.isFinite, point.quality.isFinite else {
      throw .invalidPoint(curve: "test", rate: point.rate, quality: point.quality)
    }
    guard let low = a.first?.quality, let high = a.last?.quality, (low...high).contains(point.quality) else { return nil }
    let logRate = MonotoneCubic(x: a.map(\.quality), y: a.map { Foundation.log($0.rate) }).value(at: point.quality)
    return (point.rate / Foundation.exp(logRate) - 1) * 100
  }

  // MARK: - Validation

  /// Sorts by rate and checks the preconditions shared by both methods.
  static func validated(_ points: [RDPoint], name: String) throws(BjontegaardError) -> [RDPoint] {
    guard points.count >= minimumPointCount else {
      throw .tooFewPoints(curve: name, count: points.count, minimum: minimumPointCount)
    }
    for p in points where !(p.rate > 0 && p.rate.isFinite && p.quality.isFinite) {
      throw .invalidPoint(curve: name, rate: p.rate, quality: p.quality)
    }
    let sorted = points.sorted { $0.rate < $1.rate }
    for (lower, upper) in zip(sorted, sorted.dropFirst())
    where !(upper.rate > lower.rate && upper.quality > lower.quality) {
      throw .notMonotonic(curve: name)
    }
    return sorted
  }

  // MARK: - Integration

  /// Mean of `test(x) - anchor(x)` over the x-range both curves cover.
  /// Both x arrays are strictly increasing.
  static func averageGap(
    anchor: ([Double], [Double]), test: ([Double], [Double]), axis: String, method: Method
  ) throws(BjontegaardError) -> Double {
    let (ax, ay) = anchor, (tx, ty) = test
    // Validation guarantees four or more points, so first/last exist.
    guard let a0 = ax.first, let a1 = ax.last, let t0 = tx.first, let t1 = tx.last else {
      throw .tooFewPoints(curve: "anchor", count: 0, minimum: minimumPointCount)
    }
    let low = Swift.max(a0, t0), high = Swift.min(a1, t1)
    guard high > low else { throw .noOverlap(axis: axis, anchor: a0...a1, test: t0...t1) }
    let integral: ([Double], [Double]) -> Double
    switch method {
    case .cubic: integral = { x, y in CubicFit(x: x, y: y).integral(from: low, to: high) }
    case .pchip: integral = { x, y in MonotoneCubic(x: x, y: y).integral(from: low, to: high) }
    }
    return (integral(tx, ty) - integral(ax, ay)) / (high - low)
  }
}

/// The least-squares cubic `y ~ c0 + c1 t + c2 t^2 + c3 t^3` (VCEG-M33).
///
/// Fitted in a centred, scaled variable `t = (x - centre) / scale`: the
/// polynomial is the same as one fitted in raw `x`, but the Vandermonde
/// columns stay comparable in size (x = 40 dB would put x^3 at 64000 next to
/// 1), and a Householder QR solve avoids squaring the condition number the
/// way normal equations would. Together they reproduce `numpy.polyfit` to
/// about 1e-12.
struct CubicFit {
  let centre: Double
  let scale: Double
  /// Coefficients of 1, t, t^2, t^3.
  let coefficients: [Double]

  init(x: [Double], y: [Double]) {
    let n = x.count
    let mid = x.reduce(0, +) / Double(n)
    let spread = x.map { Swift.abs($0 - mid) }.max() ?? 0
    let unit = spread > 0 ? spread : 1
    centre = mid
    scale = unit
    let columns = 4
    // Row-major n x 4 design matrix in t.
    var a = [Double](repeating: 0, count: n * columns)
    for i in 0..<n {
      let t = (x[i] - mid) / unit
      var power = 1.0
      for j in 0..<columns {
        a[i * columns + j] = power
        power *= t
      }
    }
    coefficients = Self.leastSquares(a, rows: n, columns: columns, rhs: y)
  }

  /// Solves min |A c - b| by Householder QR; A has full column rank when the
  /// x values are distinct and there are at least `columns` of them.
  static func leastSquares(_ matrix: [Double], rows m: Int, columns n: Int, rhs: [Double]) -> [Double] {
    var a = matrix, b = rhs
    for k in 0..<n {
      var norm = 0.0
      for i in k..<m { norm += a[i * n + k] * a[i * n + k] }
      norm = norm.squareRoot()
      guard norm > 0 else { continue }
      let alpha = a[k * n + k] > 0 ? -norm : norm
      var v = [Double](repeating: 0, count: m)
      for i in k..<m { v[i] = a[i * n + k] }
      v[k] -= alpha
      var vv = 0.0
      for i in k..<m { vv += v[i] * v[i] }
      guard vv > 0 else { continue }
      for j in k..<n {
        var dot = 0.0
        for i in k..<m { dot += v[i] * a[i * n + j] }
        let f = 2 * dot / vv
        for i in k..<m { a[i * n + j] -= f * v[i] }
      }
      var dot = 0.0
      for i in k..<m { dot += v[i] * b[i] }
      let f = 2 * dot / vv
      for i in k..<m { b[i] -= f * v[i] }
    }
    var c = [Double](repeating: 0, count: n)
    for k in stride(from: n - 1, through: 0, by: -1) {
      var s = b[k]
      for j in (k + 1)..<n { s -= a[k * n + j] * c[j] }
      let pivot = a[k * n + k]
      c[k] = pivot != 0 ? s / pivot : 0
    }
    return c
  }

  func value(at x: Double) -> Double {
    let t = (x - centre) / scale
    return coefficients.reversed().reduce(0) { $0 * t + $1 }
  }

  /// Exact integral of the cubic over `lower...upper` in x.
  func integral(from lower: Double, to upper: Double) -> Double {
    func antiderivative(_ x: Double) -> Double {
      let t = (x - centre) / scale
      var sum = 0.0, power = t
      for (j, c) in coefficients.enumerated() {
        sum += c * power / Double(j + 1)
        power *= t
      }
      return sum * scale
    }
    return antiderivative(upper) - antiderivative(lower)
  }
}

/// Piecewise cubic Hermite interpolant with Fritsch-Carlson monotone slopes,
/// matching SciPy's `PchipInterpolator` (used by the `bjontegaard` package):
/// interior slopes are the weighted harmonic mean of the neighbouring secant
/// slopes (zero at a local extremum), end slopes the shape-preserving
/// one-sided three-point estimate.
struct MonotoneCubic {
  let x: [Double]
  let y: [Double]
  let slopes: [Double]

  /// `x` strictly increasing, at least two points (callers validate: the
  /// Bjøntegaard entry points require four).
  init(x: [Double], y: [Double]) {
    precondition(x.count >= 2 && x.count == y.count, "MonotoneCubic needs two or more (x, y) pairs")
    self.x = x
    self.y = y
    let n = x.count
    let h = (0..<(n - 1)).map { x[$0 + 1] - x[$0] }
    let secant = (0..<(n - 1)).map { (y[$0 + 1] - y[$0]) / h[$0] }
    guard n > 2 else {
      slopes = [secant[0], secant[0]]
      return
    }
    var d = [Double](repeating: 0, count: n)
    for k in 1..<(n - 1) {
      let m0 = secant[k - 1], m1 = secant[k]
      if m0 == 0 || m1 == 0 || (m0 > 0) != (m1 > 0) {
        // A local extremum or flat piece: a zero slope keeps the curve monotone.
        d[k] = 0
      } else {
        let w1 = 2 * h[k] + h[k - 1], w2 = h[k] + 2 * h[k - 1]
        d[k] = (w1 + w2) / (w1 / m0 + w2 / m1)
      }
    }
    d[0] = Self.endSlope(h0: h[0], h1: h[1], m0: secant[0], m1: secant[1])
    d[n - 1] = Self.endSlope(h0: h[n - 2], h1: h[n - 3], m0: secant[n - 2], m1: secant[n - 3])
    slopes = d
  }

  /// SciPy's `PchipInterpolator._edge_case`: a three-point estimate, zeroed
  /// if it points against the first secant and limited to three times that
  /// secant when the data turn, so the end piece cannot overshoot.
  static func endSlope(h0: Double, h1: Double, m0: Double, m1: Double) -> Double {
    func sign(_ v: Double) -> Int { v > 0 ? 1 : (v < 0 ? -1 : 0) }
    let d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if sign(d) != sign(m0) { return 0 }
    if sign(m0) != sign(m1), Swift.abs(d) > 3 * Swift.abs(m0) { return 3 * m0 }
    return d
  }

  /// Integral from `x[0]` to `t`, `t` inside `x[0]...x[n-1]`.
  func cumulativeIntegral(to t: Double) -> Double {
    var total = 0.0
    for k in 0..<(x.count - 1) {
      let x0 = x[k], x1 = x[k + 1]
      guard t > x0 else { break }
      let h = x1 - x0
      let s = Swift.min((t - x0) / h, 1)
      // Antiderivatives of the Hermite basis in s, times h for dx = h ds.
      let s2 = s * s, s3 = s2 * s, s4 = s3 * s
      let h00 = s - s3 + s4 / 2
      let h10 = s2 / 2 - 2 * s3 / 3 + s4 / 4
      let h01 = s3 - s4 / 2
      let h11 = -s3 / 3 + s4 / 4
      total += h * (h00 * y[k] + h10 * h * slopes[k] + h01 * y[k + 1] + h11 * h * slopes[k + 1])
      if s < 1 { break }
    }
    return total
  }

  func integral(from lower: Double, to upper: Double) -> Double {
    cumulativeIntegral(to: upper) - cumulativeIntegral(to: lower)
  }

  /// The interpolant at `t`, `t` inside `x[0]...x[n-1]`.
  func value(at t: Double) -> Double {
    let k = Swift.min(Swift.max((x.lastIndex { $0 <= t } ?? 0), 0), x.count - 2)
    let h = x[k + 1] - x[k], s = (t - x[k]) / h
    let s2 = s * s, s3 = s2 * s
    return (2 * s3 - 3 * s2 + 1) * y[k] + (s3 - 2 * s2 + s) * h * slopes[k] + (-2 * s3 + 3 * s2) * y[k + 1]
      + (s3 - s2) * h * slopes[k + 1]
  }
}
