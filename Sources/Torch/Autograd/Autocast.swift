import CTorch

/// Mixed precision on the CPU (`torch.autocast("cpu")`).
public enum Autocast {
  /// The type CPU autocast casts to now, nil when it is off (thread-local).
  public static var current: DType? {
    guard lt_is_autocast_cpu_enabled() == 1 else { return nil }
    return DType(rawValue: lt_autocast_cpu_dtype())
  }
}

/// Runs `body` with CPU autocast to `dtype`: convolutions, transposed convolutions, linear layers and
/// matrix products run in that type (oneDNN's bfloat16 kernels where the CPU has AVX-512 BF16), the
/// other operations in their inputs' type; gradients flow back through the casts in float32 for
/// float32 parameters. `nil` runs `body` with autocast off. The previous state is restored after,
/// also when `body` throws.
/// - Parameters:
///   - dtype: `.bfloat16` or `.float16`, or nil for off.
///   - body: The computation.
/// - Throws: `TorchError` for a type autocast does not take; what `body` throws.
public func withAutocast<R>(_ dtype: DType?, _ body: () throws -> R) throws -> R {
  let previous = Autocast.current
  try setAutocast(dtype)
  defer {
    try? setAutocast(previous)
    // Leaving the outermost region: the cached low-precision copies of the weights go stale at the next
    // optimizer step. Inner regions (a float32 GDN inside a bfloat16 pass) keep them: re-casting every
    // weight at each toggle made a training step twice as slow.
    if previous == nil, dtype != nil { lt_autocast_clear_cache() }
  }
  return try body()
}

private func setAutocast(_ dtype: DType?) throws {
  if let dtype, dtype != .bfloat16, dtype != .float16 {
    throw TorchError(.invalidArgument, "autocast casts to bfloat16 or float16, not \(dtype)")
  }
  try Runtime.check(lt_set_autocast_cpu(dtype != nil, (dtype ?? .float32).rawValue))
}
