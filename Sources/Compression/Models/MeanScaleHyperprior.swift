import Torch

/// Mean-scale hyperprior (Minnen, Balle, Toderici 2018, arXiv:1809.02736, without the
/// autoregressive context; CompressAI's `MeanScaleHyperprior`, "mbt2018-mean"):
///
///     x -> g_a -> y -> h_a -> z -> [EntropyBottleneck] -> z_hat
///                                  z_hat -> h_s -> (scales, means)
///     y -> [GaussianConditional(scales, means)] -> y_hat -> g_s -> x_hat
///
/// g_a and g_s are the scale hyperprior's. h_a: conv3x3/1, LeakyReLU, conv5x5/2, LeakyReLU,
/// conv5x5/2 on y itself (not |y|); h_s: deconv5x5/2 (N -> M), LeakyReLU, deconv5x5/2
/// (M -> 3M/2), LeakyReLU, conv3x3/1 (3M/2 -> 2M): the first M channels are the scales, the last
/// M the means. y is coded as round(y - means), so the decoder, like the hyperprior's, needs
/// nothing but z_hat to rebuild the entropy parameters: the same decoder parallelism.
public final class MeanScaleHyperprior: CompressionModel {
  public let n: Int
  public let m: Int
  public let gdnVariant: GDN.Variant
  public let analysis: Sequential
  public let synthesis: Sequential
  public let hyperAnalysis: Sequential
  /// h_s: predicts scales and means (2M channels).
  public let hyperSynthesis: Sequential
  public let entropyBottleneck: EntropyBottleneck
  public let gaussianConditional: GaussianConditional
  public var isTraining = true

  public init(n: Int, m: Int, gdnVariant: GDN.Variant = .standard, seed: UInt64 = 0) throws {
    guard n > 0, m > 0, m % 2 == 0 else {
      throw CodecError.invalidModel("N and M must be positive (M even), got N=\(n) M=\(m)")
    }
    self.n = n
    self.m = m
    self.gdnVariant = gdnVariant
    let g = try Generator(seed: seed)
    typealias C = CodecConvolution
    entropyBottleneck = try EntropyBottleneck(channels: n, generator: g)
    analysis = try BalleTransforms.analysis(n: n, m: m, gdn: gdnVariant, generator: g)
    synthesis = try BalleTransforms.synthesis(n: n, m: m, gdn: gdnVariant, generator: g)
    hyperAnalysis = Sequential([
      try C.conv(m, n, kernel: 3, stride: 1, generator: g), Activation(.leakyReLU),
      try C.conv(n, n, generator: g), Activation(.leakyReLU),
      try C.conv(n, n, generator: g),
    ])
    hyperSynthesis = Sequential([
      try C.deconv(n, m, generator: g), Activation(.leakyReLU),
      try C.deconv(m, m * 3 / 2, generator: g), Activation(.leakyReLU),
      try C.conv(m * 3 / 2, m * 2, kernel: 3, stride: 1, generator: g),
    ])
    gaussianConditional = try GaussianConditional()
  }

  public var architecture: Architecture { .meanScaleHyperprior }
  public var downsamplingFactor: Int { 64 }

  public var children: [(name: String, module: any Module)] {
    [("entropy_bottleneck", entropyBottleneck), ("g_a", analysis), ("g_s", synthesis), ("h_a", hyperAnalysis),
     ("h_s", hyperSynthesis), ("gaussian_conditional", gaussianConditional)]
  }

  public var auxiliaryParameters: [Tensor] { [entropyBottleneck.quantiles] }
  public var analysisTransform: Sequential { analysis }
  public var synthesisTransform: Sequential { synthesis }

  public func latents(analyzed y: Tensor) throws -> [Tensor] { [y, try hyperAnalysis(y).to(.float32)] }

  /// Scales and means from z_hat (h_s's first and last M channels).
  func entropyParameters(_ zHat: Tensor, singleThreaded: Bool) throws -> (scales: Tensor, means: Tensor) {
    let parameters = try singleThreaded ? Torch.withThreads(1) { try hyperSynthesis(zHat) } : hyperSynthesis(zHat)
    return (try parameters.narrow(1, start: 0, length: m), try parameters.narrow(1, start: m, length: m))
  }

  public func synthesize(latents: [Tensor], mode: QuantizationMode) throws -> ForwardResult {
    try expectLatents(latents, count: 2)
    let (y, z) = (latents[0], latents[1])
    let (zHat, zLikelihoods) = try entropyBottleneck(z, mode: mode)
    let (scales, means) = try entropyParameters(zHat, singleThreaded: false)
    let (yHat, yLikelihoods) = try gaussianConditional(y, scales: scales, means: means, mode: mode)
    let xHat = try synthesis(yHat).to(.float32)
    return ForwardResult(reconstruction: xHat, likelihoods: [("y", yLikelihoods), ("z", zLikelihoods)], y: y, z: z)
  }

  public func compress(latents: [Tensor]) throws -> CompressedLatents {
    try expectLatents(latents, count: 2)
    let (y, z) = (latents[0], latents[1])
    return try withNoGrad {
      let zStrings = try entropyBottleneck.compress(z)
      let (_, _, zh, zw) = try z.size4()
      // Scales and means from the decoded z_hat, single-threaded, exactly as the decoder computes them.
      let zHat = try entropyBottleneck.decompress(zStrings, height: zh, width: zw)
      let (scales, means) = try entropyParameters(zHat, singleThreaded: true)
      let indexes = try gaussianConditional.indexes(for: scales)
      let yStrings = try gaussianConditional.compress(y, indexes: indexes, means: means)
      return CompressedLatents(strings: [yStrings, zStrings], latentHeight: zh, latentWidth: zw)
    }
  }

  public func decodedLatent(_ latents: CompressedLatents) throws -> Tensor {
    guard latents.strings.count == 2, latents.strings[0].count == latents.strings[1].count else {
      throw CodecError.invalidBitstream("the mean-scale hyperprior expects a y and a z string per image")
    }
    return try withNoGrad {
      let zHat = try entropyBottleneck.decompress(latents.strings[1], height: latents.latentHeight,
                                                  width: latents.latentWidth)
      let (scales, means) = try entropyParameters(zHat, singleThreaded: true)
      let indexes = try gaussianConditional.indexes(for: scales)
      return try gaussianConditional.decompress(latents.strings[0], indexes: indexes, shape: scales.shape, means: means)
    }
  }

  public func update() throws {
    try entropyBottleneck.update()
    try gaussianConditional.update()
  }

  public func auxiliaryLoss() throws -> Tensor { try entropyBottleneck.auxiliaryLoss() }
  @discardableResult public func fitQuantiles() throws -> QuantileFit { try entropyBottleneck.fitQuantiles() }
}
