import Torch

/// Scale hyperprior (Balle, Minnen, Singh, Hwang, Johnston 2018,
/// arXiv:1802.01436; CompressAI's `ScaleHyperprior`, "bmshj2018-hyperprior"):
///
///     x -> g_a -> y -> |.| -> h_a -> z -> [EntropyBottleneck] -> z_hat
///                                           z_hat -> h_s -> scales
///     y -> [GaussianConditional(scales)] -> y_hat -> g_s -> x_hat
///
/// g_a: 4 conv5x5/2 with GDN between (N, N, N, M channels); g_s mirrors it
/// with transposed convolutions and inverse GDN. h_a: conv3x3/1, ReLU,
/// conv5x5/2, ReLU, conv5x5/2; h_s: deconv5x5/2, ReLU, deconv5x5/2, ReLU,
/// conv3x3/1, ReLU. Total stride 64.
public final class ScaleHyperprior: CompressionModel {
  public let n: Int
  public let m: Int
  public let gdnVariant: GDN.Variant
  /// g_a: the analysis transform.
  public let analysis: Sequential
  /// g_s: the synthesis transform.
  public let synthesis: Sequential
  /// h_a: the hyper-analysis.
  public let hyperAnalysis: Sequential
  /// h_s: the hyper-synthesis (predicts scales).
  public let hyperSynthesis: Sequential
  public let entropyBottleneck: EntropyBottleneck
  public let gaussianConditional: GaussianConditional
  public var isTraining = true

  public init(n: Int, m: Int, gdnVariant: GDN.Variant = .standard, seed: UInt64 = 0) throws {
    guard n > 0, m > 0 else { throw CodecError.invalidModel("N and M must be positive, got N=\(n) M=\(m)") }
    self.n = n
    self.m = m
    self.gdnVariant = gdnVariant
    let g = try Generator(seed: seed)
    typealias C = CodecConvolution
    entropyBottleneck = try EntropyBottleneck(channels: n, generator: g)
    analysis = try BalleTransforms.analysis(n: n, m: m, gdn: gdnVariant, generator: g)
    synthesis = try BalleTransforms.synthesis(n: n, m: m, gdn: gdnVariant, generator: g)
    hyperAnalysis = Sequential([
      try C.conv(m, n, kernel: 3, stride: 1, generator: g), Activation(.relu),
      try C.conv(n, n, generator: g), Activation(.relu),
      try C.conv(n, n, generator: g),
    ])
    hyperSynthesis = Sequential([
      try C.deconv(n, n, generator: g), Activation(.relu),
      try C.deconv(n, n, generator: g), Activation(.relu),
      try C.conv(n, m, kernel: 3, stride: 1, generator: g), Activation(.relu),
    ])
    gaussianConditional = try GaussianConditional()
  }

  public var architecture: Architecture { .scaleHyperprior }
  public var downsamplingFactor: Int { 64 }

  public var children: [(name: String, module: any Module)] {
    [("entropy_bottleneck", entropyBottleneck), ("g_a", analysis), ("g_s", synthesis), ("h_a", hyperAnalysis),
     ("h_s", hyperSynthesis), ("gaussian_conditional", gaussianConditional)]
  }

  public var auxiliaryParameters: [Tensor] { [entropyBottleneck.quantiles] }

  public var analysisTransform: Sequential { analysis }
  public var synthesisTransform: Sequential { synthesis }

  public func latents(analyzed y: Tensor) throws -> [Tensor] { [y, try hyperAnalysis(y.abs()).to(.float32)] }

  public func synthesize(latents: [Tensor], mode: QuantizationMode) throws -> ForwardResult {
    try expectLatents(latents, count: 2)
    let (y, z) = (latents[0], latents[1])
    let (zHat, zLikelihoods) = try entropyBottleneck(z, mode: mode)
    let scales = try hyperSynthesis(zHat)
    let (yHat, yLikelihoods) = try gaussianConditional(y, scales: scales, mode: mode)
    let xHat = try synthesis(yHat).to(.float32)  // float32 also under mixed precision
    return ForwardResult(reconstruction: xHat, likelihoods: [("y", yLikelihoods), ("z", zLikelihoods)], y: y, z: z)
  }

  public func compress(latents: [Tensor]) throws -> CompressedLatents {
    try expectLatents(latents, count: 2)
    let (y, z) = (latents[0], latents[1])
    return try withNoGrad {
      let zStrings = try entropyBottleneck.compress(z)
      let (_, _, zh, zw) = try z.size4()
      // The scales come from the decoded z_hat, exactly as the decoder will compute them.
      let zHat = try entropyBottleneck.decompress(zStrings, height: zh, width: zw)
      let indexes = try gaussianConditional.indexes(for: entropyParameters(zHat))
      let yStrings = try gaussianConditional.compress(y, indexes: indexes)
      return CompressedLatents(strings: [yStrings, zStrings], latentHeight: zh, latentWidth: zw)
    }
  }

  public func decodedLatent(_ latents: CompressedLatents) throws -> Tensor {
    guard latents.strings.count == 2, latents.strings[0].count == latents.strings[1].count else {
      throw CodecError.invalidBitstream("the hyperprior expects a y and a z string per image")
    }
    return try withNoGrad {
      let zHat = try entropyBottleneck.decompress(latents.strings[1], height: latents.latentHeight,
                                                  width: latents.latentWidth)
      let scales = try entropyParameters(zHat)
      let indexes = try gaussianConditional.indexes(for: scales)
      return try gaussianConditional.decompress(latents.strings[0], indexes: indexes, shape: scales.shape)
    }
  }

  /// The scales the coder indexes, computed single-threaded on both sides:
  /// h_s is small (0.54 GMACs at 768x512), and a fixed thread count keeps the
  /// CDF indexes independent of `--threads` (float reductions can differ
  /// between thread partitions, and one flipped index breaks decoding).
  func entropyParameters(_ zHat: Tensor) throws -> Tensor {
    try Torch.withThreads(1) { try hyperSynthesis(zHat) }
  }

  public func update() throws {
    try entropyBottleneck.update()
    try gaussianConditional.update()
  }

  public func auxiliaryLoss() throws -> Tensor { try entropyBottleneck.auxiliaryLoss() }
  @discardableResult public func fitQuantiles() throws -> QuantileFit { try entropyBottleneck.fitQuantiles() }
}
