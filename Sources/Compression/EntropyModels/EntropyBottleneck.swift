import EntropyCoding
import Foundation
import Torch

/// Factorized density model for hyper-latents z: one learned univariate
/// cumulative per channel (Balle et al. 2018, arXiv:1802.01436, appendix 6.1),
/// with learned quantiles trained by an auxiliary loss so the coded range
/// holds all but `tailMass` of the probability.
///
/// CompressAI names: `quantiles`, `matrices.N`, `biases.N`, `factors.N`,
/// `target`, `likelihood_lower_bound.bound`, `_offset`, `_quantized_cdf`,
/// `_cdf_length`.
public final class EntropyBottleneck: Module {
  public let channels: Int
  public let filters: [Int]
  public let tailMass: Double
  public let initScale: Double
  public let matrices: ParameterList
  public let biases: ParameterList
  public let factors: ParameterList
  public let quantiles: Tensor
  public let target: Tensor
  public let likelihoodLowerBound: LowerBound
  public let tables: CodingTables
  public var isTraining = true

  /// Smallest likelihood reported, so the rate stays finite (CompressAI: 1e-9).
  public static let likelihoodBound = 1e-9

  public init(
    channels: Int, filters: [Int] = [3, 3, 3, 3], tailMass: Double = 1e-9, initScale: Double = 10,
    generator: Generator
  ) throws {
    self.channels = channels
    self.filters = filters
    self.tailMass = tailMass
    self.initScale = initScale
    let widths = [1] + filters + [1]
    let scale = Foundation.pow(initScale, 1 / Double(filters.count + 1))
    var m: [Tensor] = [], b: [Tensor] = [], f: [Tensor] = []
    for i in 0..<(filters.count + 1) {
      let initial = Foundation.log(Foundation.expm1(1 / scale / Double(widths[i + 1])))
      m.append(try Tensor.full([channels, widths[i + 1], widths[i]], initial).requiringGrad())
      b.append(try Tensor.uniform([channels, widths[i + 1], 1], low: -0.5, high: 0.5, generator: generator).requiringGrad())
      if i < filters.count { f.append(try Tensor.zeros([channels, widths[i + 1], 1]).requiringGrad()) }
    }
    matrices = ParameterList(m)
    biases = ParameterList(b)
    factors = ParameterList(f)
    quantiles = try Tensor([Float(-initScale), 0, Float(initScale)]).reshape([1, 1, 3]).repeated([channels, 1, 1])
      .contiguous().requiringGrad()
    let t = Foundation.log(2 / tailMass - 1)
    target = try Tensor([Float(-t), 0, Float(t)])
    likelihoodLowerBound = try LowerBound(Self.likelihoodBound)
    tables = try CodingTables()
  }

  public var parameters: [(name: String, tensor: Tensor)] { [("quantiles", quantiles)] }
  public var buffers: [(name: String, tensor: Tensor)] { tables.buffers + [("target", target)] }
  public var resizableBufferNames: Set<String> { CodingTables.names }
  public var children: [(name: String, module: any Module)] {
    [("likelihood_lower_bound", likelihoodLowerBound), ("matrices", matrices), ("biases", biases), ("factors", factors)]
  }

  /// The density's parameters, without the quantiles (for the main optimizer).
  public var densityParameters: [Tensor] { matrices.tensors + biases.tensors + factors.tensors }

  /// Medians per channel, [C, 1, 1].
  public func medians() throws -> Tensor { try quantiles.narrow(2, start: 1, length: 1) }

  /// Logits of the cumulative at `inputs` [C, 1, L].
  func logitsCumulative(_ inputs: Tensor, stopGradient: Bool) throws -> Tensor {
    var logits = inputs
    for i in 0..<(filters.count + 1) {
      let matrix = stopGradient ? try matrices[i].detach() : matrices[i]
      logits = try matrix.softplus().matmul(logits)
      let bias = stopGradient ? try biases[i].detach() : biases[i]
      logits = try logits + bias
      if i < filters.count {
        let factor = stopGradient ? try factors[i].detach() : factors[i]
        logits = try logits + factor.tanh() * logits.tanh()
      }
    }
    return logits
  }

  func likelihood(_ inputs: Tensor, stopGradient: Bool = false) throws -> (Tensor, lower: Tensor, upper: Tensor) {
    let lower = try logitsCumulative(inputs - 0.5, stopGradient: stopGradient)
    let upper = try logitsCumulative(inputs + 0.5, stopGradient: stopGradient)
    return (try upper.sigmoid() - lower.sigmoid(), lower, upper)
  }

  /// Quantized (or noisy) z and its likelihoods, both NCHW like `z`.
  public func callAsFunction(_ z: Tensor, mode: QuantizationMode) throws -> (values: Tensor, likelihoods: Tensor) {
    // Likelihoods stay in float32 under mixed precision (the rate term is a sum of small logs).
    if Autocast.current != nil { return try withAutocast(nil) { try self(z.to(.float32), mode: mode) } }
    let (n, c, h, w) = try z.size4("EntropyBottleneck input")
    guard c == channels else { throw CodecError.invalidInput("entropy bottleneck expects \(channels) channels, got \(c)") }
    let values = try z.permute([1, 0, 2, 3]).contiguous().reshape([c, 1, n * h * w])
    let medians = try medians()
    let outputs = try mode.apply(values, around: medians, batchAxis: 2)
    let likelihoods = try likelihoodLowerBound(likelihood(outputs).0)
    let decoded = try mode.decoderInput(values, modelled: outputs, around: medians.detach())
    func back(_ t: Tensor) throws -> Tensor { try t.reshape([c, n, h, w]).permute([1, 0, 2, 3]).contiguous() }
    return (try back(decoded), try back(likelihoods))
  }

  /// The auxiliary loss that moves the quantiles to the tail-mass targets.
  public func auxiliaryLoss() throws -> Tensor {
    try (logitsCumulative(quantiles, stopGradient: true) - target).abs().sum()
  }

  /// Moves the quantiles to where the cumulative reaches exactly tail/2, 1/2
  /// and 1 - tail/2 (bisection per channel; the density is monotonic).
  /// The auxiliary loss gets there only slowly: Adam moves a quantile at most
  /// about its learning rate per step, while training sharpens the density
  /// far faster, so after thousands of CPU steps the tails still sit ~5 units
  /// wide of their targets and the loss grows (docs/codec.md). Called before
  /// `update()` when a trained model is saved; `update()` itself stays
  /// CompressAI's, so tables built from the same quantiles are identical.
  @discardableResult
  public func fitQuantiles(bound: Double = 1e4, iterations: Int = 80) throws -> QuantileFit {
    try withNoGrad {
      let before = try quantiles.floats()
      let lossBefore = try auxiliaryLoss().item()
      var lower = try Tensor.full([channels, 1, 3], -bound)
      var upper = try Tensor.full([channels, 1, 3], bound)
      let below = try logitsCumulative(lower, stopGradient: true).lt(target).to(.float32).min().item()
      let above = try logitsCumulative(upper, stopGradient: true).gt(target).to(.float32).min().item()
      guard below == 1, above == 1 else {
        throw CodecError.invalidModel("the entropy bottleneck's density does not reach its tail targets within ±\(bound)")
      }
      for _ in 0..<iterations {
        let middle = try (lower + upper) * 0.5
        let isBelow = try logitsCumulative(middle, stopGradient: true).lt(target).to(.float32)
        lower = try lower + (middle - lower) * isBelow
        upper = try middle + (upper - middle) * isBelow
      }
      try quantiles.copy_((lower + upper) * 0.5)
      return QuantileFit(before: before, after: try quantiles.floats(), auxiliaryLossBefore: lossBefore,
                         auxiliaryLossAfter: try auxiliaryLoss().item())
    }
  }

  /// Builds the integer CDF tables from the current density (CompressAI's `update()`).
  public func update() throws {
    try withNoGrad {
      let medians = try quantiles.select(1, 0).select(1, 1)
      let q0 = try quantiles.select(1, 0).select(1, 0)
      let q2 = try quantiles.select(1, 0).select(1, 2)
      let minima = try (medians - q0).ceil().to(.int32).clamp(min: 0)
      let maxima = try (q2 - medians).ceil().to(.int32).clamp(min: 0)
      let pmfStart = try medians - minima
      let pmfLength = try maxima + minima + 1
      let maxLength = Int(try pmfLength.max().item())
      let samples = try Tensor.arange(0, Double(maxLength), dtype: .int64).unsqueeze(0) + pmfStart.reshape([channels, 1, 1])
      let (pmf, lower, upper) = try likelihood(samples, stopGradient: true)
      let pmfRows = try pmf.select(1, 0).floats()
      let tails = try (lower.select(1, 0).narrow(1, start: 0, length: 1).sigmoid()
        + upper.select(1, 0).narrow(1, start: maxLength - 1, length: 1).neg().sigmoid()).floats()
      let lengths = try pmfLength.scalars(as: Int32.self)
      var cdfs: [[Int32]] = []
      for c in 0..<channels {
        let row = Array(pmfRows[(c * maxLength)..<(c * maxLength + Int(lengths[c]))])
        cdfs.append(try QuantizedCDF.make(pmf: row, tailMass: tails[c]))
      }
      try tables.set(cdfs: cdfs, offsets: try minima.neg().scalars(as: Int32.self))
    }
  }

  /// Symbols (rounded z - median, per batch item) and the CDF index of each.
  func symbols(_ z: Tensor) throws -> (symbols: [[Int32]], indexes: [Int32]) {
    let (n, c, h, w) = try z.size4("EntropyBottleneck input")
    let centered = try withNoGrad { try (z - medians().reshape([1, c, 1, 1])).round().to(.int32) }
    let flat = try centered.scalars(as: Int32.self)
    let perItem = c * h * w
    let indexes = (0..<c).flatMap { [Int32](repeating: Int32($0), count: h * w) }
    return ((0..<n).map { Array(flat[($0 * perItem)..<(($0 + 1) * perItem)]) }, indexes)
  }

  /// Entropy-codes z, one byte string per batch item.
  public func compress(_ z: Tensor) throws -> [[UInt8]] {
    let table = try tables.table()
    let (symbols, indexes) = try symbols(z)
    return try symbols.map { try table.encode(symbols: $0, indexes: indexes) }
  }

  /// Decodes strings into z_hat [N, C, H, W].
  public func decompress(_ strings: [[UInt8]], height: Int, width: Int) throws -> Tensor {
    let table = try tables.table()
    let indexes = (0..<channels).flatMap { [Int32](repeating: Int32($0), count: height * width) }
    var values: [Int32] = []
    for s in strings {
      do {
        values += try table.decode(s, indexes: indexes)
      } catch {
        throw CodecError.invalidBitstream("z string: \(error)")
      }
    }
    let symbols = try Tensor(values, shape: [strings.count, channels, height, width]).to(.float32)
    return try withNoGrad { try symbols + medians().reshape([1, channels, 1, 1]) }
  }
}

/// What `fitQuantiles` changed, per channel's (lower, median, upper) triple.
public struct QuantileFit: Sendable, CustomStringConvertible {
  public let auxiliaryLossBefore: Double
  public let auxiliaryLossAfter: Double
  /// Median over channels and both tails of |trained - fitted| tail position.
  public let medianTailShift: Double
  /// Median upper - lower range before and after.
  public let medianRangeBefore: Double
  public let medianRangeAfter: Double
  /// Channels whose trained range was narrower than the fitted one (more values escape-coded).
  public let channelsTooNarrow: Int
  public let channels: Int

  init(before: [Float], after: [Float], auxiliaryLossBefore: Double, auxiliaryLossAfter: Double) {
    func median(_ values: [Float]) -> Double {
      let sorted = values.sorted()
      return sorted.isEmpty ? 0 : Double(sorted.count % 2 == 1 ? sorted[sorted.count / 2]
        : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
    }
    let channels = before.count / 3
    let rows = (0..<channels).map { 3 * $0 }
    let rangeBefore = rows.map { before[$0 + 2] - before[$0] }
    let rangeAfter = rows.map { after[$0 + 2] - after[$0] }
    self.auxiliaryLossBefore = auxiliaryLossBefore
    self.auxiliaryLossAfter = auxiliaryLossAfter
    medianTailShift = median(rows.flatMap { [abs(before[$0] - after[$0]), abs(before[$0 + 2] - after[$0 + 2])] })
    medianRangeBefore = median(rangeBefore)
    medianRangeAfter = median(rangeAfter)
    channelsTooNarrow = zip(rangeBefore, rangeAfter).filter { $0 < $1 }.count
    self.channels = channels
  }

  public var description: String {
    String(format: "quantiles fitted: aux loss %.1f -> %.3f, tails moved %.2f (median), range %.1f -> %.1f (median), "
      + "%d of %d channels were too narrow", auxiliaryLossBefore, auxiliaryLossAfter, medianTailShift,
      medianRangeBefore, medianRangeAfter, channelsTooNarrow, channels)
  }
}
