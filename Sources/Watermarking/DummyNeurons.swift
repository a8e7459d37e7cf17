import Foundation
import Torch

/// Function-preserving obfuscation by dummy neurons (the structural obfuscation of Yan et al., USENIX
/// Security 2023): inside each residual basic block (`ChannelPermutation.Group`) pairs of channels are
/// added whose incoming weights and batch-norm entries are equal, so their activations are equal, and
/// whose outgoing weights are v and -v, so they cancel in conv2. Then every channel of the block,
/// old and new, is permuted. The network computes the same function with wider blocks; a key's
/// positions no longer fit the layers, and the owner must find the original channels among the
/// dummies (`ChannelPermutation.realigned` does, by the key's channel signatures).
public enum DummyNeurons {
  /// Adds dummy channels to every group of `model` in place.
  /// - Parameters:
  ///   - model: a network with residual basic blocks (evaluation-mode batch norm).
  ///   - fraction: dummy channels per block as a fraction of its channels (rounded up to whole pairs).
  ///   - seed: draws the dummies' weights (normal, each layer's own standard deviation), the batch-norm
  ///     entries they copy and the permutation.
  /// - Returns: each group's channels after the attack: `origin[j]` is the old channel new channel j
  ///   holds, or nil for a dummy.
  /// - Throws: `WatermarkError` for a fraction that is not positive and finite or a model without groups.
  @discardableResult
  public static func apply(to model: any Module, fraction: Double, seed: UInt64) throws -> [String: [Int?]] {
    guard fraction > 0, fraction.isFinite else {
      throw WatermarkError("dummy neurons: the fraction of channels added must be positive, got \(fraction)")
    }
    let std = { (t: Tensor) in try t.to(.float64).variance().item().squareRoot() }
    return try widen(model, seed: seed) { first, second, rng in
      let channels = first.shape[0]
      let pairs = Swift.max(1, Int((fraction * Double(channels) / 2).rounded(.up)))
      let generator = try Generator(seed: rng.next())
      // Incoming rows: each pair's row twice; outgoing columns v and -v.
      let rows = try Tensor.randn([pairs] + Array(first.shape.dropFirst()), generator: generator, dtype: first.dtype)
        * std(first)
      let columnShape = [second.shape[0], pairs] + Array(second.shape.dropFirst(2))
      let columns = try Tensor.randn(columnShape, generator: generator, dtype: second.dtype) * std(second)
      let copied = (0..<pairs).map { _ in rng.below(channels) }
      var pairedShape = columnShape
      pairedShape[1] = 2 * pairs
      return Widening(
        rows: try rows.indexSelect(0, Tensor((0..<pairs).flatMap { [Int64($0), Int64($0)] }, shape: [2 * pairs])),
        columns: try Tensor.cat([columns, -columns], dim: 2).reshape(pairedShape),
        normalizationSources: copied.flatMap { [$0, $0] }, origins: Array(repeating: nil, count: 2 * pairs),
        originalColumnScale: nil)
    }
  }

  /// Function-preserving neuron splitting: in each residual basic block a fraction of the real channels
  /// is copied (incoming row and batch-norm entries, so the copy's activation equals the original's) and
  /// the original's conv2 column v becomes a v, the copy's (1 - a) v, with a drawn uniformly in
  /// [-0.5, 1.5] per channel, so one of the two carries the column with its sign flipped whenever a
  /// falls outside [0, 1]. Then every channel of the block is permuted. Both copies look like the
  /// original; the realigning detector picks the one whose signature agrees best.
  /// - Parameters:
  ///   - model: a network with residual basic blocks (evaluation-mode batch norm).
  ///   - fraction: the fraction of each block's channels split (rounded up, at least one).
  ///   - seed: draws the channels split, their shares and the permutation.
  /// - Returns: each group's channels after the attack: `origin[j]` is the old channel new channel j
  ///   holds or copies.
  /// - Throws: `WatermarkError` for a fraction outside (0, 1] or a model without groups.
  @discardableResult
  public static func split(_ model: any Module, fraction: Double, seed: UInt64) throws -> [String: [Int?]] {
    guard fraction > 0, fraction <= 1 else {
      throw WatermarkError("neuron splitting: the fraction of channels split must be in (0, 1], got \(fraction)")
    }
    return try widen(model, seed: seed) { first, second, rng in
      let channels = first.shape[0]
      let count = Swift.max(1, Int((fraction * Double(channels)).rounded(.up)))
      let chosen = Array(rng.permutation(channels).prefix(count))
      let shares = chosen.map { _ in Double(rng.next() >> 11) * 0x1p-53 * 2 - 0.5 }
      var scale = [Float](repeating: 1, count: channels)
      for (c, a) in zip(chosen, shares) { scale[c] = Float(a) }
      let index = try Tensor(chosen.map(Int64.init), shape: [count])
      let copyScale = try Tensor(shares.map { Float(1 - $0) }, shape: [1, count, 1, 1])
      return Widening(
        rows: try first.indexSelect(0, index), columns: try second.indexSelect(1, index) * copyScale.to(second.dtype),
        normalizationSources: chosen, origins: chosen, originalColumnScale: scale)
    }
  }

  /// Channels appended to one block before the permutation.
  struct Widening {
    /// conv1 rows of the new channels.
    var rows: Tensor
    /// conv2 input columns of the new channels.
    var columns: Tensor
    /// The old channel whose batch-norm entries each new channel copies.
    var normalizationSources: [Int]
    /// The old channel each new channel holds, nil for a dummy.
    var origins: [Int?]
    /// Factors of the old channels' conv2 columns (nil: unchanged).
    var originalColumnScale: [Float]?
  }

  /// Appends `make`'s channels to every group of `model`, then permutes each group's channels.
  static func widen(
    _ model: any Module, seed: UInt64,
    _ make: (_ first: Tensor, _ second: Tensor, _ rng: inout SplitMix64) throws -> Widening
  ) throws -> [String: [Int?]] {
    let named = Dictionary(model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let groups = ChannelPermutation.groups(shapes: named.mapValues(\.shape))
    guard !groups.isEmpty else { throw WatermarkError("widening attacks need residual basic blocks (conv1 / bn1 / conv2)") }
    var rng = SplitMix64(seed: seed)
    var origins: [String: [Int?]] = [:]
    try withNoGrad {
      for group in groups {
        guard let first = named[group.first], let second = named[group.second] else { continue }
        let channels = first.shape[0]
        let widening = try make(first, second, &rng)
        var old = second
        if let scale = widening.originalColumnScale {
          old = try second * Tensor(scale, shape: [1, channels, 1, 1]).to(second.dtype)
        }
        let added = widening.origins.count
        let widened = channels + added
        let permutation = rng.permutation(widened)
        let origin = (Array(0..<channels) + widening.origins).map { $0 as Int? }
        let index = try Tensor(permutation.map(Int64.init), shape: [widened])
        let copiedIndex = try Tensor(widening.normalizationSources.map(Int64.init), shape: [added])
        try replace(first, with: Tensor.cat([first, widening.rows], dim: 0).indexSelect(0, index))
        try replace(second, with: Tensor.cat([old, widening.columns], dim: 1).indexSelect(1, index))
        for name in group.normalization {
          guard let t = named[name] else { continue }
          try replace(t, with: Tensor.cat([t, t.indexSelect(0, copiedIndex)], dim: 0).indexSelect(0, index))
        }
        origins[group.prefix] = permutation.map { origin[$0] }
      }
    }
    return origins
  }

  /// Gives `tensor` the shape and values of `value` in place (the module keeps the same tensor object).
  static func replace(_ tensor: Tensor, with value: Tensor) throws {
    let requiresGrad = tensor.requiresGrad
    if requiresGrad { try tensor.requiringGrad(false) }
    try tensor.resize_(value.shape)
    try tensor.copy_(value)
    if requiresGrad { try tensor.requiringGrad(true) }
  }
}

