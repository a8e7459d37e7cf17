import Torch

/// Generalized divisive normalisation (Balle, Laparra, Simoncelli 2016,
/// arXiv:1511.06281) over NCHW input:
///
///     standard:   y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)
///     simplified: y_i = x_i / (beta_i + sum_j gamma_ij |x_j|)   (Johnston et al. 2019)
///
/// The inverse variants multiply instead of divide (IGDN, used in g_s).
/// beta and gamma are stored reparametrized (CompressAI names `beta`,
/// `gamma`, `beta_reparam.*`, `gamma_reparam.*`); beta_min 1e-6, gamma
/// initialised to 0.1 * I.
public final class GDN: Layer {
  public enum Variant: String, Sendable, Codable, CaseIterable {
    case standard
    case simplified
  }

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
    }
  }
}
