import Foundation
import Torch

/// Draws key positions: a layer with probability proportional to its size,
/// then a uniform index in it, never the same weight twice (the scheme of
/// Tartaglione et al. 2020, which WaterMAS builds on).
public enum KeyGenerator {
  /// Which parameters may carry bits.
  public enum LayerFilter: Sendable {
    /// Every conv/linear weight (rank >= 2, name ending in "weight").
    case weights
    /// Only these dotted names.
    case named([String])
  }

  /// How the marked magnitudes vary within a layer.
  public enum MagnitudeSpread: String, Sendable, CaseIterable {
    /// One magnitude per layer (alpha * std): the classic substitution.
    case layer
    /// alpha * std * |z| per position, z standard normal with |z| >= 0.5 (so no mark sits at the noise
    /// floor): marked values look like a Gaussian layer's own weights, and none repeats.
    case halfNormal = "half-normal"
  }

  /// Smallest |z| a half-normal factor takes (about 38% of a standard normal's mass lies below).
  public static let halfNormalFloor = 0.5

  public static func generate(
    for model: any Module, payloadBits: Int, code: PayloadCode = .none, seed: UInt64, alpha: Double = 1.0,
    layers: LayerFilter = .weights, spread: MagnitudeSpread = .layer
  ) throws -> WatermarkKey {
    let candidates = model.namedParameters().filter { name, tensor in
      switch layers {
      case .weights: return WatermarkKey.isMarkable(name: name, rank: tensor.rank)
      case .named(let names): return names.contains(name)
      }
    }
    guard !candidates.isEmpty else { throw WatermarkError("the model has no layer that can carry a watermark") }
    guard payloadBits > 0 else { throw WatermarkError("the payload is empty") }
    let needed = try code.codedLength(payloadBits: payloadBits)
    let total = candidates.reduce(0) { $0 + $1.tensor.elementCount }
    guard needed <= total / 2 else {
      throw WatermarkError("payload of \(needed) coded bits exceeds what these layers can hold (\(total / 2))")
    }
    var rng = SplitMix64(seed: seed)
    var used = Set<WatermarkKey.Position>()
    var positions: [WatermarkKey.Position] = []
    while positions.count < needed {
      var pick = Int(rng.next() % UInt64(total))
      var chosen = candidates[0]
      for candidate in candidates {
        if pick < candidate.tensor.elementCount { chosen = candidate; break }
        pick -= candidate.tensor.elementCount
      }
      let position = WatermarkKey.Position(layer: chosen.name, index: Int(rng.next() % UInt64(chosen.tensor.elementCount)))
      if used.insert(position).inserted { positions.append(position) }
    }
    let usedLayers = Set(positions.map(\.layer))
    var shapes: [String: [Int]] = [:]
    var magnitudes: [String: Double] = [:]
    for (name, tensor) in candidates where usedLayers.contains(name) {
      shapes[name] = tensor.shape
      magnitudes[name] = alpha * (try withNoGrad { try tensor.to(.float64).variance().item() }).squareRoot()
    }
    var scales: [Double]? = nil
    if spread == .halfNormal {
      // Its own stream, so the positions (and old keys' positions) do not depend on the spread.
      var draw = SplitMix64(seed: seed, stream: 0x6D61_676E_6974_7564, step: 0)  // "magnitud"
      scales = positions.map { _ in
        while true {
          // Half-normal; redraw below the floor.
          let z = abs(draw.standardNormal())
          if z >= halfNormalFloor { return z }
        }
      }
    }
    return WatermarkKey(seed: seed, positions: positions, mapping: .init(alpha: alpha, magnitudes: magnitudes, positionScales: scales),
                        layerShapes: shapes, architectureHash: WatermarkKey.architectureHash(of: model), code: code,
                        payloadBits: payloadBits)
  }
}
