import Torch

/// A model with a hyperprior (`ScaleHyperprior`, `MeanScaleHyperprior`): g_a, h_a, h_s, g_s, the entropy
/// bottleneck on z and the Gaussian conditional on y, the decoder's entropy parameters a function of z_hat
/// alone. What the integer converter, the complexity count and the model store need to know of either.
public protocol HyperpriorModel: CompressionModel {
  var n: Int { get }
  var m: Int { get }
  var gdnVariant: GDN.Variant { get }
  /// g_a, g_s, h_a, h_s.
  var analysis: Sequential { get }
  var synthesis: Sequential { get }
  var hyperAnalysis: Sequential { get }
  var hyperSynthesis: Sequential { get }
  var entropyBottleneck: EntropyBottleneck { get }
  var gaussianConditional: GaussianConditional { get }
  /// h_a reads |y| (the scale hyperprior) or y itself (the mean-scale one).
  var hyperAnalysisReadsMagnitude: Bool { get }
  /// h_s emits scales and then means (2M channels), y being coded as round(y - means).
  var predictsMeans: Bool { get }
}

extension ScaleHyperprior: HyperpriorModel {
  public var hyperAnalysisReadsMagnitude: Bool { true }
  public var predictsMeans: Bool { false }
}

extension MeanScaleHyperprior: HyperpriorModel {
  public var hyperAnalysisReadsMagnitude: Bool { false }
  public var predictsMeans: Bool { true }
}
