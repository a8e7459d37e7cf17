import CTorch

/// A seeded random number generator. Every random op takes one explicitly,
/// so no result depends on hidden global state.
public final class Generator {
  package let handle: lt_generator

  public init(seed: UInt64) throws {
    Runtime.bootstrap()
    guard let handle = lt_generator_new(seed) else { throw Runtime.takeError() }
    self.handle = handle
  }

  deinit { lt_generator_free(handle) }

  public func reseed(_ seed: UInt64) throws { try Runtime.check(lt_generator_set_seed(handle, seed)) }
}

extension Tensor {
  /// Uniform samples in [0, 1).
  public static func rand(_ shape: [Int], generator: Generator, dtype: DType = .float32) throws -> Tensor {
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_rand(generator.handle, dims, Int64(dims.count), dtype.rawValue))
  }

  /// Standard normal samples.
  public static func randn(_ shape: [Int], generator: Generator, dtype: DType = .float32) throws -> Tensor {
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_randn(generator.handle, dims, Int64(dims.count), dtype.rawValue))
  }

  /// Uniform samples in [low, high).
  public static func uniform(
    _ shape: [Int], low: Double, high: Double, generator: Generator, dtype: DType = .float32
  ) throws -> Tensor {
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(lt_uniform(generator.handle, dims, Int64(dims.count), low, high, dtype.rawValue))
  }

  /// Integers in [low, high).
  public static func randint(
    _ low: Int, _ high: Int, shape: [Int], generator: Generator, dtype: DType = .int64
  ) throws -> Tensor {
    let dims = shape.map(Int64.init)
    return try Runtime.tensor(
      lt_randint(generator.handle, Int64(low), Int64(high), dims, Int64(dims.count), dtype.rawValue))
  }

  /// A random permutation of 0..<n (int64).
  public static func randperm(_ n: Int, generator: Generator) throws -> Tensor {
    try Runtime.tensor(lt_randperm(generator.handle, Int64(n)))
  }

  /// Bernoulli samples with per-element probabilities `self`.
  public func bernoulli(generator: Generator) throws -> Tensor {
    try Runtime.tensor(lt_bernoulli(generator.handle, handle))
  }
}
