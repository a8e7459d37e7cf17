import CodecFormat

extension ModelConfiguration {
  /// A freshly initialised model.
  public func makeModel(seed: UInt64 = 0) throws -> any CompressionModel {
    switch architecture {
    case .scaleHyperprior: return try ScaleHyperprior(n: n, m: m, gdnVariant: gdnVariant, seed: seed)
    case .factorizedPrior: return try FactorizedPrior(n: n, m: m, gdnVariant: gdnVariant, seed: seed)
    case .meanScaleHyperprior: return try MeanScaleHyperprior(n: n, m: m, gdnVariant: gdnVariant, seed: seed)
    }
  }
}
