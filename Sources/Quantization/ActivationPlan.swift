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

  init(stages: HyperpriorStages, bits: [String: QuantizationScheme.Bits], statistics: CalibrationStatistics,
       method: CalibrationMethod) throws {
    var points: [String: Point] = [:]
    let pixelLayer = stages.synthesis.last?.descriptor.name
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
      points[name] = Point(clip: clip, scale: clip / levels, range: range)
    }
    self.points = points
    guard let zName = stages.hyperAnalysis.last?.descriptor.name, let zBits = bits[zName]?.activations else {
      throw QuantizationError("model has no hyper-analysis")
    }
    let zHatMax = Double(try statistics.point("z_hat").maxAbs)
    zFractionBits = Swift.max(0, Swift.min(14, zBits - 1 - Int(Foundation.log2(zHatMax + 1).rounded(.up))))
  }

  func point(_ name: String) throws -> Point {
    guard let p = points[name] else { throw QuantizationError("no activation plan for \(name)") }
    return p
  }
}
