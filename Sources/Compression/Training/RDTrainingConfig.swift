import Torch

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
  /// Steps at which the learning rate is multiplied by `milestoneGamma`
  /// (PyTorch's MultiStepLR, on top of the plateau decay); nil: none.
  /// Annealing pays here: a 400-step fine-tune of the q4 model at lr 3e-5
  /// gained 0.2 dB on Kodak at equal rate, at 1e-4 only 0.07 (docs/codec.md).
  public var learningRateMilestones: [Int]?
  public var milestoneGamma: Double?
  /// Feed the synthesis transforms rounded latents with a straight-through
  /// gradient while the rate keeps the noise proxy (`QuantizationMode.roundedForDecoder`).
  /// Optional so that checkpoints written before it existed still resume: nil means off.
  public var roundsDecoderInputs: Bool?
  /// Decay of an exponential moving average of the main weights (Polyak
  /// averaging), validated and saved in place of the raw weights; nil: off.
  /// Averaging cancels the weight noise of small-batch steps that the lr
  /// A/B in docs/codec.md found to be the limit.
  public var emaDecay: Double?
  /// Run the forward pass under bfloat16 autocast (`withAutocast`): the transforms' convolutions in
  /// bfloat16 (oneDNN's AVX-512 BF16 kernels), GDN, entropy models, likelihoods, loss, weights and
  /// gradients in float32. Optional for old checkpoints: nil means off.
  public var bfloat16Autocast: Bool?

  public init() {}

  /// The factor the milestones apply to the learning rate at `step` (1 without milestones).
  public func milestoneFactor(at step: Int) -> Double {
    guard let milestones = learningRateMilestones, !milestones.isEmpty else { return 1 }
    return MultiStepSchedule(base: 1, milestones: milestones, gamma: milestoneGamma ?? 0.1).learningRate(at: step)
  }
}
