import Compression
import Foundation
import Imaging
import Torch

/// Equalizes the channels of every activation next to a GDN before 8-bit quantization, exactly in float.
///
/// Activations are quantized per tensor, so a channel whose values span a tenth of the tensor's range keeps
/// about three bits fewer than the widest one. A GDN lets both of its sides be rescaled per channel without
/// changing what the transform computes: scaling the input channel j by c_j (the convolution before: its
/// output channel j) is undone inside the pool by gamma[:, j] / c_j^2 (c_j for the simplified GDN, whose pool
/// sums |x|) and leaves the output channel j scaled by c_j; scaling row i of the pool (beta_i, gamma[i, :])
/// by d_i^2 (d_i) divides a GDN output (multiplies an inverse GDN's) by d_i; the convolution after takes the net output scale e_i back on its input channel
/// i. Choosing c and e from each channel's calibrated range (`c_j = (R / r_j)^strength`, R the widest
/// channel) brings every channel towards the full 8-bit range at no arithmetic cost in the integer engine
/// (Nagel et al. 2019 equalize ReLU networks this way; the GDN pool makes it possible across a GDN too).
/// The price is paid by the weights: the convolution after holds w / e_i, quantized per output channel, and
/// gamma columns shrink by c_j^2; `strength` < 1 balances the two.
public enum ChannelEqualization {
  /// What equalization changed, per GDN: the spread of its channels' ranges before and after.
  public struct LayerChange: Codable, Sendable, Equatable {
    public var gdn: String
    /// Widest / narrowest channel range of the GDN's input and output, before and after.
    public var inputSpreadBefore: Double
    public var inputSpreadAfter: Double
    public var outputSpreadBefore: Double
    public var outputSpreadAfter: Double
  }

  /// Rescales `model` in place (see the type's description) from the per-channel ranges it shows on `images`.
  /// - Parameters:
  ///   - strength: 0 changes nothing, 1 gives every channel its tensor's full range.
  ///   - images: calibration photos (sides padded to multiples of 64), never the evaluation set.
  /// - Returns: one change per GDN of g_a and g_s.
  @discardableResult
  public static func apply(to model: ScaleHyperprior, images: [RGBImage], strength: Double) throws -> [LayerChange] {
    guard strength >= 0, strength <= 1 else { throw QuantizationError("the equalization strength must be in 0...1, got \(strength)") }
    guard !images.isEmpty else { throw QuantizationError("equalization needs calibration images") }
    let stages = try HyperpriorStages(model)
    let statistics = try CalibrationStatistics.collect(model: model, images: images)
    var changes: [LayerChange] = []
    try withNoGrad {
      for transform in [stages.analysis, stages.synthesis] {
        for position in transform.indices {
          guard let gdn = transform[position].layer as? GDN else { continue }
          guard position > 0, position + 1 < transform.count else {
            throw QuantizationError("\(transform[position].descriptor.name): a GDN needs a convolution on each side to be equalized")
          }
          let before = transform[position - 1], after = transform[position + 1]
          let name = transform[position].descriptor.name
          let r = try statistics.point(before.descriptor.name).channelMaxAbs.map(Double.init)
          let s = try statistics.point(name).channelMaxAbs.map(Double.init)
          var c = factors(r, strength: strength), e = factors(s, strength: strength)
          // Only ratios matter to a per-tensor grid, so one side takes a common factor that keeps every row
          // factor d >= 1: a beta at its lower bound can then grow but never has to shrink below it.
          let smallest = zip(c, e).map { gdn.inverse ? $1 / $0 : $0 / $1 }.min() ?? 1
          if smallest < 1 {
            if gdn.inverse { e = e.map { $0 / smallest } } else { c = c.map { $0 / smallest } }
          }
          let d = zip(c, e).map { gdn.inverse ? $1 / $0 : $0 / $1 }
          try scaleOutputs(before.layer, by: c)
          try scalePool(gdn, rows: d, columns: c)
          try scaleInputs(after.layer, by: e.map { 1 / $0 })
          changes.append(LayerChange(
            gdn: name, inputSpreadBefore: spread(r), inputSpreadAfter: spread(zip(r, c).map(*)),
            outputSpreadBefore: spread(s), outputSpreadAfter: spread(zip(s, e).map(*))))
        }
      }
    }
    return changes
  }

  /// (R / r_j)^strength with R the widest range; dead channels (range 0) keep factor 1.
  static func factors(_ ranges: [Double], strength: Double) -> [Double] {
    let widest = ranges.max() ?? 0
    return ranges.map { $0 > 0 && widest > 0 ? Foundation.pow(widest / $0, strength) : 1 }
  }

  /// Widest over narrowest non-zero range.
  static func spread(_ ranges: [Double]) -> Double {
    let live = ranges.filter { $0 > 0 }
    guard let low = live.min(), let high = live.max() else { return 1 }
    return high / low
  }

  /// Multiplies output channel j of a convolution (weight and bias) by `factors[j]`.
  static func scaleOutputs(_ layer: any Layer, by factors: [Double]) throws {
    let f = try Tensor(factors.map(Float.init), shape: [factors.count])
    switch layer {
    case let conv as Conv2d:
      try conv.weight.copy_(conv.weight * f.reshape([-1, 1, 1, 1]))
      if let bias = conv.bias { try bias.copy_(bias * f) }
    case let conv as ConvTranspose2d:
      try conv.weight.copy_(conv.weight * f.reshape([1, -1, 1, 1]))
      if let bias = conv.bias { try bias.copy_(bias * f) }
    default:
      throw QuantizationError("equalization expects a convolution before a GDN, found \(type(of: layer))")
    }
  }

  /// Multiplies input channel i of a convolution by `factors[i]`.
  static func scaleInputs(_ layer: any Layer, by factors: [Double]) throws {
    let f = try Tensor(factors.map(Float.init), shape: [factors.count])
    switch layer {
    case let conv as Conv2d: try conv.weight.copy_(conv.weight * f.reshape([1, -1, 1, 1]))
    case let conv as ConvTranspose2d: try conv.weight.copy_(conv.weight * f.reshape([-1, 1, 1, 1]))
    default: throw QuantizationError("equalization expects a convolution after a GDN, found \(type(of: layer))")
    }
  }

  /// beta_i * rows_i^p and gamma_ij * rows_i^p / columns_j^p, stored through the GDN's reparametrization; p = 2
  /// for a pool of squares, 1 for the simplified GDN's pool of |x|.
  static func scalePool(_ gdn: GDN, rows: [Double], columns: [Double]) throws {
    let (beta, gamma) = try gdn.effectiveParameters()
    let power = gdn.variant == .simplified ? 1.0 : 2.0
    let row = try Tensor(rows.map { Float(Foundation.pow($0, power)) }, shape: [rows.count])
    let column = try Tensor(columns.map { Float(1 / Foundation.pow($0, power)) }, shape: [columns.count])
    let newBeta = try beta * row
    let newGamma = try gamma * row.reshape([-1, 1]) * column.reshape([1, -1])
    // Every row factor is >= 1, so only rounding can land a beta at its bound a hair below it.
    if let smallest = try newBeta.floats().min(), Double(smallest) < gdn.betaReparam.minimum * 0.999 {
      throw QuantizationError("equalization would push a beta of the GDN to \(smallest), under its lower bound \(gdn.betaReparam.minimum); use a lower strength")
    }
    try gdn.beta.copy_(try gdn.betaReparam.initial(newBeta))
    try gdn.gamma.copy_(try gdn.gammaReparam.initial(newGamma))
  }
}
