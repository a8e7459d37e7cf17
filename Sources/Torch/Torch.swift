import CTorch

/// Torch: Lichen's tensor library over libtorch 1.13 (through the CTorch shim).
///
/// Everything above the C ABI is Swift: `Tensor` owns one libtorch handle
/// and frees it in `deinit`; every operation that can fail throws a
/// `TorchError` carrying libtorch's own message; no C++ exception ever
/// reaches Swift. Modules name their parameters exactly as PyTorch's
/// `state_dict()` would, so checkpoints move across untranslated.
///
/// Public API: the public declarations whose names do not start with an
/// underscore. Raw handles stay `package`.
public enum Torch {
  /// Sets the number of threads every op uses (libtorch's intra-op pool).
  public static func setThreads(_ count: Int) throws {
    Runtime.bootstrap()
    try Runtime.check(lt_set_num_threads(Int32(clamping: count)))
  }

  /// Runs `body` with `count` threads, then restores the previous count.
  /// The codec computes its entropy parameters (h_s) with one thread on
  /// both sides, so they cannot depend on the caller's thread count.
  public static func withThreads<R>(_ count: Int, _ body: () throws -> R) throws -> R {
    let previous = threads
    guard previous != count else { return try body() }
    try setThreads(count)
    defer { try? setThreads(previous) }
    return try body()
  }

  /// The number of threads ops currently use.
  public static var threads: Int {
    Runtime.bootstrap()
    return Int(lt_get_num_threads())
  }
}
