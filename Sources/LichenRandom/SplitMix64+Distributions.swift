import Foundation

extension SplitMix64 {
  /// A uniform value in the open interval (0, 1): 53 random bits offset by half a unit, so neither
  /// end is ever drawn (safe under `log` and division).
  public mutating func unitInterval() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }

  /// A standard normal value (Box-Muller, one value per call).
  public mutating func standardNormal() -> Double {
    let u = unitInterval(), v = unitInterval()
    return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
  }

  /// A Gamma(shape, 1) value (Marsaglia & Tsang 2000; below shape 1 through
  /// Gamma(shape + 1) x U^(1 / shape)).
  /// - Parameter shape: positive and finite (the caller validates it).
  public mutating func gamma(shape: Double) -> Double {
    if shape < 1 { return gamma(shape: shape + 1) * Foundation.pow(unitInterval(), 1 / shape) }
    let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
    while true {
      var x: Double, v: Double
      repeat {
        x = standardNormal()
        v = 1 + c * x
      } while v <= 0
      v = v * v * v
      let u = unitInterval()
      if u < 1 - 0.0331 * x * x * x * x || Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) {
        return d * v
      }
    }
  }

  /// A Beta(a, b) value, as G_a / (G_a + G_b) (drawn again in the rare case both underflow to 0).
  /// - Parameters:
  ///   - a, b: positive and finite (the caller validates them).
  public mutating func beta(_ a: Double, _ b: Double) -> Double {
    while true {
      let x = gamma(shape: a), y = gamma(shape: b)
      if x + y > 0 { return x / (x + y) }
    }
  }
}
