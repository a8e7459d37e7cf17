import EntropyCoding
import IntegerEngine

/// The values a planned pipeline computes for one image, streamed row by
/// row through the stages' line buffers, and their comparison with the
/// integer engine's whole-tensor results (IntegerHyperprior.compress and
/// decompress). Values do not depend on timing, so they are computed once
/// per image; the timing recurrence runs separately for every frame.
///
/// Between transforms the pointwise steps run on the rows as they pass
/// (y -> |y| for h_a, z -> z symbol -> z_hat for h_s, h_s output -> scale
/// index). The entropy coder/decoder runs on the CPU: the decoder's z and y
/// symbols are decoded from the engine's bitstream, the y symbols with the
/// simulated scale indexes. With mean prediction (the mean-scale
/// hyperprior), h_a reads y itself, h_s's last M channels are the means, the
/// encoder's y symbols are round(y - mean) from the hardware's y and means,
/// and g_s reads symbol + mean.
public struct ValueComparison: Codable, Sendable, Equatable {
  /// "y symbols", "z symbols", "scale indexes", "means" (decoder, with mean prediction), "y string", "z string", "pixels".
  public var name: String
  public var elements: Int
  public var mismatches: Int
  /// "channel c, row r, column x: simulator v, engine w" (or the first differing byte), nil when identical.
  public var firstMismatch: String?

  public var identical: Bool { mismatches == 0 }
}

public struct PipelineValueRun: Sendable {
  public var comparisons: [ValueComparison]
  /// The most input rows each convolution stage's line buffer held, by stage name.
  public var lineBufferRows: [String: Int]
  public var bitIdentical: Bool { comparisons.allSatisfy(\.identical) }
}

public enum PipelineValues {
  /// The stage names of `part` of `model`, in pipeline order (as the planner names them).
  public static func stageNames(_ model: IntegerHyperprior, part: PipelinePart) -> [String] {
    let names = { (t: String, transform: IntegerTransform) in LayerGraph.stateDictNames(t, transform) }
    let ga = names("g_a", model.analysis), ha = names("h_a", model.hyperAnalysis)
    let hs = names("h_s", model.hyperSynthesis), gs = names("g_s", model.synthesis)
    switch part {
    case .encoder: return ga + ha + hs + ["scale_index"]
    case .decoder: return hs + ["scale_index"] + gs
    case .full: return ga + ha + hs + ["scale_index"] + gs
    }
  }

  /// Streams `pixels` (3 x H x W, 0...255, the plan's padded size) through `part` of `model`, with the
  /// row schedules of `schedules` (by stage name), and compares with the engine.
  public static func run(_ model: IntegerHyperprior, part: PipelinePart, schedules: [String: RowSchedule], pixels: IntTensor,
                         threads: Int = 1) throws -> PipelineValueRun {
    var buffers: [String: Int] = [:]
    var convolutions: [(String, ConvolutionRows)] = []
    func chain(_ t: String, _ transform: IntegerTransform, from input: RowStream) throws -> RowStream {
      var stream = input
      for (layer, name) in zip(transform.layers, LayerGraph.stateDictNames(t, transform)) {
        guard let schedule = schedules[name] else { throw HardwareError("the plan has no stage \(name)") }
        switch layer {
        case .convolution(let c):
          let rows = try ConvolutionRows(c, schedule: schedule, upstream: stream)
          convolutions.append((name, rows))
          stream = rows
        case .gdn(let g):
          stream = try GDNRows(g, upstream: stream)
        }
      }
      return stream
    }
    /// Scale indexes of h_s's output and, with mean prediction, the means (its last M channels) in y's fine units.
    func entropyParameters(_ input: RowStream) throws -> (indexes: [Int32], means: [Int64]?) {
      guard let meansToFine = model.meansToFine else {
        return (try PointwiseRows(upstream: input) { _, s in Int16(model.scaleIndex(s)) }.drain().values.map { Int32($0) }, nil)
      }
      let out = try input.drain().values
      let half = out.count / 2
      return (out[..<half].map { model.scaleIndex($0) }, out[half...].map { meansToFine.apply(Int64($0)) })
    }
    func symbols(_ y: [Int32], means: [Int64]?) -> [Int32] {
      guard let means else { return y }
      return zip(y, means).map { model.ySymbol(Int16(truncatingIfNeeded: $0), mean: $1) }
    }

    let encoded = try model.compress(pixels: pixels, threads: threads)
    var comparisons: [ValueComparison] = []
    var ySymbols: [Int32] = []
    var means: [Int64]? = nil
    var yShape = (0, 0, 0)
    let predictsMeans = model.predictsMeans
    if part != .decoder {
      // Hardware: g_a -> (y symbols out; y with means) -> |y| (y) -> h_a -> (z symbols out) -> z_hat -> h_s -> scale
      // index (and means).
      let y = TapRows(upstream: try chain("g_a", model.analysis, from: TensorRows(pixels))) { _, v in
        predictsMeans ? Int32(v) : model.ySymbol(v)
      }
      let hyperInput: RowStream = predictsMeans ? y : PointwiseRows(upstream: y) { _, v in v == .min ? .max : Swift.abs(v) }
      let z = TapRows(upstream: try chain("h_a", model.hyperAnalysis, from: hyperInput)) {
        c, v in model.zSymbol(v, channel: c)
      }
      let zHat = PointwiseRows(upstream: z) { c, v in model.zHat(symbol: model.zSymbol(v, channel: c), channel: c) }
      let parameters = try entropyParameters(try chain("h_s", model.hyperSynthesis, from: zHat))
      let indexes = parameters.indexes
      means = parameters.means
      ySymbols = symbols(y.values, means: means)
      yShape = (y.channels, y.height, y.width)
      // Engine, whole tensors.
      let yEngine = try model.analysis(pixels, threads: threads)
      let zEngine = try model.hyperAnalysis(model.hyperAnalysisReadsMagnitude ? yEngine.magnitude() : yEngine, threads: threads)
      let zPlane = zEngine.planeSize
      let zSymbolsEngine = zEngine.values.enumerated().map { q, v in model.zSymbol(v, channel: q / zPlane) }
      let engine = try model.entropyParameters(zSymbols: zSymbolsEngine, zChannels: zEngine.channels, zHeight: zEngine.height,
                                               zWidth: zEngine.width, threads: threads)
      let indexesEngine = engine.indexes
      let ySymbolsEngine = engine.means.map { m in zip(yEngine.values, m).map { model.ySymbol($0, mean: $1) } }
        ?? yEngine.values.map { model.ySymbol($0) }
      comparisons.append(compare("y symbols", ySymbols, ySymbolsEngine, shape: yShape))
      comparisons.append(compare("z symbols", z.values, zSymbolsEngine, shape: (z.channels, z.height, z.width)))
      comparisons.append(compare("scale indexes", indexes, indexesEngine, shape: yShape))
      // The bitstream the CPU's entropy coder makes from the hardware's outputs = the engine's compress.
      let zString = try model.zTable.encode(symbols: z.values, indexes: model.zIndexes(channels: z.channels, plane: z.height * z.width))
      comparisons.append(compareBytes("z string", zString, encoded.zString))
      if indexes.count == ySymbols.count {
        comparisons.append(compareBytes("y string", try model.yTable.encode(symbols: ySymbols, indexes: indexes), encoded.yString))
      }
    }
    if part != .encoder {
      if part == .decoder {
        // CPU: z symbols from the bitstream; hardware: z_hat -> h_s -> scale index; CPU: y symbols with those indexes.
        let zChannels = model.zMedians.count
        let plane = encoded.zHeight * encoded.zWidth
        let zSymbols = try model.zTable.decode(encoded.zString, indexes: model.zIndexes(channels: zChannels, plane: plane))
        let zHat = try IntTensor(channels: zChannels, height: encoded.zHeight, width: encoded.zWidth,
                                 values: zSymbols.enumerated().map { q, s in model.zHat(symbol: s, channel: q / plane) })
        let hs = try chain("h_s", model.hyperSynthesis, from: TensorRows(zHat))
        yShape = (predictsMeans ? hs.channels / 2 : hs.channels, hs.height, hs.width)
        let parameters = try entropyParameters(hs)
        let indexes = parameters.indexes
        means = parameters.means
        let engine = try model.entropyParameters(zSymbols: zSymbols, zChannels: zChannels, zHeight: encoded.zHeight,
                                                 zWidth: encoded.zWidth, threads: threads)
        comparisons.append(compare("scale indexes", indexes, engine.indexes, shape: yShape))
        if let means, let meansEngine = engine.means {
          comparisons.append(compare("means", means.map { Int32(clamping: $0) }, meansEngine.map { Int32(clamping: $0) },
                                     shape: yShape))
        }
        ySymbols = try model.yTable.decode(encoded.yString, indexes: indexes)
      }
      // g_s's input: the symbols, or symbol + mean.
      let values = means.map { m in zip(ySymbols, m).map { model.yHat(symbol: $0, mean: $1) } }
        ?? ySymbols.map { model.ySymbolRange.clamp(Int64($0)) }
      let yHat = try IntTensor(channels: yShape.0, height: yShape.1, width: yShape.2, values: values)
      let out = try chain("g_s", model.synthesis, from: TensorRows(yHat)).drain()
      let reference = try model.decompress(encoded, threads: threads)
      comparisons.append(compare("pixels", out.values.map { Int32($0) }, reference.values.map { Int32($0) },
                                 shape: (out.channels, out.height, out.width)))
    }
    for (name, rows) in convolutions { buffers[name] = rows.mostBufferedRows }
    return PipelineValueRun(comparisons: comparisons, lineBufferRows: buffers)
  }

  static func compare(_ name: String, _ simulated: [Int32], _ engine: [Int32], shape: (Int, Int, Int)) -> ValueComparison {
    guard simulated.count == engine.count else {
      return ValueComparison(name: name, elements: engine.count, mismatches: Swift.max(1, engine.count),
                             firstMismatch: "simulator produced \(simulated.count) values, the engine \(engine.count)")
    }
    var mismatches = 0
    var first: String? = nil
    let plane = shape.1 * shape.2
    for i in simulated.indices where simulated[i] != engine[i] {
      mismatches += 1
      if first == nil, plane > 0, shape.2 > 0 {
        first = "channel \(i / plane), row \(i % plane / shape.2), column \(i % shape.2): simulator \(simulated[i]), engine \(engine[i])"
      }
    }
    return ValueComparison(name: name, elements: engine.count, mismatches: mismatches, firstMismatch: first)
  }

  static func compareBytes(_ name: String, _ simulated: [UInt8], _ engine: [UInt8]) -> ValueComparison {
    let common = Swift.min(simulated.count, engine.count)
    let differing = (0..<common).filter { simulated[$0] != engine[$0] }
    let mismatches = differing.count + Swift.max(simulated.count, engine.count) - common
    var first: String? = nil
    if let i = differing.first {
      first = "byte \(i): simulator \(simulated[i]), engine \(engine[i])"
    } else if simulated.count != engine.count {
      first = "simulator \(simulated.count) bytes, engine \(engine.count)"
    }
    return ValueComparison(name: name, elements: engine.count, mismatches: mismatches, firstMismatch: first)
  }
}
