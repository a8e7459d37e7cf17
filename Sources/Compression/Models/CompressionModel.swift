import Foundation
import Torch

/// What a training forward pass returns: the reconstruction and the
/// likelihoods of each latent (for the rate term), plus the latents
/// themselves (distillation compares them).
public struct ForwardResult {
  public var reconstruction: Tensor
  /// Likelihoods by latent name ("y", "z").
  public var likelihoods: [(name: String, tensor: Tensor)]
  public var y: Tensor
  public var z: Tensor?

  public init(reconstruction: Tensor, likelihoods: [(name: String, tensor: Tensor)], y: Tensor, z: Tensor?) {
    self.reconstruction = reconstruction
    self.likelihoods = likelihoods
    self.y = y
    self.z = z
  }

  /// Estimated bits per pixel: -sum(log2 likelihoods) / (N * H * W).
  public func bitsPerPixel(pixels: Int) throws -> Tensor {
    var total: Tensor? = nil
    for (_, l) in likelihoods {
      let bits = try l.log().sum() / -Foundation.log(2.0)
      total = try total.map { try $0 + bits } ?? bits
    }
    guard let total else { throw CodecError.invalidModel("model reports no likelihoods") }
    return try total / Double(pixels)
  }
}

/// A learned image codec: analysis/synthesis transforms plus entropy models.
public protocol CompressionModel: Module {
  var architecture: Architecture { get }
  /// The total stride of the analysis transform(s); inputs must be multiples of it.
  var downsamplingFactor: Int { get }
  func forward(_ x: Tensor, mode: QuantizationMode) throws -> ForwardResult
  /// The unquantized latents the encoder codes for `x`, in coding order
  /// ([y, z] for the hyperprior, [y] for the factorized prior).
  func analyze(_ x: Tensor) throws -> [Tensor]
  /// Everything after the analysis transform(s), from given latents:
  /// quantization per `mode`, likelihoods, reconstruction. `forward` is
  /// `synthesize(analyze(x))`; the encoder's latent refinement differentiates
  /// this with respect to the latents.
  func synthesize(latents: [Tensor], mode: QuantizationMode) throws -> ForwardResult
  func compress(_ x: Tensor) throws -> CompressedLatents
  /// Entropy-codes given latents (`analyze`'s, possibly refined).
  func compress(latents: [Tensor]) throws -> CompressedLatents
  func decompress(_ latents: CompressedLatents) throws -> Tensor
  /// g_a and g_s: run in stripes on large images (`StripedTransforms`).
  var analysisTransform: Sequential { get }
  var synthesisTransform: Sequential { get }
  /// The latents coded for y = g_a(x): `analyze(x)` is `latents(analyzed: g_a(x))`.
  func latents(analyzed y: Tensor) throws -> [Tensor]
  /// y_hat decoded from the strings: `decompress` is g_s(y_hat) clamped to [0, 1].
  func decodedLatent(_ latents: CompressedLatents) throws -> Tensor
  /// Builds the integer CDF tables after training.
  func update() throws
  /// The entropy bottleneck's quantile loss (separate optimizer).
  func auxiliaryLoss() throws -> Tensor
  /// Sets the bottleneck's quantiles to their exact targets (before `update()` on save).
  @discardableResult func fitQuantiles() throws -> QuantileFit
  /// Parameters of the auxiliary optimizer (quantiles); the rest go to the main one.
  var auxiliaryParameters: [Tensor] { get }
  var mainParameters: [Tensor] { get }
}

extension CompressionModel {
  /// The latents of `x`, in float32 also under mixed precision (the convolutions' bfloat16 stops at g_a).
  public func analyze(_ x: Tensor) throws -> [Tensor] { try latents(analyzed: analysisTransform(x).to(.float32)) }

  public func decompress(_ latents: CompressedLatents) throws -> Tensor {
    try withNoGrad { try synthesisTransform(decodedLatent(latents)).clamp(min: 0, max: 1) }
  }

  public func forward(_ x: Tensor, mode: QuantizationMode) throws -> ForwardResult {
    try validateInput(x)
    return try synthesize(latents: analyze(x), mode: mode)
  }

  public func compress(_ x: Tensor) throws -> CompressedLatents {
    try validateInput(x)
    // NHWC: 15% faster g_a (docs/benchmarks.md); the decoder never sees y.
    return try withNoGrad { try compress(latents: analyze(x.channelsLast())) }
  }

  /// Checks `latents` has the count this model codes.
  func expectLatents(_ latents: [Tensor], count: Int) throws {
    guard latents.count == count else {
      throw CodecError.invalidInput("\(architecture.rawValue) codes \(count) latent tensor(s), got \(latents.count)")
    }
  }

  /// Checks an NCHW input can go through the transforms.
  func validateInput(_ x: Tensor) throws {
    let (_, c, h, w) = try x.size4("codec input")
    guard c == 3 else { throw CodecError.invalidInput("expected 3 channels (RGB), got \(c)") }
    guard h > 0, w > 0, h % downsamplingFactor == 0, w % downsamplingFactor == 0 else {
      throw CodecError.invalidInput("image \(w)x\(h) is not a multiple of \(downsamplingFactor); pad it first")
    }
  }

  public var mainParameters: [Tensor] {
    let aux = Set(auxiliaryParameters.map(ObjectIdentifier.init))
    return namedParameters().map(\.tensor).filter { !aux.contains(ObjectIdentifier($0)) }
  }

  /// Number of parameters outside the entropy models.
  public var transformParameterCount: Int {
    namedParameters().filter { !$0.name.hasPrefix("entropy_bottleneck") }.reduce(0) { $0 + $1.tensor.elementCount }
  }
}
