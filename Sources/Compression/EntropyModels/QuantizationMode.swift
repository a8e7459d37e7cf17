import Torch

/// How an entropy model turns latents into the values it models.
public enum QuantizationMode {
  /// Training: add U(-0.5, 0.5) noise, a differentiable proxy of rounding.
  case noise(Generator)
  /// Training on one rank of a data-parallel job: the noise one process
  /// training the whole global batch would draw, cut to this rank's samples
  /// (the noise of a tensor of batch B is drawn for B x shard.count samples
  /// and rows shard.index x B ..< (shard.index + 1) x B are kept).
  case shardedNoise(Generator, DataShard)
  /// Evaluation: round around the median/mean (what the decoder sees).
  case dequantize

  func apply(_ x: Tensor, around means: Tensor?) throws -> Tensor {
    switch self {
    case .noise(let generator):
      return try x + Tensor.uniform(x.shape, low: -0.5, high: 0.5, generator: generator, dtype: x.dtype)
    case .shardedNoise(let generator, let shard):
      var shape = x.shape
      guard let batch = shape.first else { return try QuantizationMode.noise(generator).apply(x, around: means) }
      shape[0] = batch * shard.count
      let noise = try Tensor.uniform(shape, low: -0.5, high: 0.5, generator: generator, dtype: x.dtype)
      return try x + noise.narrow(0, start: shard.index * batch, length: batch)
    case .dequantize:
      let centered = try means.map { try x - $0 } ?? x
      let rounded = try withNoGrad { try centered.round() }
      return try means.map { try rounded + $0 } ?? rounded
    }
  }
}
