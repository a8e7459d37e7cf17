import CIntegerKernels

/// Integer GDN / inverse GDN (standard or simplified), the hardware GDN:
///
///     P_i = beta_i + sum_j gamma_ij * s_j          (Int64; s_j = x_j^2 or |x_j|)
///     y_i = round_half_up(x_i * f(P_i) * M_i / 2^shift_i), clamped
///
/// with f from `NormalizationTable` (P^-1/2, P^1/2, 1/P) or f(P) = P for the
/// inverse simplified GDN. gamma (>= 0) and beta are quantized per output
/// channel i: real gamma_ij = gamma_ij * sg_i, real beta_i = beta_i * sg_i *
/// sx^k, so the per-channel constant M_i / 2^shift_i absorbs sg_i, the input
/// scale and the output scale (docs/quantization.md).
public struct IntGDN: Equatable, Sendable {
  public enum Kind: String, Sendable, Codable { case standard, simplified }

  public let kind: Kind
  public let inverse: Bool
  public let channels: Int
  /// [i][j], non-negative.
  public let gamma: [Int64]
  public let beta: [Int64]
  public let output: [FixedPointScale]
  public let outputRange: ActivationRange
  /// nil only for the inverse simplified GDN (a plain product).
  public let table: NormalizationTable?
  let operands: DerivedOperands<Operands>

  /// The parameters at stable addresses for the C kernels. GDN gamma matrices
  /// are mostly zeros once quantized, so each output channel keeps the list of
  /// its nonzero gammas (and of its input channel pairs with a nonzero gamma).
  final class Operands: Sendable {
    let termFirst: KernelArray<Int64>
    let termChannel: KernelArray<Int64>
    let termGamma: KernelArray<Int64>
    /// The int16 pair kernels' gammas (pieces of at most `piece`); nil when a gamma would take more than
    /// three pieces (the int64 kernels then run).
    let pairs: (first: KernelArray<Int64>, index: KernelArray<Int64>, gammas: KernelArray<Int32>)?
    /// The largest gamma the pool multiplies: the largest piece when `pairs` run.
    let maxGamma: Int64
    static let piece = Int64(Int16.max)
    let beta: KernelArray<Int64>
    let multiplier: KernelArray<Int64>
    let shift: KernelArray<Int64>
    let entries: KernelArray<Int64>?
    let entriesFit31: Bool

    init(channels: Int, gamma: [Int64], beta: [Int64], output: [FixedPointScale], table: NormalizationTable?) {
      var termFirst: [Int64] = [0], termChannel: [Int64] = [], termGamma: [Int64] = []
      var pairFirst: [Int64] = [0], pairIndex: [Int64] = [], pairGammas: [Int32] = []
      for i in 0..<channels {
        let row = gamma[(i * channels)..<((i + 1) * channels)]
        for (j, g) in zip(0..., row) where g != 0 {
          termChannel.append(Int64(j))
          termGamma.append(g)
        }
        termFirst.append(Int64(termChannel.count))
        for m in 0..<((channels + 1) / 2) {
          var a = row[row.startIndex + 2 * m], b = 2 * m + 1 < channels ? row[row.startIndex + 2 * m + 1] : 0
          // A gamma above int16 is cut into int16 pieces of the same channel pair (the sum is the same
          // integer): 16-bit gammas take at most three pieces and stay on the int16 pair kernels.
          while a != 0 || b != 0 {
            let pieceA = Swift.min(a, Self.piece), pieceB = Swift.min(b, Self.piece)
            pairIndex.append(Int64(m))
            // Two int16 lanes of one int32: channel 2m low, 2m + 1 high.
            pairGammas.append(Int32(bitPattern: UInt32(truncatingIfNeeded: pieceA) | (UInt32(truncatingIfNeeded: pieceB) << 16)))
            a -= pieceA
            b -= pieceB
          }
        }
        pairFirst.append(Int64(pairIndex.count))
      }
      self.termFirst = KernelArray(termFirst)
      self.termChannel = KernelArray(termChannel)
      self.termGamma = KernelArray(termGamma)
      let largest = gamma.max() ?? 0
      if largest <= 3 * Self.piece {
        pairs = (KernelArray(pairFirst), KernelArray(pairIndex), KernelArray(pairGammas))
        maxGamma = Swift.min(largest, Self.piece)
      } else {
        pairs = nil
        maxGamma = largest
      }
      self.beta = KernelArray(beta)
      multiplier = KernelArray(output.map(\.multiplier))
      shift = KernelArray(output.map { Int64($0.shift) })
      entries = table.map { KernelArray($0.entries) }
      entriesFit31 = table?.entries.allSatisfy { $0 >= 0 && $0 < 1 << 31 } ?? false
    }
  }

  public init(
    kind: Kind, inverse: Bool, channels: Int, gamma: [Int64], beta: [Int64], output: [FixedPointScale],
    outputRange: ActivationRange, tableIndexBits: Int = 6, tableFractionBits: Int = 16
  ) throws {
    guard channels > 0, gamma.count == channels * channels, beta.count == channels, output.count == channels else {
      throw IntegerEngineError("GDN of \(channels) channels: \(gamma.count) gamma, \(beta.count) beta, \(output.count) scales")
    }
    guard gamma.allSatisfy({ $0 >= 0 && $0 < 1 << 24 }), beta.allSatisfy({ $0 >= 0 && $0 < 1 << 62 }) else {
      throw IntegerEngineError("GDN gamma must be in [0, 2^24) and beta in [0, 2^62)")
    }
    self.kind = kind
    self.inverse = inverse
    self.channels = channels
    self.gamma = gamma
    self.beta = beta
    self.output = output
    self.outputRange = outputRange
    switch (kind, inverse) {
    case (.standard, false):
      table = try NormalizationTable(function: .inverseSquareRoot, indexBits: tableIndexBits, fractionBits: tableFractionBits)
    case (.standard, true):
      table = try NormalizationTable(function: .squareRoot, indexBits: tableIndexBits, fractionBits: tableFractionBits)
    case (.simplified, false):
      table = try NormalizationTable(function: .reciprocal, indexBits: tableIndexBits, fractionBits: tableFractionBits)
    case (.simplified, true):
      table = nil
    }
    operands = DerivedOperands(storage: Operands(channels: channels, gamma: gamma, beta: beta, output: output, table: table))
  }

  /// Multiply-accumulates of the pool per image of this size.
  public func macs(height: Int, width: Int) -> Int { height * width * channels * channels }

  /// Tiles of 128 pixels, every channel, through the C kernels: the pool over
  /// the nonzero gammas (int16 pairs in int32 runs when gammas and terms fit,
  /// exact int64 products otherwise) and the normaliser.
  public func callAsFunction(_ x: IntTensor, threads: Int = 1) throws -> IntTensor {
    guard x.channels == channels else { throw IntegerEngineError("GDN expects \(channels) channels, got \(x.channels)") }
    var out = x
    let plane = x.planeSize
    let tile = 128
    let tiles = (plane + tile - 1) / tile
    let path = lichen_kernel_active()
    let o = operands.storage
    x.values.withUnsafeBufferPointer { input in
      out.values.withUnsafeMutableBufferPointer { output in
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return }
        var layer = LichenGDN()
        layer.channels = Int64(channels)
        layer.squares = kind == .standard ? 1 : 0
        switch table?.function {
        case .inverseSquareRoot: layer.function = Int32(LICHEN_GDN_INVERSE_SQUARE_ROOT)
        case .squareRoot: layer.function = Int32(LICHEN_GDN_SQUARE_ROOT)
        case .reciprocal: layer.function = Int32(LICHEN_GDN_RECIPROCAL)
        case nil: layer.function = Int32(LICHEN_GDN_PRODUCT)
        }
        layer.termFirst = o.termFirst.pointer
        layer.termChannel = o.termChannel.pointer
        layer.termGamma = o.termGamma.pointer
        layer.pairFirst = o.pairs?.first.pointer
        layer.pairIndex = o.pairs?.index.pointer
        layer.pairGammas = o.pairs?.gammas.pointer
        layer.maxGamma = o.maxGamma
        layer.beta = o.beta.pointer
        layer.multiplier = o.multiplier.pointer
        layer.shift = o.shift.pointer
        layer.lower = outputRange.lower
        layer.upper = outputRange.upper
        layer.entries = o.entries?.pointer
        layer.indexBits = Int64(table?.indexBits ?? 0)
        layer.fractionBits = Int64(table?.fractionBits ?? 0)
        layer.entriesFit31 = o.entriesFit31 ? 1 : 0
        layer.input = inBase
        layer.output = outBase
        layer.plane = Int64(plane)
        let scratch = Int(lichen_gdn_scratch_bytes(&layer, Int64(Swift.min(tile, plane))))
        let shared = ReadOnlyShare(value: layer)
        runTiles(tiles, threads: threads, scratchBytes: scratch) { t, scratch in
          var layer = shared.value
          let first = t * tile
          lichen_gdn_tile(path, &layer, Int64(first), Int64(Swift.min(tile, plane - first)), scratch)
        }
      }
    }
    return out
  }
}
