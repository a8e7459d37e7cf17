import Foundation
import XCTest

@testable import Compression

final class BjontegaardTests: XCTestCase {
  /// A reference case: anchor and test rates/PSNRs and the expected deltas.
  struct Case {
    var name: String
    var anchorRate: [Double], anchorPSNR: [Double], testRate: [Double], testPSNR: [Double]
    /// BD-rate (%) and BD-PSNR (dB) for the cubic and pchip methods.
    var cubic: (rate: Double, psnr: Double)
    var pchip: (rate: Double, psnr: Double)

    var anchor: [RDPoint] { zip(anchorRate, anchorPSNR).map { RDPoint(rate: $0, quality: $1) } }
    var test: [RDPoint] { zip(testRate, testPSNR).map { RDPoint(rate: $0, quality: $1) } }
  }

  // Input points: the three test cases of `example_usage.py` in the
  // `bjontegaard` package's repository (FAU-LMS/bjontegaard; x265 encodes:
  // "Test 1", "Test 2 (High bitrates)", "Test 3 (more supporting points)"),
  // plus "case 4" = Test 3's anchor against Test 1's test curve (unequal
  // point counts, `require_matching_points=False`). The package ships no
  // expected values, so these were printed by `bjontegaard` 1.3.0 itself
  // (numpy 1.26.4, scipy 1.10.1):
  //   bd.bd_rate(ra, pa, rt, pt, method=m), bd.bd_psnr(ra, pa, rt, pt, method=m)
  // with m = "cubic" and "pchip", printed with repr (17 significant digits).
  static let cases: [Case] = [
    Case(
      name: "Test 1",
      anchorRate: [9487.76, 4593.60, 2486.44, 1358.24], anchorPSNR: [40.037, 38.615, 36.845, 34.851],
      testRate: [9787.80, 4469.00, 2451.52, 1356.24], testPSNR: [40.121, 38.651, 36.970, 34.987],
      cubic: (-4.420462706026296, 0.12040941911471303), pchip: (-4.417485350589045, 0.11969278542479489)),
    Case(
      name: "Test 2 (High bitrates)",
      anchorRate: [82472.76, 26875.24, 9487.76, 4593.6], anchorPSNR: [43.825, 41.404, 40.037, 38.615],
      testRate: [99896.96, 33952.04, 9787.8, 4469.0], testPSNR: [44.731, 41.875, 40.121, 38.651],
      cubic: (-4.699437548106711, 0.09540440289107423), pchip: (-4.47218200276197, 0.08887484704747745)),
    Case(
      name: "Test 3 (more supporting points)",
      anchorRate: [82472.76, 26875.24, 9487.76, 4593.6, 3600, 2900],
      anchorPSNR: [43.825, 41.404, 40.037, 38.615, 36.5, 35.1],
      testRate: [99896.96, 33952.04, 9787.8, 4469.0, 4040, 3300],
      testPSNR: [44.731, 41.875, 40.121, 38.651, 37, 36.5],
      cubic: (-0.6392886205030313, 0.10358085155084948), pchip: (-2.9528024116427964, 0.08953590194998828)),
    Case(
      name: "case 4 (6 vs 4 points)",
      anchorRate: [82472.76, 26875.24, 9487.76, 4593.6, 3600, 2900],
      anchorPSNR: [43.825, 41.404, 40.037, 38.615, 36.5, 35.1],
      testRate: [9787.80, 4469.00, 2451.52, 1356.24], testPSNR: [40.121, 38.651, 36.970, 34.987],
      cubic: (-25.223651937666126, 0.5299304251687369), pchip: (-26.26042809298228, 0.5201183282598699)),
  ]

  /// PCHIP agrees with the package to 1e-12. The cubic differs by up to
  /// 4e-10: `numpy.polyfit` fits raw x (PSNR ~40, so x^3 ~ 64000 beside 1),
  /// an ill-conditioned Vandermonde, while ``CubicFit`` centres and scales x
  /// first. For Test 1 (four points, so the fit interpolates) the exact
  /// rational-arithmetic value is -4.420462706168404: we are 2e-13 from it,
  /// numpy 1.4e-10 (see `testCubicIsCloserToExactThanNumpy`).
  static let tolerance = 1e-9

  func testMatchesBjontegaardPackageCubic() throws {
    for c in Self.cases {
      XCTAssertEqual(
        try Bjontegaard.deltaRate(of: c.test, against: c.anchor, method: .cubic), c.cubic.rate,
        accuracy: Self.tolerance, c.name)
      XCTAssertEqual(
        try Bjontegaard.deltaQuality(of: c.test, against: c.anchor, method: .cubic), c.cubic.psnr,
        accuracy: Self.tolerance, c.name)
    }
  }

  func testMatchesBjontegaardPackagePCHIP() throws {
    for c in Self.cases {
      XCTAssertEqual(
        try Bjontegaard.deltaRate(of: c.test, against: c.anchor, method: .pchip), c.pchip.rate,
        accuracy: Self.tolerance, c.name)
      XCTAssertEqual(
        try Bjontegaard.deltaQuality(of: c.test, against: c.anchor, method: .pchip), c.pchip.psnr,
        accuracy: Self.tolerance, c.name)
    }
  }

  /// Test 1's cubic BD-rate from the exact Lagrange cubic through each
  /// curve's four points, integrated in rational arithmetic (Python
  /// `fractions`, with the float log10 of each rate as input).
  func testCubicIsCloserToExactThanNumpy() throws {
    let c = Self.cases[0]
    XCTAssertEqual(
      try Bjontegaard.deltaRate(of: c.test, against: c.anchor, method: .cubic), -4.420462706168404, accuracy: 1e-12)
  }

  func testPointOrderDoesNotMatter() throws {
    let c = Self.cases[2]
    for method in Bjontegaard.Method.allCases {
      XCTAssertEqual(
        try Bjontegaard.deltaRate(of: c.test.reversed(), against: c.anchor.shuffled(), method: method),
        try Bjontegaard.deltaRate(of: c.test, against: c.anchor, method: method), accuracy: 1e-12)
    }
  }

  /// Every rate x 0.9 at equal quality is 10% fewer bits at every quality,
  /// whatever the interpolation.
  func testShiftedCurveIsMinusTenPercent() throws {
    let anchor = [(0.2, 28.0), (0.4, 31.0), (0.8, 34.0), (1.6, 37.0), (3.0, 40.0)].map {
      RDPoint(rate: $0.0, quality: $0.1)
    }
    let test = anchor.map { RDPoint(rate: $0.rate * 0.9, quality: $0.quality) }
    for method in Bjontegaard.Method.allCases {
      XCTAssertEqual(try Bjontegaard.deltaRate(of: test, against: anchor, method: method), -10, accuracy: 1e-10)
      XCTAssertEqual(try Bjontegaard.deltaRate(of: anchor, against: anchor, method: method), 0, accuracy: 1e-12)
      XCTAssertEqual(try Bjontegaard.deltaQuality(of: anchor, against: anchor, method: method), 0, accuracy: 1e-12)
      // Better at equal rate as well.
      XCTAssertGreaterThan(try Bjontegaard.deltaQuality(of: test, against: anchor, method: method), 0)
    }
  }

  /// A quality offset of +0.5 dB everywhere is BD-PSNR +0.5 exactly.
  func testQualityOffsetIsBDPSNR() throws {
    let anchor = Self.cases[0].anchor
    let test = anchor.map { RDPoint(rate: $0.rate, quality: $0.quality + 0.5) }
    for method in Bjontegaard.Method.allCases {
      XCTAssertEqual(try Bjontegaard.deltaQuality(of: test, against: anchor, method: method), 0.5, accuracy: 1e-10)
    }
  }

  func testTooFewPointsThrows() {
    let three = Array(Self.cases[0].anchor.prefix(3))
    XCTAssertThrowsError(try Bjontegaard.deltaRate(of: three, against: Self.cases[0].anchor)) { error in
      XCTAssertEqual(error as? BjontegaardError, .tooFewPoints(curve: "test", count: 3, minimum: 4))
    }
  }

  func testNonMonotonicThrows() {
    var bent = Self.cases[0].test
    bent[1].quality = 41  // rate 4469 now scores above rate 9787.8
    for method in Bjontegaard.Method.allCases {
      XCTAssertThrowsError(try Bjontegaard.deltaQuality(of: bent, against: Self.cases[0].anchor, method: method)) {
        XCTAssertEqual($0 as? BjontegaardError, .notMonotonic(curve: "test"))
      }
    }
    var repeated = Self.cases[0].anchor
    repeated[3].rate = repeated[2].rate
    XCTAssertThrowsError(try Bjontegaard.deltaRate(of: Self.cases[0].test, against: repeated)) {
      XCTAssertEqual($0 as? BjontegaardError, .notMonotonic(curve: "anchor"))
    }
  }

  func testInvalidPointThrows() {
    var bad = Self.cases[0].test
    bad[0].rate = 0
    XCTAssertThrowsError(try Bjontegaard.deltaRate(of: bad, against: Self.cases[0].anchor)) {
      guard case .invalidPoint(curve: "test", _, _)? = $0 as? BjontegaardError else {
        return XCTFail("unexpected \($0)")
      }
    }
  }

  func testNonOverlappingCurvesThrow() {
    let anchor = Self.cases[0].anchor
    let far = anchor.map { RDPoint(rate: $0.rate * 100, quality: $0.quality + 20) }
    XCTAssertThrowsError(try Bjontegaard.deltaRate(of: far, against: anchor)) { error in
      guard case .noOverlap(axis: "quality", _, _)? = error as? BjontegaardError else {
        return XCTFail("unexpected \(error)")
      }
      XCTAssertTrue(String(describing: error).contains("do not overlap"))
    }
    XCTAssertThrowsError(try Bjontegaard.deltaQuality(of: far, against: anchor, method: .cubic)) { error in
      guard case .noOverlap(axis: "rate", _, _)? = error as? BjontegaardError else {
        return XCTFail("unexpected \(error)")
      }
    }
    XCTAssertEqual(Bjontegaard.overlap(of: far, against: anchor, alongQuality: true), 0)
    XCTAssertEqual(Bjontegaard.overlap(of: anchor, against: anchor, alongQuality: false), 1, accuracy: 1e-12)
  }

  // MARK: - Interpolators against SciPy 1.10.1

  /// `scipy.interpolate.PchipInterpolator(x, y)`: `.integrate(a, b)`, values
  /// and `.derivative()(x)` on data that turn (interior zero slopes).
  func testMonotoneCubicMatchesSciPyOnTurningData() {
    let p = MonotoneCubic(x: [0, 1, 2, 4, 5], y: [0, 2, 1, 3, 3])
    XCTAssertEqual(p.slopes, [3.5, 0, 0, 0, 0])
    XCTAssertEqual(p.integral(from: 0.5, to: 4.5), 7.903645833333334, accuracy: 1e-12)
  }

  func testMonotoneCubicMatchesSciPyOnMonotoneData() {
    let p = MonotoneCubic(x: [0, 1, 3, 3.5, 6], y: [0, 3, 3.5, 5, 5.2])
    let expected = [3.9166666666666665, 0.5094339622641509, 0.5555555555555556, 0.1974405850091409, 0.0]
    for (got, want) in zip(p.slopes, expected) { XCTAssertEqual(got, want, accuracy: 1e-14) }
    XCTAssertEqual(p.integral(from: 0.2, to: 5.9), 22.654405991069414, accuracy: 1e-12)
  }

  func testMonotoneCubicValueMatchesSciPy() {
    let p = MonotoneCubic(x: [0, 1, 3, 3.5, 6], y: [0, 3, 3.5, 5, 5.2])
    XCTAssertEqual(p.value(at: 2.0), 3.238469601677149, accuracy: 1e-12)
    XCTAssertEqual(p.value(at: 4.7), 5.158068721023766, accuracy: 1e-12)
    XCTAssertEqual(p.value(at: 0.3), 1.1916556603773585, accuracy: 1e-12)
    for (x, y) in zip(p.x, p.y) { XCTAssertEqual(p.value(at: x), y, accuracy: 1e-12) }
  }

  /// A one-point rate change: zero on the anchor's own points, the rate ratio for a point moved
  /// along rate at equal quality, nil outside the anchor's quality range.
  func testRateChangeOfOnePoint() throws {
    let anchor = [(0.2, 28.0), (0.4, 31.0), (0.8, 34.0), (1.6, 37.0)].map { RDPoint(rate: $0.0, quality: $0.1) }
    for point in anchor { XCTAssertEqual(try XCTUnwrap(Bjontegaard.rateChange(of: point, against: anchor)), 0, accuracy: 1e-12) }
    // The anchor is linear in log-rate, so PCHIP is exact between its points too.
    let between = RDPoint(rate: 0.4 * pow(2, 0.5) * 1.1, quality: 32.5)
    XCTAssertEqual(try XCTUnwrap(Bjontegaard.rateChange(of: between, against: anchor)), 10, accuracy: 1e-9)
    XCTAssertNil(try Bjontegaard.rateChange(of: RDPoint(rate: 0.5, quality: 20), against: anchor))
    XCTAssertNil(try Bjontegaard.rateChange(of: RDPoint(rate: 2, quality: 38), against: anchor))
    XCTAssertThrowsError(try Bjontegaard.rateChange(of: RDPoint(rate: 0, quality: 30), against: anchor))
    XCTAssertThrowsError(try Bjontegaard.rateChange(of: between, against: Array(anchor.prefix(3))))
  }

  /// The end-slope limiter: a three-point estimate above 3x the first secant
  /// where the data turn is cut to 3x (SciPy `_edge_case`).
  func testEndSlopeLimiter() {
    XCTAssertEqual(MonotoneCubic.endSlope(h0: 1, h1: 1, m0: 1, m1: -6), 3)
    XCTAssertEqual(MonotoneCubic.endSlope(h0: 1, h1: 1, m0: 1, m1: 4), 0)  // estimate -1 against the secant
    XCTAssertEqual(MonotoneCubic.endSlope(h0: 1, h1: 1, m0: 2, m1: 1), 2.5)
  }

  /// `numpy.polyfit(x, y, 3)` and the integral of `numpy.polyint` of it.
  func testCubicFitMatchesNumpyPolyfit() {
    let x = [0, 1, 3, 3.5, 6.0], y = [0, 3, 3.5, 5, 5.2]
    let fit = CubicFit(x: x, y: y)
    let numpy = [0.08283194057567315, -0.9275369616455983, 3.436005642454119, 0.11610777801585706]
    for t in [0.0, 1.7, 4.2, 6.0] {
      let expected = numpy.reduce(0) { $0 * t + $1 }
      XCTAssertEqual(fit.value(at: t), expected, accuracy: 1e-12)
    }
    XCTAssertEqual(fit.integral(from: 0.2, to: 5.9), 21.99295466975578, accuracy: 1e-11)
  }

  // MARK: - RD curves from eval JSON

  func testSeriesNames() {
    XCTAssertEqual(RDCurve.seriesName(forModel: "jpeg-q50"), "jpeg")
    XCTAssertEqual(RDCurve.seriesName(forModel: "hyperprior-q3"), "hyperprior")
    XCTAssertEqual(RDCurve.seriesName(forModel: "jpeg2000-r112"), "jpeg2000")
    XCTAssertEqual(RDCurve.seriesName(forModel: "jxl-d1.5"), "jxl")
    XCTAssertEqual(RDCurve.seriesName(forModel: "runs/x/mbt-q4.safetensors"), "mbt")
    XCTAssertEqual(RDCurve.seriesName(forModel: "hevc-444-q40"), "hevc-444")
    XCTAssertEqual(RDCurve.seriesName(forModel: "my-model"), "my-model")
    XCTAssertEqual(RDCurve.seriesName(forModel: "factorized"), "factorized")
    XCTAssertEqual(RDCurve.seriesName(forModel: "-q3"), "-q3")
    XCTAssertEqual(RDCurve.seriesName(forModel: "a-v1.2.3"), "a-v1.2.3")
    XCTAssertEqual(RDCurve.seriesName(forModel: "hyperprior-q3-N64-distilled"), "hyperprior-N64-distilled")
    XCTAssertEqual(RDCurve.seriesName(forModel: "hyperprior-q5-n32"), "hyperprior-n32")
    XCTAssertEqual(RDCurve.seriesName(forModel: "hyperprior-q4-hybrid"), "hyperprior-hybrid")
    XCTAssertEqual(RDCurve.seriesName(forModel: "a-qx-b"), "a-qx-b")
  }

  func testAnchorIsTheNamedSeriesElseJPEGElseTheFirst() {
    let curves = ["hyperprior", "jpeg"].map { RDCurve(series: $0, points: []) }
    XCTAssertEqual(RDCurve.anchor(named: nil, in: curves), "jpeg")
    XCTAssertEqual(RDCurve.anchor(named: nil, in: Array(curves.prefix(1))), "hyperprior")
    XCTAssertEqual(RDCurve.anchor(named: "hyperprior", in: curves), "hyperprior")
    XCTAssertNil(RDCurve.anchor(named: "webp", in: curves))
    XCTAssertNil(RDCurve.anchor(named: nil, in: []))
  }

  func testLoadsEvalFilesIntoSortedSeries() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bjontegaard-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func write(_ model: String, bpp: Double, psnr: Double, msSSIM: Double?) throws -> URL {
      let row = ImageResult(
        name: "mean", width: 0, height: 0, bytes: 1000, bpp: bpp, estimatedBpp: bpp, psnr: psnr, msSSIM: msSSIM,
        encodeSeconds: 0.01, decodeSeconds: 0.01)
      let report = EvaluationReport(model: model, dataset: "kodak", threads: 1, images: [row], mean: row)
      let url = dir.appendingPathComponent("\(model).json")
      try JSONEncoder().encode(report).write(to: url)
      return url
    }
    let files = [
      try write("jpeg-q50", bpp: 0.9, psnr: 32, msSSIM: 0.99),
      try write("hyperprior-q3", bpp: 0.5, psnr: 33, msSSIM: nil),
      try write("jpeg-q10", bpp: 0.3, psnr: 27, msSSIM: 0.9),
    ]
    let curves = try RDCurve.load(files: files)
    XCTAssertEqual(curves.map(\.series), ["jpeg", "hyperprior"])
    XCTAssertEqual(curves[0].points.map(\.model), ["jpeg-q10", "jpeg-q50"])
    XCTAssertEqual(try curves[0].rdPoints(.psnr), [RDPoint(rate: 0.3, quality: 27), RDPoint(rate: 0.9, quality: 32)])
    XCTAssertEqual(try curves[0].rdPoints(.msSSIM)[1].quality, 20, accuracy: 1e-9)  // -10 log10(0.01)
    XCTAssertThrowsError(try curves[1].rdPoints(.msSSIM))

    // Too few points for a delta: the table keeps the row and records why.
    let rows = try BjontegaardRow.table(curves, anchor: "jpeg", metric: .psnr)
    XCTAssertEqual(rows.count, 1)
    guard case .failure(.tooFewPoints)? = rows[0].deltaRate[.pchip] else { return XCTFail("expected failure") }

    let garbage = dir.appendingPathComponent("garbage.json")
    try Data("{}".utf8).write(to: garbage)
    XCTAssertThrowsError(try RDCurve.load(files: [garbage])) {
      XCTAssertTrue(String(describing: $0).contains("garbage.json"))
    }
  }

  /// The committed classic-codec results load and give JPEG 2000 a BD-rate
  /// gain over JPEG (skipped when the folder is absent, e.g. a partial checkout).
  func testCommittedClassicResultsLoad() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let folder = root.appendingPathComponent("docs/results/classic")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path),
          names.contains(where: { $0.hasPrefix("jpeg2000-") })
    else { throw XCTSkip("no docs/results/classic") }
    let curves = try RDCurve.load(files: names.filter { $0.hasSuffix(".json") }.sorted().map {
      folder.appendingPathComponent($0)
    })
    let rows = try BjontegaardRow.table(curves, anchor: "jpeg", metric: .psnr)
    let jpeg2000 = try XCTUnwrap(rows.first { $0.series == "jpeg2000" })
    XCTAssertLessThan(try XCTUnwrap(jpeg2000.deltaRate[.pchip]).get(), -20)
  }
}
