import XCTest

@testable import IntegerEngine

/// Streaming a transform band by band gives the whole-tensor values bit for
/// bit, and holds memory that grows with the width, not the height.
final class StreamingTests: XCTestCase {
  typealias LCG = ConvolutionTests.LCG

  /// A g_a-like or g_s-like chain: convolutions (strided or transposed) with GDNs between them.
  static func chain(_ kind: IntConvolution.Kind, channels: [Int], kernel: Int, rng: inout LCG) throws -> IntegerTransform {
    var layers: [IntegerLayer] = []
    for i in 0..<(channels.count - 1) {
      layers.append(.convolution(try KernelPathTests.randomLayer(
        kind, inC: channels[i], outC: channels[i + 1], kernel: kernel, stride: 2, weightBound: 127, inputBound: 32_767,
        rng: &rng)))
      if i < channels.count - 2 {
        let c = channels[i + 1]
        layers.append(.gdn(try IntGDN(
          kind: .standard, inverse: kind == .transposed, channels: c,
          gamma: (0..<(c * c)).map { _ in rng.next(0...2) == 0 ? 0 : Int64(rng.next(0...65_535)) },
          beta: (0..<c).map { _ in Int64(rng.next(1...(1 << 30))) << 4 },
          output: try (0..<c).map { _ in try FixedPointScale(approximating: Double(rng.next(1...1000)) * pow(2, -10)) },
          outputRange: .signed(bits: 16), tableIndexBits: 6, tableFractionBits: 16)))
      }
    }
    return IntegerTransform(layers)
  }

  /// The streamed output, reassembled from its bands.
  func streamed(_ transform: IntegerTransform, _ x: IntTensor, bandRows: Int, threads: Int) throws
    -> (IntTensor, StreamStatistics)
  {
    var bands: [(Range<Int>, IntTensor)] = []
    let statistics = try transform.stream(channels: x.channels, height: x.height, width: x.width, bandRows: bandRows,
                                          threads: threads, source: { try x.rows($0) }) { rows, band in
      XCTAssertEqual(rows.lowerBound, bands.last?.0.upperBound ?? 0, "bands arrive in order")
      XCTAssertLessThanOrEqual(rows.count, bandRows)
      bands.append((rows, band))
    }
    let first = try XCTUnwrap(bands.first?.1)
    var out = IntTensor(zerosChannels: first.channels, height: bands.last?.0.upperBound ?? 0, width: first.width)
    for (rows, band) in bands { try out.setRows(rows, from: band) }
    return (out, statistics)
  }

  func testStreamedTransformsEqualTheWholeTensor() throws {
    var rng = LCG(state: 21)
    for trial in 0..<12 {
      let analysis = trial % 2 == 0
      let transform = try Self.chain(analysis ? .convolution : .transposed,
                                     channels: analysis ? [3, 6, 5, 4] : [4, 5, 6, 3], kernel: [3, 5][trial % 4 / 2], rng: &rng)
      let (h, w) = analysis ? (8 * rng.next(1...6), 8 * rng.next(1...5)) : (rng.next(1...6), rng.next(1...7))
      let x = try KernelPathTests.input(analysis ? 3 : 4, h, w, bound: analysis ? 255 : 40, rng: &rng)
      let whole = try transform(x, threads: 1)
      for bandRows in [1, 2, 3, 7, 64] {
        for threads in [1, 2] {
          let (out, _) = try streamed(transform, x, bandRows: bandRows, threads: threads)
          XCTAssertEqual(out, whole, "trial \(trial) (\(analysis ? "analysis" : "synthesis")) \(h)x\(w), bands of \(bandRows), \(threads) threads")
        }
      }
    }
  }

  /// A 16x taller input holds exactly as much; a 2x wider one about twice as much.
  func testMemoryGrowsWithTheWidthNotTheHeight() throws {
    var rng = LCG(state: 5)
    let transform = try Self.chain(.convolution, channels: [3, 8, 8, 8], kernel: 5, rng: &rng)
    func held(_ h: Int, _ w: Int) throws -> Int {
      let x = try KernelPathTests.input(3, h, w, bound: 255, rng: &rng)
      return try streamed(transform, x, bandRows: 1, threads: 1).1.mostHeldValues
    }
    let short = try held(64, 64), tall = try held(1024, 64), wide = try held(64, 128)
    XCTAssertGreaterThan(short, 0)
    XCTAssertEqual(tall, short)
    XCTAssertEqual(Double(wide) / Double(short), 2, accuracy: 0.1)
    XCTAssertLessThan(tall, 3 * 1024 * 64 / 4, "a line buffer holds a few rows, not the image")
  }

  func testASourceOfTheWrongShapeIsAnError() throws {
    var rng = LCG(state: 9)
    let transform = try Self.chain(.convolution, channels: [3, 4, 4], kernel: 3, rng: &rng)
    XCTAssertThrowsError(try transform.stream(channels: 3, height: 16, width: 16, bandRows: 2, threads: 1,
                                              source: { rows in IntTensor(zerosChannels: 3, height: rows.count + 1, width: 16) },
                                              sink: { _, _ in })) { error in
      XCTAssertTrue("\(error)".contains("the source gave a [3, "), "\(error)")
    }
    XCTAssertThrowsError(try transform.stream(channels: 2, height: 16, width: 16, bandRows: 2, threads: 1,
                                              source: { _ in fatalError() }, sink: { _, _ in }))
    XCTAssertThrowsError(try transform.stream(channels: 3, height: 16, width: 16, bandRows: 0, threads: 1,
                                              source: { _ in fatalError() }, sink: { _, _ in }))
  }
}
