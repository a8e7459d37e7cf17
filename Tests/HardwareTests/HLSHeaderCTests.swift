import Foundation
import IntegerEngine
import Torch
import XCTest

@testable import Hardware

/// The exported headers as an HLS designer would use them: a C program includes `lichen_model.h`, runs layers and
/// the mean path from the headers' arrays, defines and the formulas in their comments, and must reproduce the
/// integer engine's integers exactly. Covers a plain convolution (g_a.0), a convolution with a fused LeakyReLU
/// (h_a.0), a transposed one with a fused LeakyReLU (h_s.0), GDN and inverse GDN, standard (P^-1/2 and P^1/2
/// tables) and simplified (1/P table and the plain product), and the mean-scale entropy parameters (scale index,
/// mean, y symbol, y_hat). Skips when no C compiler is in /usr/bin.
final class HLSHeaderCTests: XCTestCase {
  func testMeanScaleHeadersReproduceTheIntegerEngineInC() throws {
    for seed in Self.seeds { try checkMeanScaleHeaders(seed: seed) }
  }

  func checkMeanScaleHeaders(seed: UInt64) throws {
    guard let compiler = Self.compiler else { throw XCTSkip("no C compiler (cc, gcc or clang) in /usr/bin") }
    let (integer, configuration, _) = try HLSExportTests.tinyMeanScaleIntegerModel()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-hls-c-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let graph = try LayerGraph.build(integer: integer, configuration: configuration, source: "tiny-ms", scheme: "hybrid",
                                     resolution: Resolution(width: 128, height: 64), part: .full)
    try HLSExport.write(integer, name: "tiny-ms", design: .graph(graph), to: folder)
    let index = try String(contentsOf: folder.appendingPathComponent(HLSExport.indexHeader), encoding: .utf8)
    XCTAssertTrue(index.contains("#define LICHEN_PREDICTS_MEANS 1"))
    XCTAssertTrue(index.contains("#define LICHEN_H_A_READS_MAGNITUDE 0"))

    var random = SplitMix64(seed: seed)
    func tensor(_ layer: IntegerLayer, height: Int, width: Int, values: ClosedRange<Int16>) throws -> IntTensor {
      guard case .convolution(let c) = layer else { throw XCTSkip("not a convolution") }
      let bound = Int16(clamping: c.inputBound)
      let range = max(values.lowerBound, -bound)...min(values.upperBound, bound)
      return try IntTensor(channels: c.inChannels, height: height, width: width,
                           values: (0..<(c.inChannels * height * width)).map { _ in Int16.random(in: range, using: &random) })
    }
    // The layers under test, their inputs and the engine's outputs.
    let cases: [LayerCase] = [
      ("g_a_0", integer.analysis.layers[0], try tensor(integer.analysis.layers[0], height: 9, width: 7, values: 0...255)),
      ("g_a_1", integer.analysis.layers[1], try Self.gdnInput(integer.analysis, 1, using: &random)),
      ("g_s_1", integer.synthesis.layers[1], try Self.gdnInput(integer.synthesis, 1, using: &random)),
      ("h_a_0", integer.hyperAnalysis.layers[0], try tensor(integer.hyperAnalysis.layers[0], height: 5, width: 6, values: -300...300)),
      ("h_s_0", integer.hyperSynthesis.layers[0], try tensor(integer.hyperSynthesis.layers[0], height: 3, width: 2, values: -200...200)),
    ]
    guard case .convolution(let hs0) = integer.hyperSynthesis.layers[0], hs0.kind == .transposed, hs0.negativeSlope != nil,
      case .convolution(let ha0) = integer.hyperAnalysis.layers[0], ha0.negativeSlope != nil
    else { return XCTFail("the tiny mean-scale model should fuse LeakyReLUs into h_a.0 and the transposed h_s.0") }

    // Mean path: h_s's raw output from decoded z symbols, then indexes, means, y symbols and y_hat.
    let zChannels = integer.hyperAnalysis.layers.last?.outputChannels ?? 0
    let (zh, zw) = (2, 3)
    let zSymbols = (0..<(zChannels * zh * zw)).map { _ in Int32.random(in: -3...3, using: &random) }
    var hsInput = [Int16](repeating: 0, count: zSymbols.count)
    for c in 0..<zChannels { for q in 0..<(zh * zw) { hsInput[c * zh * zw + q] = integer.zHat(symbol: zSymbols[c * zh * zw + q], channel: c) } }
    let hsOutput = try integer.hyperSynthesis(IntTensor(channels: zChannels, height: zh, width: zw, values: hsInput), threads: 1)
    let (indexes, means) = try integer.entropyParameters(zSymbols: zSymbols, zChannels: zChannels, zHeight: zh, zWidth: zw, threads: 1)
    let meanValues = try XCTUnwrap(means)
    let yQ = (0..<meanValues.count).map { _ in Int16.random(in: -400...400, using: &random) }
    let symbols = zip(yQ, meanValues).map { integer.ySymbol($0, mean: $1) }
    let yHats = zip(symbols, meanValues).map { integer.yHat(symbol: $0, mean: $1) }

    var source = Self.program(cases, arrays: Self.array("hs_output", hsOutput.values.map(Int64.init)) + Self.array("y_q", yQ.map(Int64.init)),
                              moreMain: "")
    source += """
        const int m = (int)(sizeof(hs_output) / sizeof(hs_output[0])) / 2;
        for (int j = 0; j < m; j++) {
          int64_t index = 0;
          for (size_t t = 0; t < sizeof(lichen_scale_thresholds) / sizeof(lichen_scale_thresholds[0]); t++)
            index += lichen_scale_thresholds[t] < hs_output[j];
          out[j] = index;
        }
        print("indexes", out, m);
        for (int j = 0; j < m; j++) out[j] = requantize(hs_output[m + j], lichen_means_to_fine[0], (int)lichen_means_to_fine[1]);
        print("means", out, m);
        static int64_t symbols[1 << 12];
        for (int j = 0; j < m; j++) {
          int64_t fine = requantize(y_q[j], lichen_y_to_symbols[0], (int)lichen_y_to_symbols[1]);
          symbols[j] = clamp(requantize(fine - out[j], 1, LICHEN_Y_FRACTION_BITS), LICHEN_Y_SYMBOL_MIN, LICHEN_Y_SYMBOL_MAX);
        }
        print("symbols", symbols, m);
        for (int j = 0; j < m; j++) out[j] = clamp(symbols[j] * ((int64_t)1 << LICHEN_Y_FRACTION_BITS) + out[j], LICHEN_Y_HAT_MIN, LICHEN_Y_HAT_MAX);
        print("y_hat", out, m);
        return 0;
      }

      """
    let lines = try Self.compileAndRun(source, compiler: compiler, in: folder)
    try assertLayersMatch(cases, lines)
    XCTAssertEqual(lines["indexes"], indexes.map(Int64.init))
    XCTAssertEqual(lines["means"], meanValues)
    XCTAssertEqual(lines["symbols"], symbols.map(Int64.init))
    XCTAssertEqual(lines["y_hat"], yHats.map(Int64.init))
  }

  /// The simplified GDN's headers (a 1/P table, and the inverse's plain product without a table) in C.
  func testSimplifiedGDNHeadersReproduceTheIntegerEngineInC() throws {
    for seed in Self.seeds { try checkSimplifiedGDNHeaders(seed: seed) }
  }

  func checkSimplifiedGDNHeaders(seed: UInt64) throws {
    guard let compiler = Self.compiler else { throw XCTSkip("no C compiler (cc, gcc or clang) in /usr/bin") }
    let (integer, configuration) = try HLSExportTests.tinyIntegerModel(gdnVariant: .simplified, seed: 5)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-hls-c-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let graph = try LayerGraph.build(integer: integer, configuration: configuration, source: "tiny-simplified", scheme: "hybrid",
                                     resolution: Resolution(width: 128, height: 64), part: .full)
    try HLSExport.write(integer, name: "tiny-simplified", design: .graph(graph), to: folder)
    var random = SplitMix64(seed: seed)
    var cases: [LayerCase] = []
    for (id, transform, index) in [("g_a_1", integer.analysis, 1), ("g_a_3", integer.analysis, 3),
                                   ("g_s_1", integer.synthesis, 1), ("g_s_3", integer.synthesis, 3)] {
      guard case .gdn(let gdn) = transform.layers[index], gdn.kind == .simplified else { return XCTFail("\(id) is not a simplified GDN") }
      cases.append((id, transform.layers[index], try Self.gdnInput(transform, index, using: &random)))
    }
    let source = Self.program(cases)
    let lines = try Self.compileAndRun(source, compiler: compiler, in: folder)
    try assertLayersMatch(cases, lines)
  }

  /// Every GDN kind with trained-looking parameters (the tiny models' untrained GDNs have all-zero gammas, so
  /// their pools are beta alone): random gammas, betas from 2^16 to 2^40, an output scale that undoes f at a
  /// typical pool.
  func testGDNHeadersOfEveryKindReproduceTheIntegerEngineInC() throws {
    for seed in Self.seeds { try checkGDNHeadersOfEveryKind(seed: seed) }
  }

  func checkGDNHeadersOfEveryKind(seed: UInt64) throws {
    guard let compiler = Self.compiler else { throw XCTSkip("no C compiler (cc, gcc or clang) in /usr/bin") }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-hls-c-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var random = SplitMix64(seed: seed)
    let channels = 6
    var cases: [LayerCase] = []
    for (n, (kind, inverse)) in [(IntGDN.Kind.standard, false), (.standard, true), (.simplified, false), (.simplified, true)].enumerated() {
      let gamma = (0..<(channels * channels)).map { _ in Int64.random(in: 0...255, using: &random) }
      let beta = (0..<channels).map { _ in Int64(1) << Int64.random(in: 16...40, using: &random) + Int64.random(in: 0...999, using: &random) }
      // The scale undoes f at a typical pool (gammas about 128, |x| about 10,000), so most outputs stay inside int16.
      let typicalTerm = kind == .standard ? 1e8 : 1e4
      let output = try beta.map { b -> FixedPointScale in
        let p = Double(b) + 128 * Double(channels) * typicalTerm
        switch (kind, inverse) {
        case (.standard, false): return try FixedPointScale(approximating: p.squareRoot())
        case (.standard, true): return try FixedPointScale(approximating: 1 / p.squareRoot())
        case (.simplified, false): return try FixedPointScale(approximating: p)
        case (.simplified, true): return try FixedPointScale(approximating: 1 / p)
        }
      }
      let gdn = try IntGDN(kind: kind, inverse: inverse, channels: channels, gamma: gamma, beta: beta, output: output,
                           outputRange: .signed(bits: 16))
      let values = (0..<(channels * 4 * 5)).map { i -> Int16 in
        i % 3 == 0 ? Int16.random(in: -3...3, using: &random) : Int16.random(in: -20_000...20_000, using: &random)
      }
      let name = "gdn.\(n)"
      try Data(HLSExport.layerHeader(.gdn(gdn), name: name, model: "test").utf8)
        .write(to: folder.appendingPathComponent("\(HLSExport.identifier(name)).h"))
      cases.append((HLSExport.identifier(name), .gdn(gdn), try IntTensor(channels: channels, height: 4, width: 5, values: values)))
    }
    let source = Self.program(cases, including: cases.map { "\($0.id).h" })
    let lines = try Self.compileAndRun(source, compiler: compiler, in: folder)
    try assertLayersMatch(cases, lines)
  }

  /// A layer under test: its identifier in the headers, the engine's layer and an input.
  typealias LayerCase = (id: String, layer: IntegerLayer, input: IntTensor)

  /// A C program including `headers`: each case's function (`function`) and input, `arrays`, and a `main` that
  /// runs and prints every case, then `moreMain` (which must close `main`; by default it returns).
  static func program(_ cases: [LayerCase], including headers: [String] = [HLSExport.indexHeader], arrays: String = "",
                      moreMain: String = "  return 0;\n}\n") -> String {
    var source = prelude(including: headers)
    for c in cases { source += function(c.id, c.layer) + array("\(c.id)_input", c.input.values.map(Int64.init)) }
    source += arrays + "int main(void) {\n  static int64_t out[1 << 16]; int oh, ow;\n"
    for c in cases {
      source += "  run_\(c.id)(\(c.id)_input, \(c.input.height), \(c.input.width), out, &oh, &ow); print(\"\(c.id)\", out, "
        + "\(c.layer.outputChannels) * oh * ow);\n"
    }
    return source + moreMain
  }

  /// Each case's C output equals the engine's, and the engine's reaches inside the output range.
  func assertLayersMatch(_ cases: [LayerCase], _ lines: [String: [Int64]]) throws {
    for c in cases {
      let expected = try c.layer(c.input, threads: 1)
      XCTAssertTrue(Self.unsaturated(c.layer, expected), "\(c.id): most outputs on the clamp or zero")
      XCTAssertEqual(lines[c.id], expected.values.map(Int64.init), c.id)
    }
  }

  /// Seeds of the random inputs (LICHEN_HLS_SEEDS=N runs seeds 1...N).
  static var seeds: ClosedRange<UInt64> {
    1...(UInt64(ProcessInfo.processInfo.environment["LICHEN_HLS_SEEDS"] ?? "") ?? 2)
  }

  static var compiler: String? {
    ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first(where: FileManager.default.isExecutableFile)
  }

  /// The input of the GDN at `index` of `transform`: random values in the output range of the convolution before
  /// it (what the layer meets), a third of them near zero (small pools).
  static func gdnInput(_ transform: IntegerTransform, _ index: Int, using random: inout SplitMix64) throws
    -> IntTensor {
    guard case .gdn(let g) = transform.layers[index], case .convolution(let before) = transform.layers[index - 1] else {
      throw XCTSkip("not a GDN after a convolution")
    }
    let bound = Int16(clamping: min(-Int64(before.outputRange.lower), Int64(before.outputRange.upper)))
    let values = (0..<(g.channels * 4 * 5)).map { i -> Int16 in
      i % 3 == 0 ? Int16.random(in: -3...3, using: &random) : Int16.random(in: -bound...bound, using: &random)
    }
    return try IntTensor(channels: g.channels, height: 4, width: 5, values: values)
  }

  /// Whether a layer's output reaches inside its range (a test whose outputs all sit on the clamp checks nothing).
  static func unsaturated(_ layer: IntegerLayer, _ output: IntTensor) -> Bool {
    let range: ActivationRange
    switch layer {
    case .convolution(let c): range = c.outputRange
    case .gdn(let g): range = g.outputRange
    }
    let inside = output.values.filter { Int32($0) > range.lower && Int32($0) < range.upper && $0 != 0 }
    return inside.count * 2 > output.values.count
  }

  /// Compiles `source` against the headers in `folder` with warnings as errors, runs it, and returns its lines as
  /// name -> integers.
  static func compileAndRun(_ source: String, compiler: String, in folder: URL) throws -> [String: [Int64]] {
    try Data(source.utf8).write(to: folder.appendingPathComponent("check.c"))
    _ = try Self.run(compiler, ["-std=c11", "-O1", "-Wall", "-Wno-unused-const-variable", "-Werror", "-I", folder.path, "-o", "check", "check.c"], in: folder)
    let output = try Self.run(folder.appendingPathComponent("check").path, [], in: folder)
    var lines: [String: [Int64]] = [:]
    for line in output.split(separator: "\n") {
      let fields = line.split(separator: " ")
      guard let name = fields.first else { continue }
      lines[String(name)] = fields.dropFirst().compactMap { Int64($0) }
    }
    return lines
  }

  /// Requantization as the headers' comments state it (128-bit product, round half up, saturated), the clamp and
  /// a printer.
  static func prelude(including headers: [String]) -> String {
    "#include <stdint.h>\n#include <stdio.h>\n" + headers.map { "#include \"\($0)\"\n" }.joined() + preludeFunctions
  }

  static let preludeFunctions = """

    static int64_t saturate(__int128 v) { return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v; }
    static int64_t requantize(int64_t a, int64_t multiplier, int shift) {
      __int128 p = (__int128)a * multiplier;
      if (shift > 0) return saturate((p + ((__int128)1 << (shift - 1))) >> shift);
      for (int i = 0; i < -shift; i++) { p *= 2; if (p > INT64_MAX || p < INT64_MIN) break; }
      return saturate(p);
    }
    static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }
    static void print(const char *name, const int64_t *v, int n) {
      printf("%s", name);
      for (int i = 0; i < n; i++) printf(" %lld", (long long)v[i]);
      printf("\\n");
    }

    """

  /// The C function `run_ID` computing one layer from its header.
  static func function(_ id: String, _ layer: IntegerLayer) -> String {
    switch layer {
    case .convolution(let c): return layerFunction(id, transposed: c.kind == .transposed)
    case .gdn: return gdnFunction(id)
    }
  }

  /// A GDN layer from its header, as the header's formula comment states it.
  static func gdnFunction(_ id: String) -> String {
    let p = id.uppercased()
    return """
      static void run_\(id)(const int64_t *in, int h, int w, int64_t *out, int *oh, int *ow) {
        const int c = \(p)_CHANNELS, plane = h * w;
        *oh = h; *ow = w;
        for (int q = 0; q < plane; q++)
          for (int i = 0; i < c; i++) {
            int64_t pool = \(id)_beta[i];
            for (int j = 0; j < c; j++) {
              int64_t x = in[j * plane + q];
              pool += \(id)_gamma[i][j] * (\(p)_SIMPLIFIED ? (x < 0 ? -x : x) : x * x);
            }
            int64_t x = in[i * plane + q], y;
      #if \(p)_TABLE_FUNCTION >= 0
            uint64_t v = (uint64_t)(pool > 1 ? pool : 1);
            int l = 63 - __builtin_clzll(v);
            int n = \(p)_TABLE_FUNCTION == 2 ? l : (l & ~1);
            uint64_t mantissa = n <= 30 ? v << (30 - n) : v >> (n - 30);
            uint64_t o = mantissa - ((uint64_t)1 << 30);
            int b = 30 - \(p)_TABLE_INDEX_BITS;
            int64_t index = (int64_t)(o >> b), fraction = (int64_t)(o & (((uint64_t)1 << b) - 1));
            int64_t f = \(id)_table[index] + (((\(id)_table[index + 1] - \(id)_table[index]) * fraction) >> b);
            int e = \(p)_TABLE_FUNCTION == 0 ? -(n / 2) : \(p)_TABLE_FUNCTION == 1 ? n / 2 : -n;
            y = requantize(x * f, \(id)_multiplier[i], (int)\(id)_shift[i] + \(p)_TABLE_FRACTION_BITS - e);
      #else
            int64_t qv = pool > 0 ? pool : 0;
            int length = qv == 0 ? 0 : 64 - __builtin_clzll((uint64_t)qv);
            int cut = length > 30 ? length - 30 : 0;
            y = requantize(x * (qv >> cut), \(id)_multiplier[i], (int)\(id)_shift[i] - cut);
      #endif
            out[i * plane + q] = clamp(y, \(p)_OUTPUT_MIN, \(p)_OUTPUT_MAX);
          }
      }

      """
  }

  /// One layer from its header: geometry and PyTorch weight layout from the defines, requantization and the
  /// fused LeakyReLU as the header's comments state them.
  static func layerFunction(_ id: String, transposed: Bool) -> String {
    let p = id.uppercased()
    let weight = transposed ? "\(id)_weight[i][o][ky][kx]" : "\(id)_weight[o][i][ky][kx]"
    let size = transposed ? "(n - 1) * s - 2 * p + k + \(p)_OUTPUT_PADDING" : "(n + 2 * p - k) / s + 1"
    // Convolution: input row = out row * s - p + ky. Transposed: out row = input row * s - p + ky.
    let source = transposed
      ? "int ty = y + p - ky, tx = x + p - kx; if (ty < 0 || tx < 0 || ty % s || tx % s) continue; int iy = ty / s, ix = tx / s;"
      : "int iy = y * s - p + ky, ix = x * s - p + kx;"
    return """
      static void run_\(id)(const int64_t *in, int h, int w, int64_t *out, int *oh, int *ow) {
        const int k = \(p)_KERNEL, s = \(p)_STRIDE, p = \(p)_PADDING;
        int n = h; *oh = \(size); n = w; *ow = \(size);
        for (int o = 0; o < \(p)_OUT_CHANNELS; o++)
          for (int y = 0; y < *oh; y++)
            for (int x = 0; x < *ow; x++) {
              int64_t acc = \(id)_bias[o];
              for (int i = 0; i < \(p)_IN_CHANNELS; i++)
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++) {
                    \(source)
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    acc += (int64_t)\(weight) * in[(i * h + iy) * w + ix];
                  }
              int64_t v = clamp(requantize(acc, \(id)_multiplier[o], (int)\(id)_shift[o]), \(p)_OUTPUT_MIN, \(p)_OUTPUT_MAX);
      #if \(p)_FUSED_LEAKY_RELU
              if (v < 0) v = requantize(v, \(p)_NEGATIVE_SLOPE_MULTIPLIER, \(p)_NEGATIVE_SLOPE_SHIFT);
      #endif
              out[(o * *oh + y) * *ow + x] = v;
            }
      }

      """
  }

  static func array(_ name: String, _ values: [Int64]) -> String {
    "static const int64_t \(name)[] = {\(values.map(String.init).joined(separator: ", "))};\n"
  }

  /// Runs a program; its standard output, or an error with its output when it fails.
  static func run(_ executable: String, _ arguments: [String], in directory: URL) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
      throw NSError(domain: "HLSHeaderCTests", code: Int(process.terminationStatus),
                    userInfo: [NSLocalizedDescriptionKey: "\(executable) failed:\n\(text.suffix(4000))"])
    }
    return text
  }
}
