import Compression
import EntropyCoding
import Foundation
import IntegerEngine
import Torch

/// One layer of a conversion, for reports and the FPGA layer graph.
public struct QuantizedLayerReport: Codable, Sendable {
  public var name: String
  public var kind: LayerDescriptor.Kind
  public var weightBits: Int
  public var activationBits: Int
  public var inputScale: Double
  public var outputScale: Double
  public var clip: Double
  public var relu: Bool
  /// A fused LeakyReLU (the mean-scale hyperprior's h_a and h_s); absent for none.
  public var leakyReLU: Bool?
  public var accumulatorBits: Int
}

/// Float hyperprior (scale or mean-scale) -> IntegerHyperprior, by a scheme and
/// calibration statistics (docs/quantization.md has the arithmetic).
///
/// - weights: symmetric per output channel, scale max|w| / (2^(b-1) - 1);
/// - biases: Int64 at the accumulator scale s_in * s_w;
/// - activations: symmetric per tensor, scale clip / (2^(b-1) - 1), clip from
///   the calibration method; the image enters as 0...255 (scale 1/255) and
///   g_s's last layer requantizes straight to 0...255;
/// - GDN: gamma unsigned per row, scale max_j gamma_ij / (2^b - 1), beta at
///   the pool scale; the output constant per channel folds all scales.
public enum IntegerConverter {
  public struct Options: Sendable {
    public var method: CalibrationMethod = .mse
    public var tableIndexBits = 6
    public var tableFractionBits = 16
    public init() {}
  }

  /// The quantizable layers of a model (what a scheme must cover).
  public static func layers(of model: any HyperpriorModel) throws -> [LayerDescriptor] {
    try HyperpriorStages(model).descriptors
  }

  public static func convert(
    _ model: any HyperpriorModel, scheme: QuantizationScheme, statistics: CalibrationStatistics, options: Options = Options()
  ) throws -> (model: IntegerHyperprior, layers: [QuantizedLayerReport]) {
    let stages = try HyperpriorStages(model)
    let bits = try scheme.resolve(layers: stages.descriptors)
    let plan = try ActivationPlan(stages: stages, bits: bits, statistics: statistics, method: options.method)
    var reports: [QuantizedLayerReport] = []
    func qmax(_ b: Int) -> Double { Double((1 << (b - 1)) - 1) }

    func transform(_ list: [HyperpriorStages.Stage], inputScale: Double, inputBound: Int, pixelOutput: Bool = false)
      throws -> (IntegerTransform, scale: Double, clip: Double)
    {
      var s = inputScale, bound = inputBound, clip = 0.0
      var layers: [IntegerLayer] = []
      for (i, stage) in list.enumerated() {
        let name = stage.descriptor.name
        guard let b = bits[name] else { throw QuantizationError("no bits for \(name)") }
        let last = pixelOutput && i == list.count - 1
        let point = try plan.point(name)
        clip = point.clip
        let outScale = point.scale
        let range = point.range
        let layer: IntegerLayer
        var accumulator = 64
        let slope = stage.leakyReLUAfter ? try FixedPointScale(approximating: HyperpriorStages.leakyReLUSlope) : nil
        // The mean-scale h_s's last layer: scales and means on their own grids.
        let meansScale = plan.means.flatMap { means in
          stage.descriptor.name == stages.hyperSynthesis.last?.descriptor.name ? means.scale : nil
        }
        switch stage.layer {
        case let conv as Conv2d:
          let c = try convolution(kind: .convolution, weight: conv.weight, bias: conv.bias, stride: conv.stride,
                                  padding: conv.padding, outputPadding: 0, weightBits: b.weights, inputScale: s,
                                  inputBound: bound, outputScale: outScale, range: range, negativeSlope: slope,
                                  secondHalfOutputScale: meansScale)
          accumulator = c.accumulatesIn32Bits ? 32 : 64
          layer = .convolution(c)
        case let conv as ConvTranspose2d:
          let c = try convolution(kind: .transposed, weight: conv.weight, bias: conv.bias, stride: conv.stride,
                                  padding: conv.padding, outputPadding: conv.outputPadding, weightBits: b.weights,
                                  inputScale: s, inputBound: bound, outputScale: outScale, range: range,
                                  negativeSlope: slope)
          accumulator = c.accumulatesIn32Bits ? 32 : 64
          layer = .convolution(c)
        case let gdn as GDN:
          layer = .gdn(try normalization(gdn, gammaBits: b.weights, inputScale: s, outputScale: outScale, range: range,
                                         options: options))
        default:
          throw QuantizationError("\(name) has no integer implementation")
        }
        reports.append(QuantizedLayerReport(
          name: name, kind: stage.descriptor.kind, weightBits: b.weights, activationBits: last ? 8 : b.activations,
          inputScale: s, outputScale: outScale, clip: clip, relu: stage.reluAfter,
          leakyReLU: stage.leakyReLUAfter ? true : nil, accumulatorBits: accumulator))
        layers.append(layer)
        s = outScale
        bound = Int(range.upper)
      }
      return (IntegerTransform(layers), s, clip)
    }

    // g_a: pixels 0...255 at scale 1/255.
    let (analysis, yScale, yClip) = try transform(stages.analysis, inputScale: 1.0 / 255, inputBound: 255)
    guard let yName = stages.analysis.last?.descriptor.name, let yBits = bits[yName]?.activations,
      let zName = stages.hyperAnalysis.last?.descriptor.name, let zBits = bits[zName]?.activations
    else { throw QuantizationError("model has empty transforms") }
    let fy = plan.yFractionBits
    let yToSymbols = try FixedPointScale(approximating: yScale * Double(1 << fy))
    guard yClip.isFinite else { throw QuantizationError("the calibrated range of y is not finite (\(yClip))") }
    // Symbols are round(y), or round(y - mean), which may reach twice y's range.
    let symbolReach = (plan.means == nil ? 1 : 2) * Swift.max(0, yClip.rounded(.up))
    let ySymbolBound = Int32(Swift.min(32_767, symbolReach + 1))
    // h_a on |y| (on y with means) at y's scale.
    let (hyperAnalysis, zScale, _) = try transform(stages.hyperAnalysis, inputScale: yScale, inputBound: Int(qmax(yBits)))
    // z_hat in units of 2^-f, f as large as the z bits allow.
    let f = plan.zFractionBits
    let fine = Double(1 << f)
    let medians = try model.entropyBottleneck.medians().floats().enumerated().map { c, median in
      try Self.integer((Double(median) * fine).rounded(), "z median of channel \(c)")
    }
    let (hyperSynthesis, scalesScale, _) = try transform(stages.hyperSynthesis, inputScale: 1 / fine,
                                                         inputBound: Int(qmax(zBits)))
    // g_s reads the symbols, or y_hat in units of 2^-fy with means.
    let yHatRange = plan.means == nil ? ActivationRange(lower: -ySymbolBound, upper: ySymbolBound) : .signed(bits: yBits)
    let (synthesis, _, _) = try transform(stages.synthesis, inputScale: 1 / Double(1 << fy),
                                          inputBound: Int(yHatRange.upper), pixelOutput: true)
    let scaleTable = try model.gaussianConditional.scaleTable.floats()
    guard scaleTable.count >= 2 else { throw CodecError.notUpdated }
    let thresholds = try scaleTable.dropLast().map { try Self.integer((Double($0) / scalesScale).rounded(.down), "scale threshold") }
    if let means = plan.means {
      let integer = try IntegerHyperprior(
        meanScale: analysis, hyperAnalysis: hyperAnalysis, hyperSynthesis: hyperSynthesis, synthesis: synthesis,
        yToFine: yToSymbols, meansToFine: try FixedPointScale(approximating: means.scale * Double(1 << fy)),
        yFractionBits: fy, yHatRange: yHatRange, zToFine: try FixedPointScale(approximating: zScale * fine),
        zFractionBits: f, zMedians: medians, zHatRange: .signed(bits: zBits),
        ySymbolRange: ActivationRange(lower: -ySymbolBound, upper: ySymbolBound), scaleThresholds: thresholds,
        zTable: try model.entropyBottleneck.tables.table(), yTable: try model.gaussianConditional.tables.table())
      return (integer, reports)
    }
    let integer = try IntegerHyperprior(
      analysis: analysis, hyperAnalysis: hyperAnalysis, hyperSynthesis: hyperSynthesis, synthesis: synthesis,
      yToSymbols: yToSymbols, zToFine: try FixedPointScale(approximating: zScale * fine), zFractionBits: f,
      zMedians: medians, zHatRange: .signed(bits: zBits),
      ySymbolRange: ActivationRange(lower: -ySymbolBound, upper: ySymbolBound), scaleThresholds: thresholds,
      zTable: try model.entropyBottleneck.tables.table(), yTable: try model.gaussianConditional.tables.table())
    return (integer, reports)
  }

  /// Per-output-channel symmetric weights; PyTorch layouts ([out, in, k, k] / transposed [in, out, k, k]).
  static func convolution(
    kind: IntConvolution.Kind, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, outputPadding: Int,
    weightBits: Int, inputScale: Double, inputBound: Int, outputScale: Double, range: ActivationRange,
    negativeSlope: FixedPointScale? = nil, secondHalfOutputScale: Double? = nil
  ) throws -> IntConvolution {
    let shape = weight.shape
    guard shape.count == 4, shape[2] == shape[3] else { throw QuantizationError("unsupported weight shape \(shape)") }
    let (inC, outC) = kind == .convolution ? (shape[1], shape[0]) : (shape[0], shape[1])
    let k = shape[2]
    let w = try weight.floats()
    let b = try bias?.floats() ?? [Float](repeating: 0, count: outC)
    let levels = Double((1 << (weightBits - 1)) - 1)
    func index(_ o: Int, _ i: Int, _ t: Int) -> Int {
      kind == .convolution ? (o * inC + i) * k * k + t : (i * outC + o) * k * k + t
    }
    var scales = [Double](repeating: 1, count: outC)
    for o in 0..<outC {
      var top = 0.0
      for i in 0..<inC { for t in 0..<(k * k) { top = Swift.max(top, Double(Swift.abs(w[index(o, i, t)]))) } }
      scales[o] = top > 0 ? top / levels : 1
    }
    var q = [Int16](repeating: 0, count: w.count)
    for o in 0..<outC { for i in 0..<inC { for t in 0..<(k * k) {
      let j = index(o, i, t)
      q[j] = Int16(Swift.max(-levels, Swift.min(levels, (Double(w[j]) / scales[o]).rounded())))
    } } }
    let biases = try (0..<outC).map { o in
      try Self.integer((Double(b[o]) / (inputScale * scales[o])).rounded(), "bias of output channel \(o)")
    }
    // Output channel o's grid: `outputScale`, or `secondHalfOutputScale` for the second half of the channels.
    let outputScales = (0..<outC).map { o in o >= outC / 2 ? secondHalfOutputScale ?? outputScale : outputScale }
    let requant = try (0..<outC).map { try FixedPointScale(approximating: inputScale * scales[$0] / outputScales[$0]) }
    return try IntConvolution(
      kind: kind, inChannels: inC, outChannels: outC, kernel: k, stride: stride, padding: padding,
      outputPadding: outputPadding, weights: q, bias: biases, requantization: requant, outputRange: range,
      inputBound: inputBound, negativeSlope: negativeSlope)
  }

  /// The largest integer beta, leaving the pool's Int64 room for the gamma
  /// terms (IntGDN takes beta < 2^62; the terms add at most ~2^53).
  static let maximumPoolBeta = Double(1 << 61)

  /// `value` as an Int64, or an error naming `what` when it is not finite or
  /// too large for the engine's accumulators (never a trap).
  static func integer(_ value: Double, _ what: @autoclosure () -> String) throws -> Int64 {
    guard value.isFinite, Swift.abs(value) < 0x1p62 else {
      throw QuantizationError("\(what()) is \(value) in integer units, outside the engine's 64-bit range")
    }
    return Int64(value)
  }

  static func normalization(
    _ gdn: GDN, gammaBits: Int, inputScale sx: Double, outputScale sy: Double, range: ActivationRange,
    options: Options
  ) throws -> IntGDN {
    let (betaT, gammaT) = try gdn.effectiveParameters()
    let beta = try betaT.floats().map(Double.init)
    let gamma = try gammaT.floats().map(Double.init)
    let c = gdn.channels
    let levels = Double((1 << gammaBits) - 1)
    let standard = gdn.variant != .simplified  // the hardware GDN is the standard formula
    var gq = [Int64](repeating: 0, count: c * c)
    var bq = [Int64](repeating: 1, count: c)
    var out: [FixedPointScale] = []
    for i in 0..<c {
      let row = (0..<c).map { gamma[i * c + $0] }
      guard beta[i].isFinite, beta[i] > 0, row.allSatisfy(\.isFinite) else {
        throw QuantizationError("GDN channel \(i) has a non-finite or non-positive parameter (beta \(beta[i]))")
      }
      let top = row.max() ?? 0
      let inputPool = standard ? sx * sx : sx
      // A channel whose gammas are all tiny next to its beta would need, at its
      // gammas' own step, a beta beyond the integer pool's range (the crash of
      // quantizing the 30,921-step bundled q4): coarsen the step until beta fits. Gammas
      // that then round to 0 moved the pool by under 2^-31 of beta.
      let sg = Swift.max(top > 0 ? top / levels : 1, beta[i] / (inputPool * Self.maximumPoolBeta))
      for j in 0..<c { gq[i * c + j] = try Self.integer((gamma[i * c + j] / sg).rounded(), "GDN gamma \(i),\(j)") }
      let poolScale = sg * inputPool
      bq[i] = Swift.max(1, try Self.integer((beta[i] / poolScale).rounded(), "GDN beta \(i)"))
      let constant: Double
      switch (standard, gdn.inverse) {
      case (true, false): constant = 1 / (sg.squareRoot() * sy)
      case (true, true): constant = sx * sg.squareRoot() * sx / sy
      case (false, false): constant = 1 / (sg * sy)
      case (false, true): constant = sg * sx * sx / sy
      }
      out.append(try FixedPointScale(approximating: constant))
    }
    return try IntGDN(
      kind: standard ? .standard : .simplified, inverse: gdn.inverse, channels: c, gamma: gq, beta: bq, output: out,
      outputRange: range, tableIndexBits: options.tableIndexBits, tableFractionBits: options.tableFractionBits)
  }
}
