import Torch

/// Factorized prior (Balle et al. 2018, arXiv:1802.01436; CompressAI's
/// `FactorizedPrior`, "bmshj2018-factorized"): the same g_a / g_s as the
/// hyperprior, with an entropy bottleneck directly on y. Total stride 16.
public final class FactorizedPrior: CompressionModel {
  public let n: Int
  public let m: Int
  public let analysis: Sequential
  public let synthesis: Sequential
  public let entropyBottleneck: EntropyBottleneck
  public var isTraining = true

  public init(n: Int, m: Int, gdnVariant: GDN.Variant = .standard, seed: UInt64 = 0) throws {
    guard n > 0, m > 0 else { throw CodecError.invalidModel("N and M must be positive, got N=\(n) M=\(m)") }
    self.n = n
    self.m = m
    let g = try Generator(seed: seed)
    entropyBottleneck = try EntropyBottleneck(channels: m, generator: g)
    analysis = try BalleTransforms.analysis(n: n, m: m, gdn: gdnVariant, generator: g)
    synthesis = try BalleTransforms.synthesis(n: n, m: m, gdn: gdnVariant, generator: g)
  }

  public var architecture: Architecture { .factorizedPrior }
  public var downsamplingFactor: Int { 16 }

  public var children: [(name: String, module: any Module)] {
    [("entropy_bottleneck", entropyBottleneck), ("g_a", analysis), ("g_s", synthesis)]
  }

  public var auxiliaryParameters: [Tensor] { [entropyBottleneck.quantiles] }

  public var analysisTransform: Sequential { analysis }
  public var synthesisTransform: Sequential { synthesis }
  public func latents(analyzed y: Tensor) throws -> [Tensor] { [y] }

  public func synthesize(latents: [Tensor], mode: QuantizationMode) throws -> ForwardResult {
    try expectLatents(latents, count: 1)
    let (yHat, likelihoods) = try entropyBottleneck(latents[0], mode: mode)
    return ForwardResult(reconstruction: try synthesis(yHat).to(.float32), likelihoods: [("y", likelihoods)], y: latents[0], z: nil)
  }

  public func compress(latents: [Tensor]) throws -> CompressedLatents {
    try expectLatents(latents, count: 1)
    let (_, _, h, w) = try latents[0].size4()
    return try withNoGrad {
      CompressedLatents(strings: [try entropyBottleneck.compress(latents[0])], latentHeight: h, latentWidth: w)
    }
  }

  public func decodedLatent(_ latents: CompressedLatents) throws -> Tensor {
    guard latents.strings.count == 1 else {
      throw CodecError.invalidBitstream("the factorized model expects one string per image")
    }
    return try withNoGrad {
      try entropyBottleneck.decompress(latents.strings[0], height: latents.latentHeight, width: latents.latentWidth)
    }
  }

  public func update() throws { try entropyBottleneck.update() }
  public func auxiliaryLoss() throws -> Tensor { try entropyBottleneck.auxiliaryLoss() }
  @discardableResult public func fitQuantiles() throws -> QuantileFit { try entropyBottleneck.fitQuantiles() }
}
