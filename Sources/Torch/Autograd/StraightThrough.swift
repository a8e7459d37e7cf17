/// Differentiable quantization helpers shared by the codec and quantization.
extension Tensor {
  /// Rounds in the forward pass, passes the gradient through unchanged
  /// (the straight-through estimator, Bengio et al. 2013).
  public func roundStraightThrough() throws -> Tensor {
    let rounded = try withNoGrad { try self.round() }
    return try CustomFunction.apply(output: rounded, inputs: [self]) { grad, _ in [grad] }
  }

  /// max(self, bound) whose gradient still flows where it would push the
  /// value up into the allowed range: pass where x >= bound or grad < 0.
  /// This is CompressAI's `LowerBound` (Balle et al. 2018, the GDN and scale
  /// bounds), which keeps parameters stuck at the bound trainable.
  public func lowerBounded(_ bound: Double) throws -> Tensor {
    let output = try withNoGrad { try self.maximum(bound) }
    let x = try self.detach()
    return try CustomFunction.apply(output: output, inputs: [self], saved: [x]) { grad, saved in
      let passes = try saved[0].ge(bound).logicalOr(grad.lt(0))
      return [try grad * passes.to(grad.dtype)]
    }
  }
}
