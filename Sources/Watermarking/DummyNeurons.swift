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
    let named = Dictionary(model.stateDict().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let groups = ChannelPermutation.groups(shapes: named.mapValues(\.shape))
    guard !groups.isEmpty else { throw WatermarkError("dummy neurons need residual basic blocks (conv1 / bn1 / conv2)") }
    var rng = SplitMix64(seed: seed)
    var origins: [String: [Int?]] = [:]
    let std = { (t: Tensor) in try t.to(.float64).variance().item().squareRoot() }
    try withNoGrad {
      for group in groups {
        guard let first = named[group.first], let second = named[group.second] else { continue }
        let channels = first.shape[0]
        let pairs = Swift.max(1, Int((fraction * Double(channels) / 2).rounded(.up)))
        let generator = try Generator(seed: rng.next())
        // Incoming rows: each pair's row twice; outgoing columns v and -v.
        let rows = try Tensor.randn([pairs] + Array(first.shape.dropFirst()), generator: generator, dtype: first.dtype)
          * std(first)
        let columnShape = [second.shape[0], pairs] + Array(second.shape.dropFirst(2))
        let columns = try Tensor.randn(columnShape, generator: generator, dtype: second.dtype) * std(second)
        let copied = (0..<pairs).map { _ in rng.below(channels) }
        let copiedIndex = try Tensor(copied.flatMap { [Int64($0), Int64($0)] }, shape: [2 * pairs])
        let widened = channels + 2 * pairs
        var origin: [Int?] = (0..<channels).map { $0 } + Array(repeating: nil, count: 2 * pairs)
        let permutation = rng.permutation(widened)
        origin = permutation.map { origin[$0] }
        let index = try Tensor(permutation.map(Int64.init), shape: [widened])
        let pairedRows = try rows.indexSelect(0, Tensor((0..<pairs).flatMap { [Int64($0), Int64($0)] }, shape: [2 * pairs]))
        var pairedShape = columnShape
        pairedShape[1] = 2 * pairs
        let pairedColumns = try Tensor.cat([columns, -columns], dim: 2).reshape(pairedShape)
        try replace(first, with: Tensor.cat([first, pairedRows], dim: 0).indexSelect(0, index))
        try replace(second, with: Tensor.cat([second, pairedColumns], dim: 1).indexSelect(1, index))
        for name in group.normalization {
          guard let t = named[name] else { continue }
          try replace(t, with: Tensor.cat([t, t.indexSelect(0, copiedIndex)], dim: 0).indexSelect(0, index))
        }
        origins[group.prefix] = origin
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

