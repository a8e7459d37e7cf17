/// A codec's architecture and sizes: enough to build it.
public struct ModelConfiguration: Codable, Sendable, Equatable {
  public var architecture: Architecture
  public var n: Int
  public var m: Int
  public var gdnVariant: GDN.Variant

  public init(architecture: Architecture, n: Int, m: Int, gdnVariant: GDN.Variant = .standard) {
    self.architecture = architecture
    self.n = n
    self.m = m
    self.gdnVariant = gdnVariant
  }

  /// A freshly initialised model.
  public func makeModel(seed: UInt64 = 0) throws -> any CompressionModel {
    switch architecture {
    case .scaleHyperprior: return try ScaleHyperprior(n: n, m: m, gdnVariant: gdnVariant, seed: seed)
    case .factorizedPrior: return try FactorizedPrior(n: n, m: m, gdnVariant: gdnVariant, seed: seed)
    }
  }
}
