import Foundation
import Torch

/// Uchida et al. 2017, "Embedding Watermarks into Deep Neural Networks"
/// (ICMR): a regulariser pulls sigmoid(X * w̄) towards the bits, where w̄ is
/// the mean of a conv layer's filters over output channels (a vector of
/// in_c * k * k) and X a secret T x |w̄| Gaussian matrix. Defaults as in the
/// paper: T = 256 bits, lambda = 0.01.
public struct UchidaWatermark {
  public let layer: String
  public let projection: Tensor  // T x D
  public let bits: [Bool]
  public let strength: Double

  public init(model: any Module, layer: String, bits: [Bool], seed: UInt64, strength: Double = 0.01) throws {
    guard let weight = model.namedParameters().first(where: { $0.name == layer })?.tensor else {
      throw WatermarkError("the model has no layer \(layer)")
    }
    guard weight.rank >= 2 else { throw WatermarkError("\(layer) is not a conv/linear weight") }
    let dimension = weight.elementCount / weight.shape[0]
    self.layer = layer
    self.bits = bits
    self.strength = strength
    projection = try Tensor.randn([bits.count, dimension], generator: Generator(seed: seed))
  }

  func filterMean(_ model: any Module) throws -> Tensor {
    guard let weight = model.namedParameters().first(where: { $0.name == layer })?.tensor else {
      throw WatermarkError("the model has no layer \(layer)")
    }
    return try weight.reshape([weight.shape[0], -1]).mean(dims: [0])
  }

  /// strength * BCE(sigmoid(X w̄), bits): add to the task loss while training.
  public func regularizer(_ model: any Module) throws -> Tensor {
    let logits = try projection.matmul(filterMean(model))
    let target = try Tensor(bits.map { $0 ? Float(1) : 0 })
    // BCE with logits: softplus(z) - t * z, averaged.
    let bce = try (logits.softplus() - target * logits).mean()
    return try bce * strength
  }

  /// The bits read back: sigmoid(X w̄) > 0.5.
  public func extract(_ model: any Module) throws -> [Bool] {
    try withNoGrad { try projection.matmul(filterMean(model)).gt(0).scalars(as: Bool.self) }
  }
}

/// Tondi, Costanzo, Barni 2024 (fixed-weight watermarking): the key weights
/// are overwritten with values drawn from a Laplacian whose sign carries the
/// bit, and then frozen like WaterMAS's, but without any sharpness term. It
/// is substitution with a different value distribution, so it reuses the
/// WaterMAS key and masks.
public enum LaplacianSubstitution {
  /// Writes |Laplace(0, b)| * sign(bit) with b = scale * std(layer) into the key positions.
  public static func substitute(_ bits: [Bool], into model: any Module, key: WatermarkKey, scale: Double = 1,
                                seed: UInt64) throws {
    try key.check(model)
    guard bits.count == key.payloadBits else {
      throw WatermarkError("payload has \(bits.count) bits, the key was made for \(key.payloadBits)")
    }
    var rng = SplitMix64(seed: seed)
    let coded = try key.code.encode(bits)
    guard coded.count == key.positions.count else {
      throw WatermarkError("the key holds \(key.positions.count) positions, its code needs \(coded.count): the key is damaged")
    }
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    try withNoGrad {
      // Layers in name order: the random draws must not depend on the process's hash seed.
      for (layer, entries) in Dictionary(grouping: zip(key.positions, coded), by: { $0.0.layer }).sorted(by: { $0.key < $1.key }) {
        guard let p = params[layer], let magnitude = key.mapping.magnitudes[layer] else { continue }
        let b = scale * magnitude / Swift.max(key.mapping.alpha, 1e-12)
        let flat = try p.reshape([-1])
        var values = try flat.to(.float64).scalars(as: Double.self)
        for (position, bit) in entries {
          guard values.indices.contains(position.index) else { throw Embedder.outside(position) }
          // Inverse-CDF sample of |Laplace(0, b)|, kept away from 0 so the sign is robust.
          let u = (Double(rng.next() >> 11) + 0.5) / Double(1 << 53)
          let size = Swift.max(-b * Foundation.log(1 - u), 0.05 * b)
          values[position.index] = bit ? size : -size
        }
        try flat.copy_(Tensor(values).to(p.dtype))
      }
    }
  }
}
