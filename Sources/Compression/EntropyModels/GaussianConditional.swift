import EntropyCoding
import Foundation
import Torch

/// Zero-mean (or given-mean) Gaussian model of the latents y, with a scale per
/// element predicted by the hyper-synthesis (Balle et al. 2018). For coding,
/// scales are snapped to a fixed table of `scaleTable` values, each with its
/// own quantized CDF.
///
/// CompressAI names: `scale_table`, `scale_bound`, `_offset`,
/// `_quantized_cdf`, `_cdf_length`, `likelihood_lower_bound.bound`,
/// `lower_bound_scale.bound`.
public final class GaussianConditional: Module {
  public let tailMass: Double
  public let scaleTable: Tensor
  public let scaleBound: Tensor
  public let likelihoodLowerBound: LowerBound
  public let lowerBoundScale: LowerBound
  public let tables: CodingTables
  public var isTraining = true
  private var cachedScaleTable: [Float]?

  /// CompressAI's defaults: 64 scales log-spaced in [0.11, 256]; scale bound 0.11.
  public static let minimumScale = 0.11
  public static let maximumScale = 256.0
  public static let scaleLevels = 64

  public init(scaleBound: Double = minimumScale, tailMass: Double = 1e-9) throws {
    self.tailMass = tailMass
    scaleTable = try Tensor.zeros([0])
    self.scaleBound = try Tensor([Float(scaleBound)])
    likelihoodLowerBound = try LowerBound(EntropyBottleneck.likelihoodBound)
    lowerBoundScale = try LowerBound(scaleBound)
    tables = try CodingTables()
  }

  public var buffers: [(name: String, tensor: Tensor)] {
    tables.buffers + [("scale_table", scaleTable), ("scale_bound", scaleBound)]
  }
  public var resizableBufferNames: Set<String> { CodingTables.names.union(["scale_table"]) }
  public var children: [(name: String, module: any Module)] {
    [("likelihood_lower_bound", likelihoodLowerBound), ("lower_bound_scale", lowerBoundScale)]
  }

  /// exp(linspace(ln 0.11, ln 256, 64)) in float32, as CompressAI's `get_scale_table`.
  public static func defaultScaleTable() throws -> Tensor {
    try Tensor.linspace(Foundation.log(minimumScale), Foundation.log(maximumScale), count: scaleLevels).exp()
  }

  /// 0.5 * erfc(-x / sqrt(2)): the standard normal CDF.
  static func standardizedCumulative(_ x: Tensor) throws -> Tensor {
    try (x * -(0.5.squareRoot())).erfc() * 0.5
  }

  /// -Phi^-1(tailMass / 2). For CompressAI's tail mass 1e-9 this is
  /// -scipy.stats.norm.ppf(5e-10), taken verbatim so tables match bit for bit.
  static func tailMultiplier(_ tailMass: Double) -> Double {
    if tailMass == 1e-9 { return 6.1094102048693975 }
    // Inverse normal CDF by bisection on erfc: exact to double precision.
    var low = 0.0, high = 40.0
    for _ in 0..<200 {
      let mid = (low + high) / 2
      if 0.5 * Foundation.erfc(mid / 2.0.squareRoot()) > tailMass / 2 { low = mid } else { high = mid }
    }
    return (low + high) / 2
  }

  func likelihood(_ values: Tensor, scales: Tensor, means: Tensor?) throws -> Tensor {
    let centered = try means.map { try values - $0 } ?? values
    let s = try lowerBoundScale(scales)
    let v = try centered.abs()
    let upper = try Self.standardizedCumulative((0.5 - v) / s)
    let lower = try Self.standardizedCumulative((-0.5 - v) / s)
    return try upper - lower
  }

  /// Quantized (or noisy) y and its likelihoods under N(means, scales).
  public func callAsFunction(_ y: Tensor, scales: Tensor, means: Tensor? = nil, mode: QuantizationMode) throws
    -> (values: Tensor, likelihoods: Tensor)
  {
    // Likelihoods stay in float32 under mixed precision (the rate term is a sum of small logs).
    if Autocast.current != nil {
      return try withAutocast(nil) {
        try self(y.to(.float32), scales: scales.to(.float32), means: means?.to(.float32), mode: mode)
      }
    }
    guard y.shape == scales.shape else {
      throw CodecError.invalidInput("latents \(y.shape) and scales \(scales.shape) differ in shape")
    }
    let outputs = try mode.apply(y, around: means)
    let likelihoods = try likelihoodLowerBound(likelihood(outputs, scales: scales, means: means))
    return (try mode.decoderInput(y, modelled: outputs, around: means), likelihoods)
  }

  /// Sets the scale table and builds one CDF per scale (CompressAI's `update_scale_table`).
  public func update(scaleTable table: Tensor? = nil) throws {
    let scales = try table ?? Self.defaultScaleTable()
    try withNoGrad {
      try scaleTable.resize_(scales.shape)
      try scaleTable.copy_(scales)
      let multiplier = Self.tailMultiplier(tailMass)
      let pmfCenter = try (scaleTable * multiplier).ceil().to(.int32)
      let pmfLength = try pmfCenter * 2 + 1
      let maxLength = Int(try pmfLength.max().item())
      let samples = try (Tensor.arange(0, Double(maxLength), dtype: .int32).unsqueeze(0) - pmfCenter.unsqueeze(1))
        .abs().to(.float32)
      let sampleScale = try scaleTable.unsqueeze(1)
      let upper = try Self.standardizedCumulative((0.5 - samples) / sampleScale)
      let lower = try Self.standardizedCumulative((-0.5 - samples) / sampleScale)
      let pmf = try (upper - lower).floats()
      let tails = try (lower.narrow(1, start: 0, length: 1) * 2).floats()
      let lengths = try pmfLength.scalars(as: Int32.self)
      var cdfs: [[Int32]] = []
      for i in 0..<lengths.count {
        let row = Array(pmf[(i * maxLength)..<(i * maxLength + Int(lengths[i]))])
        cdfs.append(try QuantizedCDF.make(pmf: row, tailMass: tails[i]))
      }
      try tables.set(cdfs: cdfs, offsets: try pmfCenter.neg().scalars(as: Int32.self))
    }
    cachedScaleTable = nil
  }

  /// The CDF index of each scale: the first table entry >= the bounded scale
  /// (CompressAI's `build_indexes`), computed on Float in Swift so encoder and
  /// decoder agree for identical scales.
  public func indexes(for scales: Tensor) throws -> [Int32] {
    let table = try scaleTableValues()
    let bound = Float(lowerBoundScale.value)
    let last = Int32(table.count - 1)
    return try scales.floats().map { raw in
      let s = Swift.max(raw, bound)
      // Count of table[0..<last] entries >= s, found by binary search on the sorted table.
      var low = 0, high = Int(last)
      while low < high {
        let mid = (low + high) / 2
        if table[mid] >= s { high = mid } else { low = mid + 1 }
      }
      return Int32(low)
    }
  }

  private func scaleTableValues() throws -> [Float] {
    if let cachedScaleTable { return cachedScaleTable }
    let values = try scaleTable.floats()
    guard !values.isEmpty else { throw CodecError.notUpdated }
    cachedScaleTable = values
    return values
  }

  /// Entropy-codes round(y - means) per batch item with the given CDF indexes.
  public func compress(_ y: Tensor, indexes: [Int32], means: Tensor? = nil) throws -> [[UInt8]] {
    let table = try tables.table()
    let n = y.shape.first ?? 0
    let symbols = try withNoGrad { try (means.map { try y - $0 } ?? y).round().to(.int32).scalars(as: Int32.self) }
    guard n > 0, symbols.count == indexes.count else {
      throw CodecError.invalidInput("\(symbols.count) latents but \(indexes.count) indexes")
    }
    // One image (what the codec sends): no copies of arrays that hold a value per latent.
    if n == 1 { return [try table.encode(symbols: symbols, indexes: indexes)] }
    let perItem = symbols.count / n
    return try (0..<n).map { i in
      try table.encode(symbols: Array(symbols[(i * perItem)..<((i + 1) * perItem)]),
                       indexes: Array(indexes[(i * perItem)..<((i + 1) * perItem)]))
    }
  }

  /// Decodes strings into y_hat of `shape` (N = strings.count).
  public func decompress(_ strings: [[UInt8]], indexes: [Int32], shape: [Int], means: Tensor? = nil) throws -> Tensor {
    let table = try tables.table()
    guard let n = shape.first, n == strings.count, n > 0, indexes.count == shape.reduce(1, *) else {
      throw CodecError.invalidBitstream("latent shape \(shape) does not match \(strings.count) strings")
    }
    let perItem = indexes.count / n
    var values: [Int32] = []
    do {
      if n == 1 {
        values = try table.decode(strings[0], indexes: indexes)  // one image: no copy of the indexes
      } else {
        values.reserveCapacity(indexes.count)
        for (i, s) in strings.enumerated() {
          values += try table.decode(s, indexes: Array(indexes[(i * perItem)..<((i + 1) * perItem)]))
        }
      }
    } catch {
      throw CodecError.invalidBitstream("y string: \(error)")
    }
    let symbols = try Tensor(values, shape: shape).to(.float32)
    return try means.map { try symbols + $0 } ?? symbols
  }
}
