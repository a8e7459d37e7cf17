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
  }

  /// Multiply-accumulates of the pool per image of this size.
  public func macs(height: Int, width: Int) -> Int { height * width * channels * channels }

  public func callAsFunction(_ x: IntTensor, threads: Int = 1) throws -> IntTensor {
    guard x.channels == channels else { throw IntegerEngineError("GDN expects \(channels) channels, got \(x.channels)") }
    var out = x
    let plane = x.planeSize
    let tile = 256
    let tiles = (plane + tile - 1) / tile
    x.values.withUnsafeBufferPointer { input in
      out.values.withUnsafeMutableBufferPointer { output in
        let inBuf = SharedBuffer(base: UnsafeMutablePointer(mutating: input.baseAddress!))
        let outBuf = SharedBuffer(base: output.baseAddress!)
        parallelFor(tiles, threads: threads) { t in
          let p0 = t * tile
          self.runTile(p0..<Swift.min(plane, p0 + tile), plane: plane, input: inBuf.base, output: outBuf.base)
        }
      }
    }
    return out
  }

  private func runTile(_ pixels: Range<Int>, plane: Int, input: UnsafeMutablePointer<Int16>,
                       output: UnsafeMutablePointer<Int16>) {
    let p = pixels.count
    var s = [Int64](repeating: 0, count: channels * p)
    for j in 0..<channels {
      let src = input + j * plane + pixels.lowerBound
      for q in 0..<p {
        let v = Int64(src[q])
        s[j * p + q] = kind == .standard ? v * v : Swift.abs(v)
      }
    }
    var pool = [Int64](repeating: 0, count: p)
    s.withUnsafeBufferPointer { sb in
      pool.withUnsafeMutableBufferPointer { acc in
        for i in 0..<channels {
          for q in 0..<p { acc[q] = beta[i] }
          for j in 0..<channels {
            let g = gamma[i * channels + j]
            if g == 0 { continue }
            let row = sb.baseAddress! + j * p
            for q in 0..<p { acc[q] &+= g &* row[q] }
          }
          let src = input + i * plane + pixels.lowerBound
          let dst = output + i * plane + pixels.lowerBound
          let scale = self.output[i]
          for q in 0..<p {
            let xv = Int64(src[q])
            let y: Int64
            if let table {
              let (v, e) = table.evaluate(acc[q])
              y = scale.apply(xv * v, extraShift: table.fractionBits - e)
            } else {
              // Inverse simplified GDN: x * P, with P cut to 30 significant bits.
              let pv = Swift.max(acc[q], 0)
              let excess = Swift.max(0, (64 - pv.leadingZeroBitCount) - 30)
              y = scale.apply(xv * (pv >> Int64(excess)), extraShift: -excess)
            }
            dst[q] = outputRange.clamp(y)
          }
        }
      }
    }
  }
}
