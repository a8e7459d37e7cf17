import Torch

/// How an entropy model turns latents into the values it models.
public enum QuantizationMode {
  /// Training: add U(-0.5, 0.5) noise, a differentiable proxy of rounding.
  case noise(Generator)
  /// Evaluation: round around the median/mean (what the decoder sees).
  case dequantize

  func apply(_ x: Tensor, around means: Tensor?) throws -> Tensor {
    switch self {
    case .noise(let generator):
      return try x + Tensor.uniform(x.shape, low: -0.5, high: 0.5, generator: generator, dtype: x.dtype)
    case .dequantize:
      let centered = try means.map { try x - $0 } ?? x
      let rounded = try withNoGrad { try centered.round() }
      return try means.map { try rounded + $0 } ?? rounded
    }
  }
}
