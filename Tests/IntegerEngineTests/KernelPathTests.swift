import XCTest

@testable import IntegerEngine

/// Every kernel path this machine runs (AVX-512 VNNI, AVX2, portable C) must
/// give exactly the integers of the pure-Swift reference kernels.
final class KernelPathTests: XCTestCase {
  typealias LCG = ConvolutionTests.LCG

  override func tearDown() {
    IntegerKernels.reset()
    super.tearDown()
  }

  /// Runs `body` once per supported path, that path forced.
  func forEachPath(_ body: (IntegerKernels.Path) throws -> Void) throws {
    defer { IntegerKernels.reset() }
    for path in IntegerKernels.supportedPaths {
      try IntegerKernels.force(path)
      XCTAssertEqual(IntegerKernels.path, path)
      try body(path)
    }
  }

  func testPathsAreReportedAndForcible() throws {
    let supported = IntegerKernels.supportedPaths
    XCTAssertTrue(supported.contains(.fallback))
    XCTAssertTrue(supported.contains(IntegerKernels.path))
    XCTAssertFalse(IntegerKernels.summary.isEmpty)
    #if arch(x86_64)
      // The machines this is developed on have AVX2; say so if the test ever runs where they do not.
      if !supported.contains(.avx2) { print("note: this CPU runs only the portable integer kernels") }
    #else
      XCTAssertEqual(supported, [.fallback])
      XCTAssertThrowsError(try IntegerKernels.force(.avx2))
    #endif
    try IntegerKernels.force(.fallback)
    XCTAssertEqual(IntegerKernels.path, .fallback)
    IntegerKernels.reset()
    if ProcessInfo.processInfo.environment[IntegerKernels.environmentVariable] == nil {
      XCTAssertEqual(IntegerKernels.path, supported.last, "without the environment variable the fastest path runs")
    }
  }

  /// A random layer: weights up to `weightBound` (32768 allows -32768), inputs up to `inputBound`.
  static func randomLayer(_ kind: IntConvolution.Kind, inC: Int, outC: Int, kernel: Int, stride: Int, weightBound: Int,
                   inputBound: Int, rng: inout LCG) throws -> IntConvolution {
    let count = inC * outC * kernel * kernel
    let weights = (0..<count).map { _ -> Int16 in
      switch rng.next(0...9) {
      case 0: return Int16(clamping: -weightBound)
      case 1: return Int16(clamping: weightBound)
      default: return Int16(clamping: rng.next(-weightBound...weightBound))
      }
    }
    // Scales that keep some outputs inside the range and push others to its ends,
    // shifts on both sides of 32 (the vector requantizers' two formulas) and a
    // few raw multipliers that only the exact scalar code handles.
    let scales = try (0..<outC).map { _ -> FixedPointScale in
      switch rng.next(0...9) {
      case 0: return FixedPointScale(multiplier: Int64(rng.next(0...(1 << 20))) << 20, shift: rng.next(-2...130))
      case 1: return FixedPointScale(multiplier: Int64(rng.next(1...(1 << 30))), shift: rng.next(1...31))
      case 2: return FixedPointScale(multiplier: -Int64(rng.next(1...(1 << 30))), shift: rng.next(30...50))
      default: return try FixedPointScale(approximating: Double(rng.next(1...1000)) * pow(2, Double(-rng.next(8...28))))
      }
    }
    let bits = rng.next(8...16)
    let range = rng.next(0...2) == 0 ? ActivationRange.signed(bits: bits).rectified : ActivationRange.signed(bits: bits)
    return try IntConvolution(
      kind: kind, inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: kernel / 2,
      outputPadding: kind == .transposed ? stride - 1 : 0, weights: weights,
      bias: (0..<outC).map { _ in Int64(rng.next(-(1 << 20)...(1 << 20))) }, requantization: scales,
      outputRange: range, inputBound: inputBound)
  }

  /// Inputs within `bound`, with runs of the extreme values.
  static func input(_ c: Int, _ h: Int, _ w: Int, bound: Int, rng: inout LCG) throws -> IntTensor {
    let low = -bound, high = Swift.min(bound, 32_767)
    let extreme = rng.next(0...3) == 0
    return try IntTensor(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in
      if extreme { return Int16(clamping: rng.next(0...1) == 0 ? low : high) }
      switch rng.next(0...7) {
      case 0: return Int16(clamping: low)
      case 1: return Int16(clamping: high)
      default: return Int16(clamping: rng.next(low...high))
      }
    })
  }

  func testConvolutionsMatchTheSwiftReferenceOnEveryPath() throws {
    var rng = LCG(state: 11)
    var checked = 0, exact = 0, split = 0
    for trial in 0..<96 {
      let kind: IntConvolution.Kind = trial % 2 == 0 ? .convolution : .transposed
      let kernel = [1, 3, 5][rng.next(0...2)]
      let stride = rng.next(1...2)
      let inC = trial % 8 < 2 ? rng.next(24...40) : rng.next(1...12)
      let outC = rng.next(1...40)
      let bounds = [(127, 255), (127, 32_767), (32_767, 32_767), (32_768, 32_768), (7, 7), (1_000, 2_000)]
      let (weightBound, inputBound) = bounds[rng.next(0...(bounds.count - 1))]
      let layer = try Self.randomLayer(kind, inC: inC, outC: outC, kernel: kernel, stride: stride, weightBound: weightBound,
                                  inputBound: inputBound, rng: &rng)
      if layer.accumulatesIn32Bits { exact += 1 } else { split += 1 }
      let h = kind == .convolution ? rng.next(1...13) : rng.next(1...7)
      let w = rng.next(1...40)  // phases 32 or more columns wide read the input in place
      let (oh, _) = layer.outputSize(height: h, width: w)
      guard oh > 0, layer.outputSize(height: h, width: w).width > 0 else { continue }
      let x = try Self.input(inC, h, w, bound: inputBound, rng: &rng)
      let expected = try layer.reference(x)
      // A window of output rows, as the streaming coder asks for them.
      let rows = rng.next(0...(oh - 1))..<oh
      let needed = layer.inputRows(for: rows, inputHeight: h)
      let window = needed.isEmpty ? x : try IntTensor(
        channels: inC, height: needed.count, width: w,
        values: (0..<inC).flatMap { c in x.values[(c * h + needed.lowerBound) * w..<(c * h + needed.upperBound) * w] })
      try forEachPath { path in
        let label = "\(path) trial \(trial): \(kind) \(inC)->\(outC) k\(kernel) s\(stride) \(h)x\(w) w\(weightBound) x\(inputBound)"
        XCTAssertEqual(try layer(x, threads: 1).values, expected.values, label)
        XCTAssertEqual(try layer(x, threads: 2).values, expected.values, label)
        let part = try layer.outputRows(rows, inputHeight: h, window: window, windowStart: needed.isEmpty ? 0 : needed.lowerBound,
                                        threads: 2)
        XCTAssertEqual(part.values, Array(expected.values.enumerated().filter { rows.contains(($0.offset / expected.width) % expected.height) }.map(\.element)), label)
        checked += 1
      }
    }
    XCTAssertGreaterThan(exact, 0)
    XCTAssertGreaterThan(split, 0, "some layers must need the int64 flush")
    XCTAssertGreaterThan(checked, 80)
  }

  /// -32768 x -32768 twice in one pair is 2^31, one past Int32.max: the pair kernels must still be exact.
  func testExtremePairsAreExact() throws {
    for kind in [IntConvolution.Kind.convolution, .transposed] {
      let inC = 3, outC = 5, kernel = 3
      let layer = try IntConvolution(
        kind: kind, inChannels: inC, outChannels: outC, kernel: kernel, stride: kind == .convolution ? 1 : 2, padding: 1,
        outputPadding: kind == .transposed ? 1 : 0,
        weights: [Int16](repeating: .min, count: inC * outC * kernel * kernel),
        bias: [Int64](repeating: 0, count: outC), requantization: [FixedPointScale](repeating: FixedPointScale(multiplier: 1 << 30, shift: 52), count: outC),
        outputRange: .signed(bits: 16), inputBound: 32_768)
      XCTAssertFalse(layer.accumulatesIn32Bits)
      XCTAssertEqual(layer.int32Rows, 1)
      let x = try IntTensor(channels: inC, height: 6, width: 7, values: [Int16](repeating: .min, count: inC * 42))
      let expected = try layer.reference(x)
      XCTAssertTrue(expected.values.contains { $0 != 0 })
      try forEachPath { path in XCTAssertEqual(try layer(x, threads: 2), expected, "\(path) \(kind)") }
    }
  }

  func testGDNsMatchTheSwiftReferenceOnEveryPath() throws {
    var rng = LCG(state: 12)
    for trial in 0..<80 {
      let channels = trial % 5 == 0 ? rng.next(30...40) : rng.next(1...16)
      let kind: IntGDN.Kind = rng.next(0...1) == 0 ? .standard : .simplified
      let inverse = rng.next(0...1) == 0
      let gammaBound = [255, 32_767, 65_535, (1 << 24) - 1][rng.next(0...3)]
      let gamma = (0..<(channels * channels)).map { _ in rng.next(0...3) == 0 ? 0 : Int64(rng.next(0...gammaBound)) }
      let beta = (0..<channels).map { _ in Int64(rng.next(1...(1 << 30))) << Int64(rng.next(0...20)) }
      let output = try (0..<channels).map { _ -> FixedPointScale in
        rng.next(0...7) == 0 ? FixedPointScale(multiplier: Int64(rng.next(1...(1 << 30))), shift: rng.next(-3...80))
          : try FixedPointScale(approximating: Double(rng.next(1...1000)) * pow(2, Double(rng.next(-30...4))))
      }
      let (indexBits, fractionBits) = [(6, 16), (4, 12), (8, 24), (3, 30)][rng.next(0...3)]
      let gdn = try IntGDN(kind: kind, inverse: inverse, channels: channels, gamma: gamma, beta: beta, output: output,
                           outputRange: .signed(bits: rng.next(8...16)), tableIndexBits: indexBits,
                           tableFractionBits: fractionBits)
      let inputBound = [127, 181, 32_767, 32_768][rng.next(0...3)]
      let x = try Self.input(channels, rng.next(1...9), rng.next(1...40), bound: inputBound, rng: &rng)
      let expected = try gdn.reference(x)
      try forEachPath { path in
        let label = "\(path) trial \(trial): \(kind) inverse \(inverse) \(channels) channels, gamma <= \(gammaBound), |x| <= \(inputBound)"
        XCTAssertEqual(try gdn(x, threads: 1).values, expected.values, label)
        XCTAssertEqual(try gdn(x, threads: 2).values, expected.values, label)
      }
    }
  }

  /// The vector normalisers' edges: pools from 0 to near 2^62 (empty gamma rows leave the pool at beta),
  /// the plain product of the inverse simplified GDN, multipliers at and past 2^31, and shifts that put the
  /// normaliser's total shift on both sides of 1, 32 and 94, where the vector formulas hand over to each
  /// other or to the scalar code.
  func testGDNNormaliserEdgesMatchTheSwiftReferenceOnEveryPath() throws {
    var rng = LCG(state: 13)
    for trial in 0..<120 {
      let channels = trial % 6 == 0 ? rng.next(17...36) : rng.next(1...8)
      let kind: IntGDN.Kind = trial % 3 == 0 ? .standard : .simplified
      let inverse = trial % 3 == 0 ? rng.next(0...1) == 0 : trial % 3 == 1
      let gammaBound = [0, 3, 255, (1 << 24) - 1][rng.next(0...3)]
      let gamma = (0..<(channels * channels)).map { j -> Int64 in
        // Some empty rows: their pools are beta alone.
        (j / channels) % 3 == 0 && rng.next(0...1) == 0 ? 0 : Int64(rng.next(0...gammaBound))
      }
      let beta = (0..<channels).map { _ -> Int64 in
        let bits = rng.next(0...61)
        switch rng.next(0...5) {
        case 0: return 0
        case 1: return (1 << 62) - 1 - Int64(rng.next(0...3))
        case 2: return Swift.max(0, (Int64(1) << bits) + Int64(rng.next(-1...1)))
        default:  // 62 random bits cut to `bits` + 1
          return (Int64(rng.next(0...((1 << 31) - 1))) << 31 | Int64(rng.next(0...((1 << 31) - 1)))) >> (61 - bits)
        }
      }
      let (indexBits, fractionBits) = [(6, 16), (4, 12), (8, 24), (3, 30), (12, 30), (1, 4)][rng.next(0...5)]
      let output = (0..<channels).map { i -> FixedPointScale in
        // The normaliser's total shift is shift + fractionBits - e for a table (e = -n/2, n/2, -n
        // with n about log2(beta)), shift - max(bits - 30, 0) for the product.
        let n = beta[i] <= 1 ? 0 : 63 - beta[i].leadingZeroBitCount
        let extra: Int
        switch (kind, inverse) {
        case (.standard, false): extra = fractionBits + (n & ~1) / 2
        case (.standard, true): extra = fractionBits - (n & ~1) / 2
        case (.simplified, false): extra = fractionBits + n
        case (.simplified, true): extra = -Swift.max(n + 1 - 30, 0)
        }
        let target = [0, 1, 31, 32, 33, 62, 63, 94, 95][rng.next(0...8)]
        let multiplier: Int64
        switch rng.next(0...9) {
        case 0: multiplier = 0
        case 1: multiplier = (1 << 31) - 1
        case 2: multiplier = Int64(1) << 31
        case 3: multiplier = Int64(rng.next(1...(1 << 20))) << 20
        default: multiplier = Int64(rng.next((1 << 30)...((1 << 31) - 1)))
        }
        return FixedPointScale(multiplier: multiplier, shift: target - extra + rng.next(-2...2))
      }
      // Ranges past int16 keep the low 16 bits of large outputs: a difference anywhere shows.
      let range: ActivationRange = [.signed(bits: 16), .signed(bits: 8), .signed(bits: 12).rectified,
                                    ActivationRange(lower: -70_000, upper: 70_000),
                                    ActivationRange(lower: .min, upper: .max)][rng.next(0...4)]
      let gdn = try IntGDN(kind: kind, inverse: inverse, channels: channels, gamma: gamma, beta: beta, output: output,
                           outputRange: range, tableIndexBits: indexBits, tableFractionBits: fractionBits)
      let inputBound = [1, 127, 32_767, 32_768][rng.next(0...3)]
      let x = try Self.input(channels, rng.next(1...6), rng.next(1...45), bound: inputBound, rng: &rng)
      let expected = try gdn.reference(x)
      try forEachPath { path in
        let label = "\(path) trial \(trial): \(kind) inverse \(inverse) \(channels) channels, gamma <= \(gammaBound), |x| <= \(inputBound)"
        XCTAssertEqual(try gdn(x, threads: 1).values, expected.values, label)
        XCTAssertEqual(try gdn(x, threads: 2).values, expected.values, label)
      }
    }
  }

  /// Tables of up to 8 index bits whose knots fit 31 bits gather a knot and its difference to the next one
  /// as one packed int64 on the AVX-512 path: pools swept over every segment of every table function
  /// (fractions up to the last knot included), the pixels shuffled so each vector mixes segments, next to
  /// 9 index bits (two gathers of whole knots) and knots up to 2^31 (the square root with 30 fraction bits:
  /// scalar).
  func testGDNTableLookupsMatchTheSwiftReferenceAtEverySegment() throws {
    var rng = LCG(state: 14)
    let h = 64, w = 257  // 16448 pixels: vectors of 16 and a tail of 0 or 8 + 1 per row of tiles
    for (kind, inverse) in [(IntGDN.Kind.standard, false), (.standard, true), (.simplified, false)] {
      for (indexBits, fractionBits) in [(1, 16), (2, 30), (3, 12), (4, 16), (5, 20), (6, 16), (6, 30), (7, 16), (8, 24), (9, 16)] {
        // pool = beta + gamma * s with s = x^2 (standard) or |x|: [2^32, 2^34) or [2^20, 2^21) as |x| sweeps 0...32767.
        let squares = kind == .standard
        let beta: Int64 = squares ? 1 << 32 : 1 << 20
        let gamma: Int64 = squares ? 12 : 32
        var magnitudes = Array(0..<(h * w)).map { Int16(Swift.min($0 * 32_767 / (h * w - 1), 32_767)) }
        for k in stride(from: magnitudes.count - 1, to: 0, by: -1) { magnitudes.swapAt(k, rng.next(0...k)) }
        let x = try IntTensor(channels: 2, height: h, width: w, values: magnitudes.map { rng.next(0...1) == 0 ? $0 : -$0 }
          + magnitudes.reversed())
        // Every segment is hit.
        let table = try NormalizationTable(function: squares ? (inverse ? .squareRoot : .inverseSquareRoot) : .reciprocal,
                                           indexBits: indexBits, fractionBits: fractionBits)
        let segments = table.entries.count - 1
        var hit = Set<Int>()
        for m in magnitudes {
          let pool = beta + gamma * (squares ? Int64(m) * Int64(m) : Int64(m))
          let log2 = 63 - pool.leadingZeroBitCount, n = squares ? log2 & ~1 : log2
          let mantissa = n <= 30 ? UInt64(pool) << UInt64(30 - n) : UInt64(pool) >> UInt64(n - 30)
          hit.insert(Int((mantissa - (1 << 30)) >> UInt64(30 - indexBits)))
        }
        XCTAssertEqual(hit, Set(0..<segments), "\(kind) inverse \(inverse) \(indexBits) index bits")
        // Outputs up to about 2^13: each pixel's error shows.
        let scale: Double
        switch (squares, inverse) {
        case (true, false): scale = 8_192 * pow(2, 17) / 32_767
        case (true, true): scale = 8_192 / (32_767 * pow(2, 17))
        default: scale = 8_192 * pow(2, 20) / 32_767
        }
        let output = [try FixedPointScale(approximating: scale), try FixedPointScale(approximating: scale / 3)]
        let gdn = try IntGDN(kind: kind, inverse: inverse, channels: 2, gamma: [gamma, 0, 0, gamma], beta: [beta, beta],
                             output: output, outputRange: .signed(bits: 16), tableIndexBits: indexBits,
                             tableFractionBits: fractionBits)
        let expected = try gdn.reference(x)
        XCTAssertGreaterThan(Set(expected.values).count, 1_000)
        try forEachPath { path in
          let label = "\(path): \(kind) inverse \(inverse) table \(indexBits)/\(fractionBits)"
          XCTAssertEqual(try gdn(x, threads: 1).values, expected.values, label)
          XCTAssertEqual(try gdn(x, threads: 2).values, expected.values, label)
        }
      }
    }
  }
}
