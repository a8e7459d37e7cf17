/// Model families Lichen knows, by CompressAI's names.
public enum Architecture: String, Codable, Sendable, CaseIterable {
  case factorizedPrior = "bmshj2018-factorized"
  case scaleHyperprior = "bmshj2018-hyperprior"
}
