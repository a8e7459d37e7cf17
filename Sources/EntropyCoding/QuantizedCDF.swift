/// Building and checking 16-bit quantized CDFs.
///
/// Tables must come out bit-identical to CompressAI's `pmf_to_quantized_cdf`
/// (what `EntropyBottleneck.update()` / `GaussianConditional.update()` store), so
/// a model exported from PyTorch and one rebuilt here code the same streams.
public enum QuantizedCDF {
  /// Quantizes `pmf` followed by `tailMass` into a CDF of `pmf.count + 2`
  /// entries, from 0 to 65536, with every symbol given a non-zero frequency.
  ///
  /// Steps, as in CompressAI: each frequency is `round(p * 2^16)` (float32,
  /// half away from zero); the frequencies are rescaled to `2^16 * f / total`
  /// (64-bit integer division) and prefix-summed; the last entry is forced to
  /// 2^16; then each zero-frequency symbol steals one unit from the symbol with
  /// the smallest frequency above 1 (first in index order on ties).
  ///
  /// - Throws: ``EntropyCodingError/invalidPMF(_:)`` for a negative or non-finite
  ///   probability, an all-zero input, or more symbols than 2^16.
  public static func make(pmf: [Float], tailMass: Float) throws(EntropyCodingError) -> [Int32] {
    let symbolCount = pmf.count + 1
    guard symbolCount <= 1 << EntropyCoding.precision else {
      throw .invalidPMF("\(symbolCount) symbols cannot all get a frequency out of 65536")
    }
    let scale = Float(1 << EntropyCoding.precision)
    var cdf = [UInt32](repeating: 0, count: symbolCount + 1)
    var total: UInt64 = 0
    for index in 0..<symbolCount {
      let probability = index < pmf.count ? pmf[index] : tailMass
      guard probability.isFinite, probability >= 0 else {
        throw .invalidPMF(
          "probability \(probability) at position \(index) is negative or not finite")
      }
      let frequency = (probability * scale).rounded(.toNearestOrAwayFromZero)
      guard frequency < 4_294_967_296 else {
        throw .invalidPMF("probability \(probability) at position \(index) is too large")
      }
      cdf[index + 1] = UInt32(frequency)
      total += UInt64(cdf[index + 1])
    }
    guard total > 0 else {
      throw .invalidPMF("at least one probability must be non-zero")
    }
    guard total <= UInt64(UInt32.max) else {
      throw .invalidPMF("probabilities sum to more than 2^32 / 2^16")
    }

    let one = UInt64(1) << EntropyCoding.precision
    for index in 1..<cdf.count {
      cdf[index] = UInt32(one * UInt64(cdf[index]) / total)
    }
    for index in 1..<cdf.count {
      cdf[index] += cdf[index - 1]
    }
    cdf[cdf.count - 1] = UInt32(one)

    for index in 0..<(cdf.count - 1) {
      guard cdf[index] == cdf[index + 1] else { continue }
      // Steal one unit from the least probable symbol that can spare it.
      var bestFrequency = UInt32.max
      var bestSymbol = -1
      for symbol in 0..<(cdf.count - 1) {
        let frequency = cdf[symbol + 1] - cdf[symbol]
        if frequency > 1 && frequency < bestFrequency {
          bestFrequency = frequency
          bestSymbol = symbol
        }
      }
      guard bestSymbol >= 0 else {
        throw .invalidPMF("no symbol has frequency to spare")
      }
      if bestSymbol < index {
        for position in (bestSymbol + 1)...index { cdf[position] -= 1 }
      } else {
        for position in (index + 1)...bestSymbol { cdf[position] += 1 }
      }
    }
    return cdf.map { Int32($0) }
  }

  /// Checks that `cdf` starts at 0, ends at 65536 and is strictly increasing
  /// (at least two entries, i.e. at least one symbol).
  ///
  /// - Throws: ``EntropyCodingError/invalidTable(_:)`` describing the first defect.
  public static func validate<C: Collection>(_ cdf: C) throws(EntropyCodingError)
  where C.Element == Int32 {
    guard cdf.count >= 2 else {
      throw .invalidTable("a CDF needs at least 2 entries, got \(cdf.count)")
    }
    var previous: Int32? = nil
    var position = 0
    for value in cdf {
      if let previous {
        guard value > previous else {
          throw .invalidTable(
            "entry \(position) (\(value)) is not above entry \(position - 1) (\(previous))")
        }
      } else if value != 0 {
        throw .invalidTable("first entry is \(value), expected 0")
      }
      previous = value
      position += 1
    }
    guard previous == EntropyCoding.cdfTotal else {
      throw .invalidTable("last entry is \(previous ?? 0), expected \(EntropyCoding.cdfTotal)")
    }
  }

  /// Whether `cdf` passes ``validate(_:)``.
  public static func isValid<C: Collection>(_ cdf: C) -> Bool where C.Element == Int32 {
    do {
      try validate(cdf)
      return true
    } catch {
      return false
    }
  }
}
