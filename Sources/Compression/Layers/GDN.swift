import Foundation
import IntegerEngine
import Torch

/// Generalized divisive normalisation (Balle, Laparra, Simoncelli 2016,
/// arXiv:1511.06281) over NCHW input:
///
///     standard:   y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)
///     simplified: y_i = x_i / (beta_i + sum_j gamma_ij |x_j|)   (Johnston et al. 2019)
///     hardware:   the standard formula as the integer engine computes it -
///                 gamma quantized per row to `hardwareGammaBits`, and the
///                 square root taken from the engine's `NormalizationTable`
///                 (same knots, linear interpolation), with straight-through
///                 gradients; trains a model for fixed point (docs/quantization.md)
///
/// The inverse variants multiply instead of divide (IGDN, used in g_s).
/// beta and gamma are stored reparametrized (CompressAI names `beta`,
/// `gamma`, `beta_reparam.*`, `gamma_reparam.*`); beta_min 1e-6, gamma
/// initialised to 0.1 * I.
public final class GDN: Layer {
  public typealias Variant = GDNVariant

  /// Gamma bits of the hardware variant (unsigned, per output row).
  public static let hardwareGammaBits = 16

  public let beta: Tensor
  public let gamma: Tensor
  public let betaReparam: NonNegativeParametrizer
  public let gammaReparam: NonNegativeParametrizer
  public let inverse: Bool
  public let variant: Variant
  public let channels: Int
  public var isTraining = true

  public init(
    channels: Int, inverse: Bool = false, variant: Variant = .standard, betaMin: Double = 1e-6,
    gammaInit: Double = 0.1
  ) throws {
    self.channels = channels
    self.inverse = inverse
    self.variant = variant
    betaReparam = try NonNegativeParametrizer(minimum: betaMin)
    gammaReparam = try NonNegativeParametrizer()
    beta = try betaReparam.initial(Tensor.ones([channels])).detach().requiringGrad()
    gamma = try gammaReparam.initial(Tensor.eye(channels) * gammaInit).detach().requiringGrad()
  }

  public var parameters: [(name: String, tensor: Tensor)] { [("beta", beta), ("gamma", gamma)] }
  public var children: [(name: String, module: any Module)] {
    [("beta_reparam", betaReparam), ("gamma_reparam", gammaReparam)]
  }

  /// The effective (non-negative) beta and gamma.
  public func effectiveParameters() throws -> (beta: Tensor, gamma: Tensor) {
    (try betaReparam(beta), try gammaReparam(gamma))
  }

  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    // The normalisation (squares, pool, square root) stays in float32 under mixed precision;
    // only the transforms' large convolutions take bfloat16.
    if Autocast.current != nil { return try withAutocast(nil) { try self(x.to(.float32)) } }
    let (_, c, _, _) = try x.size4("GDN input")
    guard c == channels else { throw TorchError(.value, "GDN expects \(channels) channels, got \(c)") }
    let (b, g) = try effectiveParameters()
    let weight = try g.reshape([c, c, 1, 1])
    switch variant {
    case .standard:
      let norm = try x.square().conv2d(weight: weight, bias: b)
      return try inverse ? x * norm.sqrt() : x * norm.rsqrt()
    case .simplified:
      let norm = try x.abs().conv2d(weight: weight, bias: b)
      return try inverse ? x * norm : x / norm
    case .hardware:
      let levels = Double((1 << Self.hardwareGammaBits) - 1)
      let rowScale = try (g.max(dims: [1], keepDim: true).detach() / levels).clamp(min: 1e-12)
      let gq = try g + ((g / rowScale).round() * rowScale - g).detach()
      let norm = try x.square().conv2d(weight: gq.reshape([c, c, 1, 1]), bias: b)
      let exact = try inverse ? norm.sqrt() : norm.rsqrt()
      let table = try TableEmulation.evaluate(norm.detach(), inverse: inverse)
      return try x * (exact + (table - exact).detach())
    }
  }
}

/// The integer engine's GDN table evaluated on float pools: P = m * 4^k with
/// m in [1, 4), the knot values of `NormalizationTable` (6 index bits, 16
/// fraction bits), linear interpolation, times 2^(-k) or 2^k.
enum TableEmulation {
  static func evaluate(_ pool: Tensor, inverse: Bool) throws -> Tensor {
    let table = try NormalizationTable(function: inverse ? .squareRoot : .inverseSquareRoot)
    let scale = Double(1 << table.fractionBits)
    let knots = try Tensor(table.entries.map { Float(Double($0) / scale) }, shape: [table.entries.count])
    let p = try pool.clamp(min: 1e-30)
    let k = try (p.log2().floor() / 2).floor()
    let ln2 = Foundation.log(2.0)
    let m = try p * (k * (-2 * ln2)).exp()
    let segments = Double(1 << table.indexBits)
    let u = try (m - 1) * segments
    let index = try u.floor().clamp(min: 0, max: Double(table.entries.count - 2))
    let fraction = try u - index
    let flat = try index.reshape([-1]).to(.int64)
    let a = try knots.indexSelect(0, flat).reshape(pool.shape)
    let b = try knots.indexSelect(0, flat + 1).reshape(pool.shape)
    let value = try a + (b - a) * fraction
    return try value * (k * (inverse ? ln2 : -ln2)).exp()
  }
}

extension GDN {
  /// Starts this simplified GDN from a trained standard one: beta_i and gamma_ij become their square
  /// roots, so the pool beta' + sum gamma' |x| is the sum of the square roots of the standard pool's
  /// terms, never below its square root and equal to it where one term dominates (a close start where
  /// the raw parameters, read as the simplified GDN's, leave the model at noise level).
  /// - Throws: `TorchError` when the two differ in width or direction, or this one is not simplified.
  public func approximate(_ standard: GDN) throws {
    guard variant == .simplified, standard.variant != .simplified, standard.channels == channels,
      standard.inverse == inverse
    else {
      throw TorchError(.value, "a simplified GDN starts only from a standard GDN of its width and direction")
    }
    let (b, g) = try standard.effectiveParameters()
    try withNoGrad {
      try beta.copy_(betaReparam.initial(b.clamp(min: 0).sqrt()))
      try gamma.copy_(gammaReparam.initial(g.clamp(min: 0).sqrt()))
    }
  }
}
