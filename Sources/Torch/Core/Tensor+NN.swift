import CTorch

/// Reductions of a loss over its elements.
public enum LossReduction: Int64, Sendable { case none = 0, mean = 1, sum = 2 }

// MARK: - Neural-network functions. Images are NCHW.

extension Tensor {
  public func matmul(_ other: Tensor) throws -> Tensor { try Runtime.tensor(lt_matmul(handle, other.handle)) }

  /// y = x W^T + b.
  public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    try Runtime.tensor(lt_linear(handle, weight.handle, bias?.handle))
  }

  public func conv2d(
    weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
  ) throws -> Tensor {
    try conv2d(weight: weight, bias: bias, stride: (stride, stride), padding: (padding, padding),
               dilation: (dilation, dilation), groups: groups)
  }

  public func conv2d(
    weight: Tensor, bias: Tensor?, stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int
  ) throws -> Tensor {
    let s = [Int64(stride.0), Int64(stride.1)]
    let p = [Int64(padding.0), Int64(padding.1)]
    let d = [Int64(dilation.0), Int64(dilation.1)]
    return try Runtime.tensor(lt_conv2d(handle, weight.handle, bias?.handle, s, p, d, Int64(groups)))
  }

  /// Which implementation computes a transposed convolution.
  public enum TransposedConvolutionRoute: Sendable {
    /// The input gradient of the matching convolution (oneDNN); the default.
    case convolutionGradient
    /// libtorch 1.13's own `conv_transpose2d` (im2col + BLAS).
    case native
  }

  /// Transposed convolution; `weight` is [C_in, C_out / groups, kH, kW] as in PyTorch.
  public func convTranspose2d(
    weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
    dilation: Int = 1, groups: Int = 1, route: TransposedConvolutionRoute = .convolutionGradient
  ) throws -> Tensor {
    let s = [Int64(stride), Int64(stride)]
    let p = [Int64(padding), Int64(padding)]
    let o = [Int64(outputPadding), Int64(outputPadding)]
    let d = [Int64(dilation), Int64(dilation)]
    switch route {
    case .convolutionGradient:
      return try Runtime.tensor(lt_conv_transpose2d(handle, weight.handle, bias?.handle, s, p, o, d, Int64(groups)))
    case .native:
      return try Runtime.tensor(
        lt_conv_transpose2d_native(handle, weight.handle, bias?.handle, s, p, o, d, Int64(groups)))
    }
  }

  public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false)
    throws -> Tensor
  {
    let k = [Int64(kernel), Int64(kernel)]
    let s = [Int64(stride ?? kernel), Int64(stride ?? kernel)]
    let p = [Int64(padding), Int64(padding)]
    let d = [Int64(dilation), Int64(dilation)]
    return try Runtime.tensor(lt_max_pool2d(handle, k, s, p, d, ceilMode))
  }

  public func avgPool2d(
    kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true
  ) throws -> Tensor {
    let k = [Int64(kernel), Int64(kernel)]
    let s = [Int64(stride ?? kernel), Int64(stride ?? kernel)]
    let p = [Int64(padding), Int64(padding)]
    return try Runtime.tensor(lt_avg_pool2d(handle, k, s, p, ceilMode, countIncludePad))
  }

  public func adaptiveAvgPool2d(_ height: Int, _ width: Int) throws -> Tensor {
    try Runtime.tensor(lt_adaptive_avg_pool2d(handle, [Int64(height), Int64(width)]))
  }
  public func adaptiveMaxPool2d(_ height: Int, _ width: Int) throws -> Tensor {
    try Runtime.tensor(lt_adaptive_max_pool2d(handle, [Int64(height), Int64(width)]))
  }
  public func upsampleBilinear(height: Int, width: Int, alignCorners: Bool = false) throws -> Tensor {
    try Runtime.tensor(lt_upsample_bilinear2d(handle, [Int64(height), Int64(width)], alignCorners))
  }
  public func upsampleNearest(height: Int, width: Int) throws -> Tensor {
    try Runtime.tensor(lt_upsample_nearest2d(handle, [Int64(height), Int64(width)]))
  }

  /// Batch normalisation; in training mode the running statistics are updated in place.
  public func batchNorm(
    weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?, training: Bool,
    momentum: Double = 0.1, eps: Double = 1e-5
  ) throws -> Tensor {
    try Runtime.tensor(
      lt_batch_norm(handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle, training,
                    momentum, eps))
  }

  /// Layer normalisation over the trailing `normalizedShape` dimensions. An input in another
  /// precision than the affine parameters (a bfloat16 activation under autocast, which libtorch
  /// 1.13's CPU autocast leaves to this op) is normalised in the parameters' precision, as later
  /// libtorch autocast does for `layer_norm`.
  public func layerNorm(_ normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) throws -> Tensor {
    let dims = normalizedShape.map(Int64.init)
    let input = try weight.map { dtype != $0.dtype ? try to($0.dtype) : self } ?? self
    return try Runtime.tensor(lt_layer_norm(input.handle, dims, Int64(dims.count), weight?.handle, bias?.handle, eps))
  }

  public func softmax(dim: Int) throws -> Tensor { try Runtime.tensor(lt_softmax(handle, Int64(dim))) }
  public func logSoftmax(dim: Int) throws -> Tensor { try Runtime.tensor(lt_log_softmax(handle, Int64(dim))) }

  /// Inverted dropout: zeroes elements with probability `p` and rescales the rest.
  public func dropout(p: Double, training: Bool, generator: Generator) throws -> Tensor {
    guard training, p > 0 else { return self }
    guard p < 1 else { return try self * 0 }
    let keep = try Tensor.full(shape, 1 - p, dtype: dtype).bernoulli(generator: generator)
    return try self * keep / (1 - p)
  }

  /// Gathers rows of an embedding table.
  public static func embedding(_ weight: Tensor, indices: Tensor) throws -> Tensor {
    try Runtime.tensor(lt_embedding(weight.handle, indices.handle))
  }
}

// MARK: - Losses

public enum Loss {
  /// Cross-entropy over class logits [N, C, ...] and int64 targets [N, ...].
  public static func crossEntropy(
    _ logits: Tensor, _ target: Tensor, weight: Tensor? = nil, reduction: LossReduction = .mean,
    ignoreIndex: Int = -100, labelSmoothing: Double = 0
  ) throws -> Tensor {
    try Runtime.tensor(
      lt_cross_entropy(logits.handle, target.handle, weight?.handle, reduction.rawValue, Int64(ignoreIndex),
                       labelSmoothing))
  }

  /// Mean squared error; shapes must match exactly (no silent broadcasting).
  public static func mse(_ a: Tensor, _ b: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
    try Runtime.tensor(lt_mse_loss(a.handle, b.handle, reduction.rawValue))
  }

  /// Knowledge distillation (Hinton et al. 2015): T^2 x the batch mean of KL(softmax(teacher / T) ||
  /// softmax(student / T)) over class logits [N, C]. The teacher's logits carry no gradient.
  public static func distillation(_ student: Tensor, _ teacher: Tensor, temperature: Double) throws -> Tensor {
    guard temperature > 0, temperature.isFinite else {
      throw TorchError(.value, "distillation: the temperature must be positive and finite, got \(temperature)")
    }
    guard student.shape == teacher.shape, student.shape.count == 2 else {
      throw TorchError(.value, "distillation: student \(student.shape) and teacher \(teacher.shape) logits must both be [N, C]")
    }
    let target = try teacher.detach() / temperature
    let logTarget = try target.logSoftmax(dim: 1)
    let divergence = try (logTarget.exp() * (logTarget - (student / temperature).logSoftmax(dim: 1))).sum(dims: [1]).mean()
    return try divergence * (temperature * temperature)
  }
}
