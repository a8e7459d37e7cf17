/// Model families Lichen knows, by CompressAI's names.
public enum Architecture: String, Codable, Sendable, CaseIterable {
  case factorizedPrior = "bmshj2018-factorized"
  case scaleHyperprior = "bmshj2018-hyperprior"
  /// Minnen, Balle, Toderici 2018: the hyperprior predicts a mean and a scale for every latent.
  case meanScaleHyperprior = "mbt2018-mean"

  /// Total stride of the transforms: the image side is padded to a multiple of it.
  public var downsamplingFactor: Int { self == .factorizedPrior ? 16 : 64 }

  /// Entropy-coded strings per image: y alone, or y and the hyper-latent z.
  public var stringCount: Int { self == .factorizedPrior ? 1 : 2 }

  /// The family a user names on a command line: the short name ("hyperprior", "mean-scale", "factorized") or
  /// CompressAI's; nil for any other text.
  public init?(name: String) {
    switch name {
    case "hyperprior": self = .scaleHyperprior
    case "factorized": self = .factorizedPrior
    case "mean-scale": self = .meanScaleHyperprior
    default: self.init(rawValue: name)
    }
  }
}
