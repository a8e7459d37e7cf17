/// Everything that defines a rate-distortion training run. Saved in each
/// checkpoint; a resumed run must use the same values.
public struct RDTrainingConfig: Codable, Sendable, Equatable {
  public var architecture: Architecture = .scaleHyperprior
  public var n = 128
  public var m = 192
  public var gdnVariant: GDN.Variant = .standard
  public var lambda = 0.0130
  public var batchSize = 8
  public var cropSize = 256
  public var steps = 1000
  public var learningRate = 1e-4
  public var auxiliaryLearningRate = 1e-3
  public var clipNorm = 1.0
  public var seed: UInt64 = 0
  public var validateEvery = 200
  public var checkpointEvery = 100
  /// Validations without improvement before the learning rate is lowered.
  public var plateauPatience = 4
  public var plateauFactor = 0.5
  /// Feed the synthesis transforms rounded latents with a straight-through
  /// gradient while the rate keeps the noise proxy (`QuantizationMode.roundedForDecoder`).
  /// Optional so that checkpoints written before it existed still resume: nil means off.
  public var roundsDecoderInputs: Bool?

  public init() {}
}
