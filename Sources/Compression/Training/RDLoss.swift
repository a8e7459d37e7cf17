import Foundation
import Torch

/// What a training step minimises. The trainer owns the loop (data, noise,
/// optimizers, clipping, checkpoints); an objective only turns a batch into a
/// loss, so distillation and watermarking plug in without a second loop.
public protocol TrainingObjective {
  /// The loss for `batch`, with the student's own RD terms for reporting;
  /// `quantization` is the training noise (`.noise` or, on a rank of a
  /// data-parallel job, `.shardedNoise`; either wrapped in `.roundedForDecoder`
  /// with `--round-decoder-inputs`).
  func terms(model: any CompressionModel, batch: Tensor, quantization: QuantizationMode) throws -> RDLoss.Terms
}

extension TrainingObjective {
  /// The loss with uniform noise drawn from `noise`.
  public func terms(model: any CompressionModel, batch: Tensor, noise: Generator) throws -> RDLoss.Terms {
    try terms(model: model, batch: batch, quantization: .noise(noise))
  }
}

/// The rate-distortion objective of the Balle models: lambda * 255^2 * MSE + bpp.
public struct RDLoss: Sendable, TrainingObjective {
  public var lambda: Double

  public init(lambda: Double) { self.lambda = lambda }

  public struct Terms {
    public var loss: Tensor
    public var mse: Tensor
    public var bpp: Tensor
    public init(loss: Tensor, mse: Tensor, bpp: Tensor) {
      self.loss = loss
      self.mse = mse
      self.bpp = bpp
    }
  }

  public func terms(model: any CompressionModel, batch: Tensor, quantization: QuantizationMode) throws -> Terms {
    try self(model.forward(batch, mode: quantization), target: batch)
  }

  public func callAsFunction(_ result: ForwardResult, target: Tensor) throws -> Terms {
    let (n, _, h, w) = try target.size4("target")
    let mse = try Loss.mse(result.reconstruction, target)
    let bpp = try result.bitsPerPixel(pixels: n * h * w)
    return Terms(loss: try mse * (lambda * 255 * 255) + bpp, mse: mse, bpp: bpp)
  }
}

/// PSNR in dB of a mean squared error on [0, 1] values.
public func psnr(mse: Double) -> Double { mse > 0 ? 10 * Foundation.log10(1 / mse) : .infinity }
