import Torch

/// How an entropy model turns latents into the values it models.
public enum QuantizationMode {
  /// Training: add U(-0.5, 0.5) noise, a differentiable proxy of rounding.
  case noise(Generator)
  /// Training on one rank of a data-parallel job: the noise one process
  /// training the whole global batch would draw, cut to this rank's samples
  /// (drawn for `shard.count` times the samples along the batch axis, of
  /// which this rank keeps the `shard.index`-th block).
  case shardedNoise(Generator, DataShard)
  /// Evaluation: round around the median/mean (what the decoder sees).
  case dequantize
  /// Training with the decoder's own inputs ("mixed" quantization, Minnen &
  /// Singh 2020): the likelihoods see the wrapped noise mode, while the
  /// values passed on to the synthesis transforms are rounded around the
  /// median/mean with a straight-through gradient. The decoder then trains on
  /// exactly what it decodes instead of on noisy latents.
  indirect case roundedForDecoder(QuantizationMode)
  /// Encoder-side latent refinement: the values are rounded around the
  /// median/mean exactly as `dequantize` rounds them (so the loss is the one
  /// the real bitstream pays), with a straight-through gradient to the latents.
  case straightThrough

  /// - Parameter batchAxis: the axis along which the samples of the batch lie
  ///   in `x`, as contiguous blocks (0 for NCHW; the last axis for the
  ///   bottleneck's [C, 1, N*H*W] layout).
  func apply(_ x: Tensor, around means: Tensor?, batchAxis: Int = 0) throws -> Tensor {
    switch self {
    case .noise(let generator):
      return try x + Tensor.uniform(x.shape, low: -0.5, high: 0.5, generator: generator, dtype: x.dtype)
    case .shardedNoise(let generator, let shard):
      var shape = x.shape
      guard shape.indices.contains(batchAxis) else { return try QuantizationMode.noise(generator).apply(x, around: means) }
      let local = shape[batchAxis]
      shape[batchAxis] = local * shard.count
      let noise = try Tensor.uniform(shape, low: -0.5, high: 0.5, generator: generator, dtype: x.dtype)
      return try x + noise.narrow(batchAxis, start: shard.index * local, length: local)
    case .roundedForDecoder(let rate):
      return try rate.apply(x, around: means, batchAxis: batchAxis)
    case .straightThrough:
      guard let means else { return try x.roundStraightThrough() }
      return try (x - means.detach()).roundStraightThrough() + means.detach()
    case .dequantize:
      let centered = try means.map { try x - $0 } ?? x
      let rounded = try withNoGrad { try centered.round() }
      return try means.map { try rounded + $0 } ?? rounded
    }
  }

  /// The values the entropy model hands on to the next transform: `modelled`
  /// (this mode's `apply` of `x`) for every mode but `roundedForDecoder`,
  /// which hands on `x` rounded around `means` with a straight-through gradient.
  func decoderInput(_ x: Tensor, modelled: Tensor, around means: Tensor?) throws -> Tensor {
    guard case .roundedForDecoder = self else { return modelled }
    guard let means else { return try x.roundStraightThrough() }
    return try (x - means).roundStraightThrough() + means
  }
}
