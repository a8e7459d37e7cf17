import Foundation
import IntegerEngine

/// Where each quantization point's integers sit: the scale, the clip and the
/// integer range of every stage's output, and the fraction bits of z_hat.
/// One home for these choices, shared by the converter (which builds the
/// integer model) and the fake-quantized training objective (which must
/// see the same grids).
struct ActivationPlan {
  struct Point {
    var clip: Double
    var scale: Double
    var range: ActivationRange
  }

  let points: [String: Point]
  /// z_hat is held in units of 2^-zFractionBits: as fine as the z bits allow.
  let zFractionBits: Int
  /// Mean-scale hyperprior: the means' grid (h_s's last layer, its last M channels) and the fraction bits of y,
  /// the means and g_s's input (as fine as y's bits allow); nil and 0 for the scale hyperprior.
  let means: Point?
  let yFractionBits: Int

  init(stages: HyperpriorStages, bits: [String: QuantizationScheme.Bits], statistics: CalibrationStatistics,
       method: CalibrationMethod) throws {
    var points: [String: Point] = [:]
    let pixelLayer = stages.synthesis.last?.descriptor.name
    let latentLayer = stages.analysis.last?.descriptor.name
    for stage in stages.all {
      let name = stage.descriptor.name
      guard let b = bits[name] else { throw QuantizationError("no bits for \(name)") }
      if name == pixelLayer {
        // The last synthesis layer requantizes straight to 8-bit pixels.
        points[name] = Point(clip: 1, scale: 1.0 / 255, range: ActivationRange(lower: 0, upper: 255))
        continue
      }
      let levels = Double((1 << (b.activations - 1)) - 1)
      let clip = try statistics.point(name).clip(method: method, bits: b.activations)
      var range = ActivationRange.signed(bits: b.activations)
      if stage.reluAfter { range = range.rectified }
      if name == latentLayer, let step = Self.latentStep(clip: clip, levels: levels) {
        points[name] = Point(clip: step * levels, scale: step, range: range)
      } else {
        points[name] = Point(clip: clip, scale: clip / levels, range: range)
      }
    }
    self.points = points
    guard let zName = stages.hyperAnalysis.last?.descriptor.name, let zBits = bits[zName]?.activations else {
      throw QuantizationError("model has no hyper-analysis")
    }
    let zHatMax = Double(try statistics.point("z_hat").maxAbs)
    zFractionBits = Self.fractionBits(bits: zBits, largest: zHatMax)
    guard stages.model.predictsMeans else {
      means = nil
      yFractionBits = 0
      return
    }
    guard let meansLayer = stages.hyperSynthesis.last?.descriptor.name, let meansBits = bits[meansLayer]?.activations,
      let yName = latentLayer, let yBits = bits[yName]?.activations, let y = points[yName]
    else { throw QuantizationError("model has no hyper-synthesis") }
    let clip = try statistics.point(HyperpriorStages.meansPoint).clip(method: method, bits: meansBits)
    means = Point(clip: clip, scale: clip / Double((1 << (meansBits - 1)) - 1), range: .signed(bits: meansBits))
    yFractionBits = Self.fractionBits(bits: yBits, largest: Swift.max(y.clip, clip))
  }

  /// The most fraction bits that keep values up to `largest` within a signed `bits`-bit integer (0...14).
  static func fractionBits(bits: Int, largest: Double) -> Int {
    Swift.max(0, Swift.min(14, bits - 1 - Int(Foundation.log2(largest + 1).rounded(.up))))
  }

  /// The latent y is rounded twice: to its activation grid, then to the integer symbol. On a grid of step
  /// 1/(2m+1) every rounding boundary k + 1/2 lies halfway between two grid points, so the two roundings
  /// give exactly round(y); on any other grid the boundaries move. At 8 bits (step clip/127 = 0.307 for
  /// the N=64 student) the dead zone around 0 shrank from +-0.5 to +-0.46 and Kodak's rate rose 6%.
  /// Returns the finest such step whose grid still reaches the clip, or nil when even step 1 does not.
  static func latentStep(clip: Double, levels: Double) -> Double? {
    guard clip > 0, clip.isFinite else { return 1 }
    let most = Int((levels / clip).rounded(.down))
    guard most >= 1 else { return nil }
    let odd = most % 2 == 1 ? most : most - 1
    return 1 / Double(odd)
  }

  func point(_ name: String) throws -> Point {
    guard let p = points[name] else { throw QuantizationError("no activation plan for \(name)") }
    return p
  }
}
